"""The whole book as one PDF (``make pdf``): every page of ``_toc.yml`` in order, printed from the
built website by the browser the site tests use, then merged with a contents page and a
clickable outline.

Each page of ``<html>`` is served on 127.0.0.1 and opened in Debian's ``chromium`` driven by
Playwright (offline: a request to any other host is refused), with its math typeset by the
site's MathJax, its fonts loaded and its solutions opened; then Chromium prints it on A4,
typeset for print by ``book_print.py`` beside this file (no theme chrome or toggles, code and
outputs wrapped in the text width, wide formulas and tables shrunk to it, status marks in
words). pypdf merges the pages behind a contents page whose entries link to the first page of
each section, adds one bookmark per chapter and section, turns the links between pages into
links inside the PDF (and the other links to the temporary server into links to the public
website, ``html.baseurl`` of ``_config.yml``), and lays each page's running head (chapter and
section title) and number over it. The result goes to ``_build/pdf/book.pdf`` and is copied
to ``<html>/book.pdf``, where each page's download menu links it.

    python tools/book_pdf.py [--html _build/html] [--out _build/pdf/book.pdf]

The pages, the local server and the browser come from ``tools/book_site.py``, which the
browser tests share.
"""

from __future__ import annotations

import argparse
import html
import io
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book_site import ROOT, chromium, serve, toc_pages  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Browser

import book_print  # noqa: E402

# A4 in PostScript points, and the contents page's fixed layout (so its links can be placed).
PAGE_W, PAGE_H = book_print.PAGE_W, book_print.PAGE_H
TOC_MARGIN, TOC_TITLE_H, TOC_ROW_H = 54.0, 64.0, 20.0
BOOK_TITLE = "D2L Companion · 动手学深度学习 第 3–7 章"


@dataclass
class Entry:
    """One page of the book: its part (chapter caption, or None), docname and title."""

    part: str | None
    docname: str
    title: str = ""
    first_page: int = 0  # 0-based index in the merged PDF
    num_pages: int = 0


def toc_entries(toc_path: Path) -> list[Entry]:
    """Every page of ``_toc.yml`` in reading order (the root first)."""
    return [Entry(part, docname) for part, docname in toc_pages(toc_path)]


def print_pages(browser: Browser, base_url: str, entries: list[Entry], workdir: Path,
                log: bool = True) -> list[Path]:
    """Each page printed to ``workdir/NNN.pdf``; fills in the entries' titles."""
    from playwright.sync_api import Route

    def offline(route: Route) -> None:
        if urlparse(route.request.url).hostname in ("127.0.0.1", None):
            route.continue_()
        else:
            route.abort()

    out: list[Path] = []
    context = browser.new_context(locale="zh-CN", viewport={"width": 1000, "height": 1400})
    context.route("**/*", offline)
    page = context.new_page()
    for i, entry in enumerate(entries):
        start = time.perf_counter()
        response = page.goto(f"{base_url}{entry.docname}.html", wait_until="load", timeout=120_000)
        if response is None or response.status != 200:
            raise RuntimeError(f"book_pdf: {entry.docname}.html did not load "
                               f"(status {response and response.status}); build the site first")
        entry.title = page.evaluate(book_print.PREPARE_JS) or entry.docname
        page.add_style_tag(path=str(book_print.CSS))
        # Laid out as printed (print media, the text width), what is still too wide shrinks.
        page.emulate_media(media="print")
        page.set_viewport_size({"width": book_print.TEXT_WIDTH_PX, "height": 1400})
        page.evaluate(book_print.FIT_JS)
        path = workdir / f"{i:03d}.pdf"
        page.pdf(path=str(path), format="A4", print_background=True,
                 margin={k: f"{v}px" for k, v in book_print.MARGIN_PX.items()})
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": 1000, "height": 1400})
        out.append(path)
        if log:
            print(f"book_pdf: {entry.docname} ({time.perf_counter() - start:.1f} s)", flush=True)
    context.close()
    return out


def _toc_rows(entries: list[Entry]) -> list[tuple[str, int | None, bool]]:
    """(text, target entry index or None, is a part caption) for every line of the contents."""
    rows: list[tuple[str, int | None, bool]] = []
    part = None
    for i, entry in enumerate(entries):
        if entry.part != part and entry.part is not None:
            rows.append((entry.part, i, True))
        part = entry.part
        rows.append((entry.title, i, False))
    return rows


def _rows_per_sheet(first: bool) -> int:
    usable = PAGE_H - 2 * TOC_MARGIN - (TOC_TITLE_H if first else 0)
    return int(usable // TOC_ROW_H)


def contents_sheets(rows: list) -> list[list]:
    """The contents rows cut into pages of the fixed layout."""
    sheets: list[list] = []
    rest = list(rows)
    while rest or not sheets:
        n = _rows_per_sheet(first=not sheets)
        sheets.append(rest[:n])
        rest = rest[n:]
    return sheets


def contents_html(sheets: list[list], page_of: dict[int, int]) -> str:
    """The contents pages as HTML: fixed heights in points, one sheet per printed page."""
    css = f"""
    @page {{ size: A4; margin: {TOC_MARGIN}pt; }}
    html, body {{ margin: 0; padding: 0; font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; }}
    .sheet {{ break-after: page; }}
    .sheet:last-child {{ break-after: auto; }}
    h1 {{ height: {TOC_TITLE_H}pt; margin: 0; font-size: 20pt; line-height: {TOC_TITLE_H * 0.6}pt; }}
    h1 small {{ display: block; font-size: 11pt; font-weight: normal; line-height: 14pt; color: #555; }}
    .row {{ height: {TOC_ROW_H}pt; line-height: {TOC_ROW_H}pt; font-size: 11pt; display: flex;
            white-space: nowrap; overflow: hidden; }}
    .row .t {{ flex: 1 1 auto; overflow: hidden; text-overflow: ellipsis; }}
    .row .dots {{ flex: 1 1 auto; border-bottom: 1pt dotted #999; margin: 0 4pt 6pt; }}
    .row .p {{ flex: 0 0 auto; }}
    .part {{ font-weight: bold; font-size: 12pt; }}
    .page {{ padding-left: 1.5em; }}
    a {{ color: inherit; text-decoration: none; }}
    """
    parts = []
    for s, sheet in enumerate(sheets):
        lines = []
        if s == 0:
            lines.append(f"<h1>目录<small>{html.escape(BOOK_TITLE)}</small></h1>")
        for text, target, is_part in sheet:
            number = "" if is_part or target is None else str(page_of[target] + 1)
            cls = "part" if is_part else "page"
            lines.append(f'<div class="row {cls}"><span class="t">{html.escape(text)}</span>'
                         f'<span class="dots"></span><span class="p">{number}</span></div>')
        parts.append(f'<div class="sheet">{"".join(lines)}</div>')
    return f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>目录</title>' \
           f'<style>{css}</style></head><body>{"".join(parts)}</body></html>'


def print_html(browser: Browser, html_text: str, path: Path) -> None:
    """A standalone HTML document printed to ``path`` (A4, its own @page margins)."""
    page = browser.new_page()
    page.set_content(html_text, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.pdf(path=str(path), format="A4", prefer_css_page_size=True, print_background=True)
    page.close()


def running_heads(entries: list[Entry], contents_pages: int, total: int) -> list[tuple[str, str, str]]:
    """(left head, right head, page number) of every page of the book: the contents' pages
    read 目录; a section's read its chapter (if any) and its title."""
    heads = [("", "目录", str(i + 1)) for i in range(contents_pages)]
    for entry in entries:
        left = entry.part or ""
        heads += [(left, entry.title, str(entry.first_page + k + 1)) for k in range(entry.num_pages)]
    if len(heads) != total:
        raise RuntimeError(f"book_pdf: {len(heads)} running heads for {total} pages")
    return heads


def merge(browser: Browser, entries: list[Entry], page_pdfs: list[Path], workdir: Path,
          out: Path, server: str, public: str) -> int:
    """Contents + pages into ``out`` with an outline, linked contents, links between the pages,
    running heads and page numbers; returns the page count. ``server`` is the base URL the
    pages were printed from, ``public`` the website's (links there are rewritten)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Link
    from pypdf.generic import Fit

    readers = [PdfReader(p) for p in page_pdfs]
    dests = book_print.Destinations()
    # A box's bottom edge that spills onto a page of its own at a section's end is dropped.
    kept = {id(r): len(r.pages) - book_print.blank_tail(r) for r in readers}
    for entry, reader in zip(entries, readers):
        dests.add(entry.docname, reader, kept[id(reader)])
    rows = _toc_rows(entries)
    sheets = contents_sheets(rows)
    offset = len(sheets)  # the contents come first
    for entry, reader in zip(entries, readers):
        entry.first_page = offset
        entry.num_pages = kept[id(reader)]
        offset += entry.num_pages
    page_of = {i: e.first_page for i, e in enumerate(entries)}
    toc_pdf = workdir / "contents.pdf"
    print_html(browser, contents_html(sheets, page_of), toc_pdf)
    toc_reader = PdfReader(toc_pdf)
    if len(toc_reader.pages) != len(sheets):
        raise RuntimeError(f"book_pdf: the contents took {len(toc_reader.pages)} pages, "
                           f"laid out for {len(sheets)}")

    writer = PdfWriter()
    for reader in [toc_reader, *readers]:
        for page in reader.pages[: kept.get(id(reader), len(reader.pages))]:
            writer.add_page(page)
    # Links between the pages and inside them land in the book; the rest on the website.
    counts = book_print.relink(writer, [(e.docname, e.first_page, e.num_pages) for e in entries],
                               dests, server, public)
    # Every page's running head and number.
    stamp_pdf = workdir / "heads.pdf"
    print_html(browser, book_print.stamp_html(running_heads(entries, len(sheets),
                                                            len(writer.pages))),
               stamp_pdf)
    book_print.stamp(writer, PdfReader(stamp_pdf))
    # The contents' entries link to their pages.
    for s, sheet in enumerate(sheets):
        top = TOC_MARGIN + (TOC_TITLE_H if s == 0 else 0)
        for r, (_, target, _) in enumerate(sheet):
            if target is None:
                continue
            y_top = PAGE_H - (top + r * TOC_ROW_H)
            writer.add_annotation(s, Link(
                rect=(TOC_MARGIN, y_top - TOC_ROW_H, PAGE_W - TOC_MARGIN, y_top),
                target_page_index=page_of[target], fit=Fit.fit(),
            ))
    # The outline: 目录, then each chapter (part) with its sections, and the other pages.
    writer.add_outline_item(title="目录", page_number=0)
    parents: dict[str, object] = {}
    for entry in entries:
        if entry.part is None:
            writer.add_outline_item(title=entry.title, page_number=entry.first_page)
            continue
        if entry.part not in parents:
            parents[entry.part] = writer.add_outline_item(title=entry.part, page_number=entry.first_page)
        writer.add_outline_item(title=entry.title, page_number=entry.first_page,
                                parent=parents[entry.part])
    print(f"book_pdf: links: {counts['internal']} inside the book, {counts['public']} to the "
          f"website ({public}), {counts['external']} elsewhere", flush=True)
    writer.page_mode = "/UseOutlines"
    writer.add_metadata({"/Title": BOOK_TITLE, "/Author": "D2L Companion contributors"})
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    writer.write(buffer)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(out)
    return len(writer.pages)


def mark_pages(html_dir: Path) -> int:
    """Switch on the download menu's "全书 PDF" entry in every page (``bookPdfBuilt``, written by
    ``_ext/d2l_site/live.py``); returns the number of pages changed."""
    changed = 0
    for page in html_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if '"bookPdfBuilt": false' in text:
            page.write_text(text.replace('"bookPdfBuilt": false', '"bookPdfBuilt": true'),
                            encoding="utf-8")
            changed += 1
    return changed


def build(html_dir: Path, out: Path, toc: Path = ROOT / "_toc.yml") -> int:
    """Print and merge the book; returns the number of PDF pages."""
    if not (html_dir / "index.html").is_file():
        raise SystemExit(f"book_pdf: no website in {html_dir}: run `make book` "
                         "(or `make book-strict`) first")
    public = book_print.public_url(ROOT / "_config.yml")
    entries = toc_entries(toc)
    start = time.perf_counter()
    with (tempfile.TemporaryDirectory(prefix="book-pdf-") as tmp, serve(html_dir) as base_url,
          chromium() as browser):
        pdfs = print_pages(browser, base_url, entries, Path(tmp))
        pages = merge(browser, entries, pdfs, Path(tmp), out, base_url, public)
    shutil.copy(out, html_dir / "book.pdf")
    mark_pages(html_dir)
    print(f"book_pdf: {out} ({pages} pages, {len(entries)} sections) in "
          f"{time.perf_counter() - start:.0f} s; linked from the site as book.pdf")
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf" / "book.pdf")
    args = parser.parse_args(argv)
    try:
        build(args.html.resolve(), args.out.resolve())
    except FileNotFoundError as e:  # no browser: the message says how to install it
        raise SystemExit(f"book_pdf: {e}") from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
