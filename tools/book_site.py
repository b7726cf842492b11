"""The built book site, shared by ``tools/book_pdf.py`` and the browser tests
(``tests/browser/conftest.py``): the pages of ``_toc.yml`` in reading order, a local web server
for the built website, and Debian's Chromium driven by Playwright (never a downloaded browser).
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ROOT = Path(__file__).resolve().parents[1]
#: the browser (``apt-get install chromium``); ``D2L_CHROMIUM`` names another
CHROMIUM = os.environ.get("D2L_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def _files(entries: list[dict] | None) -> list[str]:
    out: list[str] = []
    for entry in entries or []:
        if "file" in entry:
            out.append(entry["file"])
        out.extend(_files(entry.get("sections")))
    return out


def toc_pages(toc: Path = ROOT / "_toc.yml") -> list[tuple[str | None, str]]:
    """Every page of ``_toc.yml`` in reading order, as (part caption, docname); the root page and
    the pages outside parts have None as their caption."""
    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    pages: list[tuple[str | None, str]] = [(None, data["root"])]
    for part in data.get("parts", []):
        pages.extend((part.get("caption"), f) for f in _files(part.get("chapters")))
    pages.extend((None, f) for f in _files(data.get("chapters")))
    return pages


def source_of(docname: str) -> Path:
    """The source file of a page (``.md`` or ``.ipynb``)."""
    for suffix in (".md", ".ipynb"):
        path = ROOT / f"{docname}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no source for {docname!r} in {ROOT}")


def is_notebook(docname: str) -> bool:
    """True for pages with code cells (a Jupytext header with a kernelspec, or an .ipynb)."""
    path = source_of(docname)
    if path.suffix == ".ipynb":
        return True
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head.split("\n---", 1)[0]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """The folder, served on 127.0.0.1 by a thread (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright; closed on exit. A missing browser is
    a FileNotFoundError that says how to install it."""
    if not Path(CHROMIUM).is_file():
        raise FileNotFoundError(f"no browser at {CHROMIUM}: `apt-get install chromium "
                                "fonts-wqy-microhei` (as .ci/run does), or set D2L_CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
