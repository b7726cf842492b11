"""`make pdf`: the whole book as one PDF, ``_build/pdf/book.pdf``.

Every page of _toc.yml is in it, in order, each starting where the contents page and the
outline (bookmarks) say; the contents' entries are links to those pages; the text layer holds
the Chinese text and typeset math; the site offers the same file in its download menu.

Run by ``make pdf`` after it writes the file (``D2L_PDF_TEST=1`` fails instead of skipping when
the PDF is missing).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from site_pages import ROOT, SITE, toc_pages  # noqa: E402

PDF = Path(os.environ.get("D2L_PDF", ROOT / "_build" / "pdf" / "book.pdf"))
PAGES = toc_pages()

if not PDF.is_file():
    if os.environ.get("D2L_PDF_TEST") == "1":
        raise RuntimeError(f"no PDF at {PDF}: run `make pdf` first")
    pytest.skip(f"no PDF at {PDF}; `make pdf` writes it", allow_module_level=True)

from pypdf import PdfReader  # noqa: E402


@pytest.fixture(scope="module")
def reader() -> PdfReader:
    return PdfReader(PDF)


@pytest.fixture(scope="module")
def texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


def _outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every bookmark, in order."""
    out: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out


def test_every_page_is_there_in_order(reader: PdfReader, texts: list[str]) -> None:
    assert len(reader.pages) >= len(PAGES) + 1  # the contents, then at least a page each
    outline = _outline(reader)
    sections = [(title, page) for depth, title, page in outline if title != "目录"]
    captions = [c for c, _ in PAGES if c]
    for caption in dict.fromkeys(captions):
        assert any(title == caption for title, _ in sections), f"no bookmark for {caption}"
    pages_only = [(t, p) for t, p in sections if t not in captions]
    assert len(pages_only) == len(PAGES), pages_only
    starts = [p for _, p in pages_only]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)  # in _toc.yml order
    for (title, page), (_, docname) in zip(pages_only, PAGES):
        # Each bookmark's page starts with that page's title.
        head = re.sub(r"\s+", "", texts[page][:300])
        assert re.sub(r"\s+", "", title)[:12] in head, (docname, title, texts[page][:200])


def test_contents_page_links_to_the_pages(reader: PdfReader, texts: list[str]) -> None:
    assert "目录" in texts[0]
    starts = [p for _, t, p in _outline(reader) if t != "目录"]
    targets = []
    for page in reader.pages[: starts[0] if starts else 1]:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link" and "/Dest" in annot:
                targets.append(reader.get_page_number(annot["/Dest"][0].get_object()))
    outline_pages = {p for _, t, p in _outline(reader) if t != "目录"}
    assert len(targets) >= len(PAGES) and set(targets) <= outline_pages, targets
    # The contents print each section's page number (1-based).
    contents_text = "".join(texts[: min(starts)])
    for _, _title, page in _outline(reader)[1:4]:
        assert str(page + 1) in contents_text


def test_text_layer_has_chinese_and_math(texts: list[str]) -> None:
    book = "\n".join(texts)
    assert "卷积" in book and "多层感知机" in book
    # Typeset math (MathJax CHTML) keeps its characters in the text layer: sums, transposes and
    # memberships as their Unicode symbols (untypeset TeX would read \sum, \top, \in).
    for symbol in ("∑", "⊤", "∈"):
        assert symbol in book, f"no {symbol} in the text layer: math is not typeset"
    # Executed outputs are in: the training summaries the pages print.
    assert re.search(r"examples/sec", book)


def test_the_site_offers_the_pdf(base_url: str, browser) -> None:  # noqa: ANN001
    """<html>/book.pdf is the same file, and a page's download menu shows its entry."""
    copy = SITE / "book.pdf"
    assert copy.is_file()
    assert hashlib.sha256(copy.read_bytes()).digest() == hashlib.sha256(PDF.read_bytes()).digest()
    page = browser.new_page()
    try:
        page.goto(f"{base_url}{PAGES[1][1]}.html", wait_until="load")
        page.wait_for_function("document.documentElement.classList.contains('d2l-has-book-pdf')",
                               timeout=10_000)
        link = page.locator("a.btn-download-book-pdf-button")
        assert link.count() == 1
        href = link.get_attribute("href")
        assert href and href.endswith("book.pdf")
        page.locator(".dropdown-download-buttons button.dropdown-toggle").click()
        assert link.is_visible()
        assert page.request.get(link.evaluate("a => a.href")).status == 200
    finally:
        page.close()
