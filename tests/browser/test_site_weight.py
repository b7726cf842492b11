"""What a cold page costs a reader, measured in Chromium from ``make serve``'s server
(``tools/serve.py``, gzip): every chapter page within 1.5 MB and 25 requests; no page loads
FontAwesome's 1.45 MB script, and only pages with formulas load MathJax.
``benchmarks/page_weight.py`` prints the same figures for every page (benchmarks/README.md).

Run with ``make site-test`` after ``make book-strict`` (or ``make book``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from site_pages import ROOT, SITE, require_site, toc_pages  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
MAX_BYTES = 1_500_000
MAX_REQUESTS = 25
DOCNAMES = [doc for _, doc in toc_pages()]

require_site()

import page_weight  # noqa: E402


@pytest.fixture(scope="module")
def gzip_url() -> Iterator[str]:
    with page_weight.serving(SITE, gzip=True) as url:
        yield url


@pytest.mark.parametrize("docname", DOCNAMES)
def test_cold_page_weight(docname: str, gzip_url: str, browser) -> None:  # noqa: ANN001
    weight = page_weight.measure(browser, gzip_url, docname)
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
