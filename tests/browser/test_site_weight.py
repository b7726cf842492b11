"""What a cold page costs a reader, measured in Chromium from ``make serve``'s server
(``tools/serve.py``, gzip): every chapter page within 1.5 MB and 25 requests; no page loads
FontAwesome's 1.45 MB script, and only pages with formulas load MathJax.
``benchmarks/page_weight.py`` prints the same figures for every page (benchmarks/README.md).

Run with ``make site-test`` after ``make book-strict`` (or ``make book``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT / "benchmarks"))
from site_pages import toc_pages  # noqa: E402

SITE = Path(os.environ.get("D2L_SITE_HTML", ROOT / "_build" / "html")).resolve()
CHROMIUM = os.environ.get("D2L_CHROMIUM", "/usr/bin/chromium")
MAX_BYTES = 1_500_000
MAX_REQUESTS = 25
DOCNAMES = [doc for _, doc in toc_pages()]

if not (SITE / "index.html").is_file():
    if os.environ.get("D2L_SITE_TEST") == "1":
        raise RuntimeError(f"no website in {SITE}: run `make book-strict` first")
    pytest.skip(f"no website in {SITE}; build it, then `make site-test`", allow_module_level=True)

import page_weight  # noqa: E402


@pytest.fixture(scope="module")
def gzip_url() -> Iterator[str]:
    with page_weight.serving(SITE, gzip=True) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no browser at {CHROMIUM}: `apt-get install chromium` (as .ci/run does)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.mark.parametrize("docname", DOCNAMES)
def test_cold_page_weight(docname: str, gzip_url: str, chromium) -> None:  # noqa: ANN001
    weight = page_weight.measure(chromium, gzip_url, docname)
    urls = [u for u, _ in weight.urls]
    problems = [f"loads {u}" for u in urls if "fontawesome.js" in u]
    html = (SITE / f"{docname}.html").read_text(encoding="utf-8")
    has_math = 'class="math' in html
    mathjax = [u for u in urls if u.startswith("mathjax/")]
    if mathjax and not has_math:
        problems.append(f"loads MathJax without a formula: {mathjax[:2]}")
    if docname.startswith("chapters/ch"):
        if weight.bytes > MAX_BYTES:
            heavy = sorted(weight.urls, key=lambda u: -u[1])[:5]
            problems.append(f"{weight.mb:.2f} MB transferred (goal ≤ {MAX_BYTES / 1e6} MB): {heavy}")
        if weight.requests > MAX_REQUESTS:
            problems.append(f"{weight.requests} requests (goal ≤ {MAX_REQUESTS}): {sorted(urls)}")
    assert not problems, f"{docname}:\n  " + "\n  ".join(problems)
