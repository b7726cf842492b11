"""What the download menu gives: each page's notebook with its outputs, and the whole book as a
PDF.

MyST-NB 1.4 writes the *unexecuted* notebook to ``jupyter_execute/`` when its outputs come from
the execution cache (it merges them into a copy), so the theme's ".ipynb" download button gave
readers a notebook without outputs on every cached build. ``_fill_downloaded_notebooks`` merges
the cached outputs back into ``_sources/<page>.ipynb`` after the build.

``make pdf`` (``tools/book_pdf.py``) prints every page to ``_build/pdf/book.pdf`` and copies it
to ``<html>/book.pdf``; each page's download menu gets a "全书 PDF" entry, shown only when that
file is there: ``make pdf`` sets ``bookPdfBuilt`` in every page it printed (no request is made
to find out), and a later build sets it when the file exists (``live.py`` writes the setting).
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx

#: the PDF of the whole book, relative to the site's root (written by `make pdf`)
BOOK_PDF = "book.pdf"


def _fill_downloaded_notebooks(app: Sphinx, exception: Exception | None) -> None:
    """Give each downloadable ``_sources/<page>.ipynb`` the outputs of its cached execution."""
    if exception is not None or app.builder.format != "html":
        return
    nb_config = getattr(app.env, "mystnb_config", None)  # what MyST-NB itself used
    if nb_config is None or nb_config.execution_mode != "cache":
        return
    import nbformat
    from jupyter_cache import get_cache

    cache = get_cache(nb_config.execution_cache_path)
    for docname in sorted(app.env.found_docs):
        path = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
        if not path.is_file():
            continue
        nb = nbformat.read(path, as_version=4)
        # Always from the cache, also where the page ran in this build: the notebook MyST-NB
        # writes then has outputs, but not the glue(display=False) ones the plain download fills
        # its numbers from (an already plain notebook no longer matches: KeyError below).
        try:
            _, merged = cache.merge_match_into_notebook(nb)
        except KeyError:  # not in the cache: it was not executed
            continue
        nbformat.write(merged, path)


def download_menu(context: dict) -> list[dict]:
    """The buttons of the page's download menu (an empty list where the theme shows none)."""
    for group in context.get("header_buttons", []) or []:
        if isinstance(group, dict) and group.get("label") == "download-buttons":
            return group["buttons"]
    return []


def menu_link(url: str, text: str, tooltip: str, icon: str, label: str) -> dict:
    """One link entry of the download menu, as the book theme describes its buttons."""
    return {"type": "link", "url": url, "text": text, "tooltip": tooltip, "icon": icon,
            "label": label}


def _book_pdf_entry(app: Sphinx, pagename: str, templatename: str, context: dict,
                    doctree: object) -> None:
    """The whole book as a PDF, in the page's download menu (shown by d2l-live.js when
    present)."""
    buttons = download_menu(context)
    if buttons:
        buttons.append(menu_link(context["pathto"](BOOK_PDF, 1), "全书 PDF",
                                 "下载全书 PDF（所有页面，含目录）", "fas fa-book",
                                 "download-book-pdf-button"))


def setup(app: Sphinx) -> None:
    # After the book theme fills header_buttons (501).
    app.connect("html-page-context", _book_pdf_entry, priority=600)
    app.connect("build-finished", _fill_downloaded_notebooks)
