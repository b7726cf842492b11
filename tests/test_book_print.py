"""tools/book_print.py, the whole-book PDF's typesetting, on small PDFs made here (no browser):
links rewritten into the book or to the website, running heads laid over the pages, the
public address read from _config.yml. `make pdf`'s own test (tests/browser/test_pdf.py) checks
the printed book."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import book_print  # noqa: E402

pypdf = pytest.importorskip("pypdf")
from pypdf import PdfReader, PdfWriter  # noqa: E402
from pypdf.annotations import Link  # noqa: E402
from pypdf.generic import (  # noqa: E402
    DictionaryObject,
    NameObject,
    TextStringObject,
)

SERVER = "http://127.0.0.1:41234/"
PUBLIC = "https://example.org/book/"


def _uri_link(uri: str) -> DictionaryObject:
    return DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"),
        NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): pypdf.generic.ArrayObject([pypdf.generic.FloatObject(v)
                                                       for v in (10, 10, 50, 20)]),
        NameObject("/A"): DictionaryObject({
            NameObject("/S"): NameObject("/URI"),
            NameObject("/URI"): TextStringObject(uri),
        }),
    })


def _section(pages: int, dests: dict[str, int], links: list[tuple[int, object]]) -> PdfReader:
    """A printed page's PDF: blank pages, named destinations and links (a URI or a name)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(book_print.PAGE_W, book_print.PAGE_H)
    for name, page in dests.items():
        writer.add_named_destination(name, page)
    for page, link in links:
        if isinstance(link, str):
            writer.add_annotation(page, _uri_link(link))
        else:
            annot = Link(rect=(10, 30, 50, 40), target_page_index=0)
            writer.add_annotation(page, annot)
            # Chromium's form: /Dest is the name of a destination of the same PDF.
            obj = writer.pages[page]["/Annots"][-1].get_object()
            del obj["/Dest"]
            obj[NameObject("/Dest")] = NameObject(f"/{link[0]}")
    buffer = io.BytesIO()
    writer.write(buffer)
    return PdfReader(buffer)


def _book(sections: dict[str, PdfReader]) -> tuple[PdfWriter, list[tuple[str, int, int]],
                                                   book_print.Destinations]:
    writer = PdfWriter()
    writer.add_blank_page(book_print.PAGE_W, book_print.PAGE_H)  # the contents
    spans, dests = [], book_print.Destinations()
    for doc, reader in sections.items():
        spans.append((doc, len(writer.pages), len(reader.pages)))
        dests.add(doc, reader)
        for page in reader.pages:
            writer.add_page(page)
    return writer, spans, dests


def _targets(writer: PdfWriter) -> list[tuple[int, object]]:
    buffer = io.BytesIO()
    writer.write(buffer)
    reader = PdfReader(buffer)
    out = []
    for i, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if "/Dest" in annot:
                out.append((i, reader.get_page_number(annot["/Dest"][0].get_object())))
            else:
                out.append((i, str(annot["/A"]["/URI"])))
    return out


def test_relink_points_links_into_the_book_and_to_the_website() -> None:
    # "互相关" is percent-encoded in the names Chromium writes and in the URLs it links.
    conv = "%E4%BA%92%E7%9B%B8%E5%85%B3"
    a = _section(2, {"top": 0}, [
        (0, f"{SERVER}ch/b.html#{conv}"),        # another page, an id on its second page
        (0, f"{SERVER}ch/b.html"),               # another page, its top
        (1, ("top",)),                           # this page, a named destination
        (1, f"{SERVER}_sources/ch/a.ipynb"),     # a download: the website's copy
        (1, "https://pytorch.org/docs/"),        # elsewhere: unchanged
        (1, f"{SERVER}intro.html"),              # the root page
    ])
    b = _section(3, {conv: 1}, [(2, "http://localhost:41234/ch/a.html#top")])
    root = _section(1, {}, [])
    writer, spans, dests = _book({"intro": root, "ch/a": a, "ch/b": b})
    counts = book_print.relink(writer, spans, dests, SERVER, PUBLIC)
    assert counts == {"internal": 5, "public": 1, "external": 1}
    # contents = 0, intro = 1, a = 2..3, b = 4..6
    assert _targets(writer) == [
        (2, 5), (2, 4), (3, 2), (3, f"{PUBLIC}_sources/ch/a.ipynb"),
        (3, "https://pytorch.org/docs/"), (3, 1), (6, 2),
    ]


def test_a_site_page_outside_the_book_is_linked_on_the_website() -> None:
    a = _section(1, {}, [(0, f"{SERVER}search.html?q=x"), (0, f"{SERVER}genindex.html#A")])
    writer, spans, dests = _book({"a": a})
    assert book_print.relink(writer, spans, dests, SERVER, PUBLIC)["public"] == 2
    assert _targets(writer) == [(1, f"{PUBLIC}search.html?q=x"), (1, f"{PUBLIC}genindex.html#A")]


def test_an_unknown_id_lands_on_the_pages_top() -> None:
    a = _section(1, {}, [(0, f"{SERVER}b.html#gone")])
    b = _section(2, {}, [])
    writer, spans, dests = _book({"a": a, "b": b})
    book_print.relink(writer, spans, dests, SERVER, PUBLIC)
    assert _targets(writer) == [(1, 2)]


def test_public_url_reads_the_config(tmp_path: Path) -> None:
    config = tmp_path / "_config.yml"
    config.write_text("html:\n  baseurl: https://example.org/book\n", encoding="utf-8")
    assert book_print.public_url(config) == "https://example.org/book/"
    for bad in ("", "http://127.0.0.1:8000/", "example.org/book"):
        config.write_text(f"html:\n  baseurl: '{bad}'\n", encoding="utf-8")
        with pytest.raises(ValueError, match="html.baseurl"):
            book_print.public_url(config)
    # The project's own configuration names its public address.
    assert book_print.public_url(ROOT / "_config.yml").startswith("https://")


def test_stamp_html_has_one_sheet_per_page_and_escapes() -> None:
    html = book_print.stamp_html([("", "目录", "1"), ("第 6 章", "6.2 <图像> 卷积", "2"),
                                  ("", "", "")])
    assert html.count('class="sheet"') == 3
    assert html.count('class="foot"') == 2 and html.count('class="head"') == 2
    assert "6.2 &lt;图像&gt; 卷积" in html


def _text_pages(texts: list[str]) -> PdfReader:
    """Pages each showing one word in Helvetica (a stand-in for the printed running heads)."""
    from pypdf.generic import DecodedStreamObject

    writer = PdfWriter()
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    for text in texts:
        page = writer.add_blank_page(book_print.PAGE_W, book_print.PAGE_H)
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 10 Tf 280 20 Td ({text}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject({
            NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    buffer = io.BytesIO()
    writer.write(buffer)
    return PdfReader(buffer)


def test_stamp_lays_each_sheet_over_its_page() -> None:
    writer = PdfWriter(clone_from=_text_pages(["body-one", "body-two"]))
    book_print.stamp(writer, _text_pages(["7", "8"]))
    texts = [page.extract_text() for page in writer.pages]
    assert "body-one" in texts[0] and "7" in texts[0] and "8" not in texts[0]
    assert "body-two" in texts[1] and "8" in texts[1]
    with pytest.raises(RuntimeError, match="3 running heads printed for 2 pages"):
        book_print.stamp(writer, _text_pages(["1", "2", "3"]))


def test_the_page_scripts_are_split() -> None:
    assert book_print.PREPARE_JS.startswith("async () =>")
    assert book_print.FIT_JS.lstrip().startswith("() =>")
    assert "FIT" not in book_print.PREPARE_JS
    assert 680 < book_print.TEXT_WIDTH_PX < 700


def test_blank_tail_counts_only_trailing_pages_without_text() -> None:
    def with_blank(texts: list[str], blanks: int) -> PdfReader:
        writer = PdfWriter(clone_from=_text_pages(texts))
        for _ in range(blanks):
            writer.add_blank_page(book_print.PAGE_W, book_print.PAGE_H)
        buffer = io.BytesIO()
        writer.write(buffer)
        return PdfReader(buffer)

    assert book_print.blank_tail(with_blank(["one", "two"], 2)) == 2
    assert book_print.blank_tail(with_blank(["one", "two"], 0)) == 0
    assert book_print.blank_tail(with_blank([], 1)) == 0  # never the first page
    # A blank page in the middle stays.
    writer = PdfWriter()
    writer.add_blank_page(book_print.PAGE_W, book_print.PAGE_H)
    for page in _text_pages(["end"]).pages:
        writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    assert book_print.blank_tail(PdfReader(buffer)) == 0
