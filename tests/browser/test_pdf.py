"""`make pdf`: the whole book as one PDF, ``_build/pdf/book.pdf``.

Every page of _toc.yml is in it, in order, each starting where the contents page and the
outline (bookmarks) say; the contents' entries are links to those pages; the text layer holds
the Chinese text and typeset math; the site offers the same file in its download menu.

It is typeset for print: no glyph lies beyond the side margins (code and outputs wrap, wide
formulas and tables shrink), every page carries its number and its section's title, links
between pages are links inside the PDF and no link points to the temporary server that printed
it, no page is blank, and no theme chrome (toggles) or emoji mark is printed.

Run by ``make pdf`` after it writes the file (``D2L_PDF_TEST=1`` fails instead of skipping when
the PDF is missing).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from site_pages import ROOT, SITE, toc_pages  # noqa: E402

sys.path.insert(0, str(ROOT / "tools"))
import book_print  # noqa: E402

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


# ---- typeset for print -------------------------------------------------------------------------

PX = book_print.PT_PER_PX
LEFT = book_print.MARGIN_PX["left"] * PX  # the text column's left edge, in points
BODY_TOP = book_print.MARGIN_PX["top"] * PX  # from the top edge (pdfplumber's y)
# A glyph may touch the margin: Chromium rounds the page box to whole pixels (0.75 pt) and may
# set a line's last glyph a fraction of a point past the line's end.
SLACK = 1.0


@pytest.fixture(scope="module")
def glyphs() -> list[dict]:
    """Per page: its glyphs (text, x0, x1, top, bottom), split into head, body and foot, and
    its number of images; read once with pdfplumber."""
    import logging

    import pdfplumber

    # pdfminer warns about every font without a FontBBox (Chromium's subsets); widths are there.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    pages = []
    with pdfplumber.open(PDF) as pdf:
        for page in pdf.pages:
            chars = [(c["text"], c["x0"], c["x1"], c["top"], c["bottom"], c["fontname"])
                     for c in page.chars if c["text"].strip()]
            body_bottom = float(page.height) - book_print.MARGIN_PX["bottom"] * PX
            pages.append({
                "right": float(page.width) - book_print.MARGIN_PX["right"] * PX,
                "head": [c for c in chars if c[4] <= BODY_TOP],
                "body": [c for c in chars if BODY_TOP < c[4] and c[3] < body_bottom],
                "foot": [c for c in chars if c[3] >= body_bottom],
                "images": len(page.images),
            })
            page.flush_cache()
    return pages


def _text(chars: list[tuple]) -> str:
    return "".join(c[0] for c in chars)


def test_nothing_lies_beyond_the_margins(glyphs: list[dict]) -> None:
    """Code, outputs, formulas and tables stay inside the text width (a glyph past the right
    margin is text cut off in print, or clipped by a scroll box)."""
    out = []
    for i, page in enumerate(glyphs):
        for part in ("head", "body", "foot"):
            wide = [c for c in page[part]
                    if c[2] > page["right"] + SLACK or c[1] < LEFT - SLACK]
            if wide:
                out.append((i + 1, part, len(wide), _text(wide)[:60]))
    assert not out, f"{len(out)} pages have text beyond the margins (page, where, glyphs, " \
                    f"text): {out[:15]}"


def test_every_page_has_its_number_and_section_title(reader: PdfReader, glyphs: list[dict]) -> None:
    outline = _outline(reader)
    captions = {c for c, _ in PAGES if c}
    starts = [(p, t) for _, t, p in outline if t != "目录" and t not in captions]
    assert starts, "no bookmarks"
    missing = []
    for i, page in enumerate(glyphs):
        foot = _text(page["foot"])
        if foot != str(i + 1):
            missing.append((i + 1, "number", foot))
        head = re.sub(r"\s+", "", _text(page["head"]))
        before = [t for p, t in starts if p <= i]
        title = re.sub(r"\s+", "", before[-1]) if before else "目录"
        # The head may shorten a long title with an ellipsis: its first characters are there.
        if title[:10] not in head:
            missing.append((i + 1, "head", title, head))
    assert not missing, f"{len(missing)} pages lack their number or running head: {missing[:10]}"


def test_no_page_is_blank(glyphs: list[dict]) -> None:
    blank = [i + 1 for i, page in enumerate(glyphs) if not page["body"] and not page["images"]]
    assert not blank, f"blank pages (nothing but the head and number): {blank}"


def _links(reader: PdfReader) -> list[tuple[int, object]]:
    out = []
    for i, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link":
                out.append((i, annot))
    return out


def _cross_page_links() -> int:
    """Links in the built pages' articles from one page of the book to another."""
    names = {doc for _, doc in PAGES}
    count = 0
    for _, doc in PAGES:
        text = (SITE / f"{doc}.html").read_text(encoding="utf-8")
        article = text[text.find("<article"): text.rfind("</article>")]
        here = Path(doc).parent
        for href in re.findall(r'<a class="reference internal" href="([^"#]+)\.html(?:#[^"]*)?"', article):
            target = os.path.normpath(here / href).replace(os.sep, "/")
            if target in names and target != doc:
                count += 1
    return count


def test_links_stay_in_the_book_or_go_to_the_website(reader: PdfReader) -> None:
    """Links between pages are links inside the PDF; the others never name the temporary
    server (127.0.0.1, localhost) or a file, and those to the site go to its public address."""
    public = book_print.public_url(ROOT / "_config.yml")
    starts = [p for _, t, p in _outline(reader) if t != "目录"]
    contents_pages = min(starts)
    internal, bad = 0, []
    n_pages = len(reader.pages)
    for i, annot in _links(reader):
        if "/Dest" in annot:
            dest = annot["/Dest"]
            assert not isinstance(dest, str), f"page {i + 1}: a named destination {dest} (lost " \
                                              "in the merge)"
            target = reader.get_page_number(dest[0].get_object())
            assert 0 <= target < n_pages
            internal += i >= contents_pages
            continue
        action = annot["/A"].get_object()
        assert action.get("/S") == "/URI", (i + 1, action)
        uri = str(action["/URI"])
        host = re.match(r"^[a-z]+://([^/:]+)", uri)
        if not host or host.group(1) in book_print.LOCAL_HOSTS or uri.startswith("file:"):
            bad.append((i + 1, uri))
        elif host.group(1) == urlsplit(public).hostname and not uri.startswith(public):
            bad.append((i + 1, uri))
    assert not bad, f"{len(bad)} links leave the book for a local address: {bad[:10]}"
    # Every cross-reference of the built pages to another page became a link inside the PDF.
    expected = _cross_page_links()
    assert expected > 20, expected
    assert internal >= expected, f"{internal} links inside the book, the pages have {expected}"


def test_no_theme_chrome_or_emoji(texts: list[str], glyphs: list[dict]) -> None:
    book = "\n".join(texts)
    # (点击展开, the toggles' hint, is also a word of the landing page's prose.)
    for word in ("收起代码", "展开代码", "点击收起", "Toggle", "Copy to clipboard"):
        assert word not in book, f"{word!r} is printed"
    # A details box whose summary was taken away prints the browser's own "Details" line.
    assert not re.search(r"\bDetails\b", book), "a 'Details' line is printed"
    # Emoji need an emoji font; the admonitions' icons come from the site's own Font Awesome.
    emoji = re.compile(r"[\u2705\u274c\u2714\u2716\u26a0\u23f3\U0001F000-\U0001FAFF]")
    marks = [c[0] for page in glyphs for part in ("head", "body", "foot") for c in page[part]
             if emoji.match(c[0]) and "FontAwesome" not in c[5]]
    assert not marks, f"emoji marks print as empty boxes without an emoji font: {set(marks)}"
