"""Typesetting the whole-book PDF for print (used by ``book_pdf.py``).

Before a page is printed (``prepare`` / ``fit``)
    ``book_print.css`` takes away the theme's chrome and makes code and outputs wrap inside the
    text width; ``book_print.js`` opens solutions and collapsed code without their toggles,
    writes status marks in words (an emoji prints as an empty box without an emoji font), gives
    every id of the page a named PDF destination, and, laid out at the printed text width,
    scales down what still does not fit (a wide formula, a wide table).

After the pages are merged (``relink``, ``stamp``)
    Chromium writes a link to another page of the book as a URL on the temporary server, and a
    link inside a page as a named destination of that page's PDF. ``relink`` turns both into
    links to the merged book's pages (the very place of the target id), and the other links to
    the temporary server (downloads, the search page) into links to the public website,
    ``html.baseurl`` of ``_config.yml``. ``stamp`` prints every page's running head (the
    chapter and the section title) and its number, and lays them over the pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import yaml

HERE = Path(__file__).resolve().parent
CSS = HERE / "book_print.css"
_JS = (HERE / "book_print.js").read_text(encoding="utf-8")
#: the page's preparation (screen layout) and the shrinking of what is too wide (print layout)
PREPARE_JS, FIT_JS = (part.split("\n", 1)[1] for part in _JS.split("// ---- FIT ----"))
PREPARE_JS = PREPARE_JS[PREPARE_JS.index("async () =>"):]

#: A4 in PostScript points
PAGE_W, PAGE_H = 595.28, 841.89
#: the printed pages' margins in CSS pixels (0.75 pt; 18 mm and 13.8 mm): whole pixels that are
#: whole points, as Chromium rounds a margin down to whole points (53 px would print as 52)
MARGIN_PX = {"top": 68, "bottom": 68, "left": 52, "right": 52}
PT_PER_PX = 0.75
#: the text width in CSS pixels, A4's width (793.7 px) rounded down less the side margins:
#: what ``FIT_JS`` fits to (Chromium lays the printed page out a pixel or two wider)
TEXT_WIDTH_PX = int(210 / 25.4 * 96) - MARGIN_PX["left"] - MARGIN_PX["right"]
#: where the running head's and the page number's boxes sit (their distance from the edge, px)
HEAD_PX, FOOT_PX = 26, 24


def public_url(config: Path) -> str:
    """The public website's address, ``html.baseurl`` of ``_config.yml``, ending in ``/``."""
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    url = str((data.get("html") or {}).get("baseurl") or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.hostname in LOCAL_HOSTS:
        raise ValueError(f"{config}: html.baseurl is {url!r}; set it to the public address of the "
                         "website (e.g. https://example.github.io/book/): the PDF's links to "
                         "downloads and to the website point there")
    return url if url.endswith("/") else url + "/"


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0")


@dataclass
class Destinations:
    """Where each id of each printed page landed: docname -> {id: (page in its PDF, top)}."""

    by_doc: dict[str, dict[str, tuple[int, float]]] = field(default_factory=dict)

    def add(self, docname: str, reader: object, pages: int | None = None) -> None:
        """Read one page's PDF (a ``pypdf.PdfReader``): its named destinations; with ``pages``,
        one on a later page (dropped) lands on the last page kept."""
        found: dict[str, tuple[int, float]] = {}
        for name, dest in reader.named_destinations.items():  # type: ignore[attr-defined]
            page = reader.get_destination_page_number(dest)  # type: ignore[attr-defined]
            top = float(dest.top) if dest.top is not None else PAGE_H
            if pages is not None and page >= pages:
                page, top = pages - 1, PAGE_H
            found[unquote(str(name).lstrip("/"))] = (page, top)
        self.by_doc[docname] = found

    def find(self, docname: str, fragment: str) -> tuple[int, float] | None:
        return self.by_doc.get(docname, {}).get(unquote(fragment))


def blank_tail(reader: object, max_stream: int = 4000) -> int:
    """How many pages at the end of a printed page's PDF (a ``pypdf.PdfReader``) are blank but
    for the bottom edge of a box that did not fit on the page before (no text, no image and a
    content stream of a few path operators). Never counts the first page."""
    pages = reader.pages  # type: ignore[attr-defined]
    count = 0
    for page in reversed(pages[1:]):
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        contents = page.get_contents()
        size = len(contents.get_data()) if contents is not None else 0
        if (page.extract_text() or "").strip() or xobjects or size > max_stream:
            break
        count += 1
    return count


def _docname(path: str) -> str | None:
    path = unquote(path).lstrip("/")
    if path.endswith(".html"):
        return path[: -len(".html")]
    if path in ("", "index"):
        return ""
    return None


def relink(writer: object, sections: Sequence[tuple[str, int, int]], dests: Destinations,
           server: str, public: str) -> dict[str, int]:
    """Rewrite the links of the merged book (a ``pypdf.PdfWriter``) in place.

    ``sections``: (docname, first page in the book, number of pages) of each printed page, in
    order; ``server``: the temporary server's base URL; ``public``: the website's. Returns
    counts: ``internal`` (links to a page of the book), ``public`` (links to the website) and
    ``external`` (left as they were).
    """
    from pypdf.generic import ArrayObject, FloatObject, NameObject, NullObject, TextStringObject

    first = {doc: start for doc, start, _ in sections}
    root_doc = sections[0][0] if sections else ""
    pages = writer.pages  # type: ignore[attr-defined]
    counts = {"internal": 0, "public": 0, "external": 0}

    def goto(doc: str, fragment: str) -> ArrayObject | None:
        if doc not in first:
            return None
        where = dests.find(doc, fragment) if fragment else None
        page, top = (first[doc] + where[0], where[1]) if where else (first[doc], PAGE_H)
        return ArrayObject([pages[page].indirect_reference, NameObject("/XYZ"), NullObject(),
                            FloatObject(top), NullObject()])

    for doc, start, count in sections:
        for index in range(start, start + count):
            for ref in pages[index].get("/Annots") or []:
                annot = ref.get_object()
                if annot.get("/Subtype") != "/Link":
                    continue
                target = None
                dest = annot.get("/Dest")
                action = annot.get("/A")
                action = action.get_object() if action is not None else None
                if dest is not None and not isinstance(dest, ArrayObject):
                    target = goto(doc, str(dest).lstrip("/"))  # a named destination of this page
                elif action is not None and action.get("/S") == "/URI":
                    uri = str(action["/URI"])
                    parts = urlsplit(uri)
                    if uri.startswith(server) or parts.hostname in LOCAL_HOSTS:
                        name = _docname(parts.path)
                        name = root_doc if name == "" else name
                        target = goto(name, parts.fragment) if name is not None else None
                        if target is None:  # a download, the search page: on the website
                            url = urljoin(public, parts.path.lstrip("/"))
                            if parts.query:
                                url += "?" + parts.query
                            if parts.fragment:
                                url += "#" + parts.fragment
                            action[NameObject("/URI")] = TextStringObject(url)
                            counts["public"] += 1
                            continue
                    else:
                        counts["external"] += 1
                        continue
                if target is None:
                    raise RuntimeError(f"book_pdf: a link on {doc} has no target in the book: "
                                       f"{dict(annot)}")
                for key in ("/A", "/Dest"):
                    if key in annot:
                        del annot[key]
                annot[NameObject("/Dest")] = target
                counts["internal"] += 1
    return counts


def stamp_html(heads: Sequence[tuple[str, str, str]]) -> str:
    """One A4 sheet per page of the book, blank but for its running head and its number.

    ``heads``: (left head, right head, page number) of each page; an empty string leaves it
    out. Printed by Chromium with no margins, then laid over the book's pages.
    """
    css = f"""
    @page {{ size: A4; margin: 0; }}
    html, body {{ margin: 0; padding: 0; font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC",
                 sans-serif; color: #444; }}
    .sheet {{ position: relative; width: 100vw; height: 100vh; overflow: hidden;
              break-after: page; }}
    .sheet:last-child {{ break-after: auto; }}
    .head {{ position: absolute; left: {MARGIN_PX['left']}px; right: {MARGIN_PX['right']}px;
             top: {HEAD_PX}px; height: 18px; font-size: 8pt; line-height: 18px;
             display: flex; gap: 6mm; border-bottom: 0.3pt solid #999; }}
    .head span {{ white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
    .head .l {{ flex: 0 1 auto; }}
    .head .r {{ flex: 1 1 auto; text-align: right; }}
    .foot {{ position: absolute; left: 0; right: 0; bottom: {FOOT_PX}px; height: 18px;
             line-height: 18px; text-align: center; font-size: 9pt; }}
    """
    sheets = []
    for left, right, number in heads:
        head = ""
        if left or right:
            head = (f'<div class="head"><span class="l">{escape(left)}</span>'
                    f'<span class="r">{escape(right)}</span></div>')
        foot = f'<div class="foot">{escape(number)}</div>' if number else ""
        sheets.append(f'<div class="sheet">{head}{foot}</div>')
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>stamp</title>'
            f'<style>{css}</style></head><body>{"".join(sheets)}</body></html>')


def stamp(writer: object, stamp_reader: object) -> None:
    """Lay page i of ``stamp_reader`` over page i of ``writer`` (same page count)."""
    pages = writer.pages  # type: ignore[attr-defined]
    stamps = stamp_reader.pages  # type: ignore[attr-defined]
    if len(stamps) != len(pages):
        raise RuntimeError(f"book_pdf: {len(stamps)} running heads printed for {len(pages)} pages")
    for page, over in zip(pages, stamps):
        page.merge_page(over)
