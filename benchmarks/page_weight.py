"""What a cold page of the website costs a reader: requests and bytes transferred.

Each page of _toc.yml is opened in a new Chromium context (an empty cache) from a local server
of the built site, and every request until the page has loaded, gone quiet on the network and
typeset its formulas is counted with the bytes that went over the wire (headers and the
encoded body, as Chromium's network events report them). The server is ``tools/serve.py``
(gzip, what ``make serve`` runs) or, with ``--plain``, Python's ``http.server`` (no
compression, the old ``make serve``).

    python benchmarks/page_weight.py                      # every page, gzip
    python benchmarks/page_weight.py --plain --html /path/to/other/_build/html
    python benchmarks/page_weight.py --pages chapters/ch06_convolutional_networks/ch06_02_image_convolution

It prints one line per page and, for the chapter pages (``chapters/ch…``), the median and the
largest figures. ``tests/browser/test_site_weight.py`` holds every chapter page to the goal
(≤ 1.5 MB, ≤ 25 requests).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))


@dataclass
class Weight:
    """One cold page load."""

    page: str
    requests: int = 0
    bytes: int = 0
    by_kind: Counter = field(default_factory=Counter)
    urls: list[tuple[str, int]] = field(default_factory=list)

    @property
    def mb(self) -> float:
        return self.bytes / 1e6


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def serving(html: Path, gzip: bool = True) -> Iterator[str]:
    """The site at ``html`` on 127.0.0.1 (a free port), gzip-compressed or plain."""
    if gzip:
        import serve

        server = serve.make_server(html, quiet=True)
    else:
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(html)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _kind(url: str) -> str:
    path = urlparse(url).path
    suffix = Path(path).suffix.lower()
    if "mathjax" in path:
        return "mathjax"
    return {".js": "script", ".css": "style", ".woff2": "font", ".woff": "font",
            ".ttf": "font", ".svg": "image", ".png": "image", ".ico": "image",
            ".html": "page"}.get(suffix, suffix or "other")


def measure(browser, base_url: str, docname: str, viewport: dict[str, int] | None = None) -> Weight:  # noqa: ANN001
    """Open ``docname`` cold and count what it fetched."""
    context = browser.new_context(viewport=viewport or {"width": 1366, "height": 900},
                                  locale="zh-CN")
    page = context.new_page()
    seen: list = []
    page.on("requestfinished", lambda r: seen.append(r))
    page.on("requestfailed", lambda r: seen.append(r))
    try:
        page.goto(f"{base_url}{docname}.html", wait_until="load")
        page.evaluate("""async () => {
          if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
          await document.fonts.ready;
        }""")
        page.wait_for_load_state("networkidle")
        weight = Weight(docname)
        for request in seen:
            if urlparse(request.url).scheme in ("data", "blob"):
                continue
            sizes = request.sizes()
            size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
            weight.requests += 1
            weight.bytes += size
            weight.by_kind[_kind(request.url)] += size
            weight.urls.append((request.url[len(base_url):], size))
        return weight
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--plain", action="store_true", help="no gzip (Python's http.server)")
    parser.add_argument("--pages", nargs="*", help="docnames (default: every page of _toc.yml)")
    parser.add_argument("--urls", action="store_true", help="list every request of each page")
    args = parser.parse_args()
    from book_site import chromium, toc_pages

    pages = args.pages or [doc for _, doc in toc_pages()]
    results = []
    with serving(args.html, gzip=not args.plain) as base, chromium() as browser:
        for doc in pages:
            w = measure(browser, base, doc)
            results.append(w)
            kinds = ", ".join(f"{k} {v / 1e3:.0f} kB" for k, v in w.by_kind.most_common())
            print(f"{w.requests:3d} requests {w.mb:6.2f} MB  {doc}  ({kinds})")
            if args.urls:
                for url, size in sorted(w.urls, key=lambda u: -u[1]):
                    print(f"      {size / 1e3:8.1f} kB  {url}")
    chapters = [w for w in results if w.page.startswith("chapters/ch")]
    if chapters:
        print(f"chapter pages ({len(chapters)}): median {statistics.median(w.mb for w in chapters):.2f} MB, "
              f"{statistics.median(w.requests for w in chapters):.0f} requests; largest "
              f"{max(w.mb for w in chapters):.2f} MB, {max(w.requests for w in chapters)} requests "
              f"({'plain' if args.plain else 'gzip'})")


if __name__ == "__main__":
    main()
