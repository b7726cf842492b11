"""Live Code (Thebe) from the site, with a Chinese message when Binder cannot be reached.

sphinx-thebe 0.3.1 loads Thebe from unpkg.com; ``vendor.py`` serves ``thebe`` from the site
instead (``<html>/thebe/``) and this module points each page's ``THEBE_JS_URL`` there. The npm
registry this project builds from carries thebe 0.9.x only; 0.9 keeps the ``thebelab`` global
(``bootstrap``, ``on("status")``) that sphinx-thebe's script calls. Thebe's MathJax 2 download
(for LaTeX outputs, which the pages have none of) is switched off.

``static/d2l-live.js`` replaces sphinx-thebe's ``initThebe``: it loads Thebe from the site,
first checks that the Binder server (``launch_buttons.binderhub_url``) answers within
``D2L_LIVE.timeoutMs`` (``d2l_live_timeout_s``, 20 s), and otherwise shows a message in Chinese
with what the reader can do instead: download the page's ``.ipynb`` or ``.md``, or run the book
locally (``make lab``, or the README's commands). A Binder that fails later (build error, lost
connection) shows the same message.

sphinx-thebe 0.3.1 registers its inline configuration script twice in a Jupyter Book build, so
every page declared ``const THEBE_JS_URL`` twice and raised a SyntaxError in the browser;
``_drop_repeated_scripts`` drops repeated identical script entries.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx

from .downloads import BOOK_PDF


def _binder_url(app: Sphinx) -> str:
    options = getattr(app.config, "html_theme_options", None) or {}
    launch = options.get("launch_buttons", {}) or {}
    return str(launch.get("binderhub_url") or "https://mybinder.org").rstrip("/")


def _readme_url(app: Sphinx) -> str:
    """The README on the repository of ``_config.yml`` (``repository.url`` and ``branch``)."""
    options = getattr(app.config, "html_theme_options", None) or {}
    url = str(options.get("repository_url") or "").rstrip("/")
    branch = options.get("repository_branch") or "main"
    return f"{url}/blob/{branch}/README.md" if url else ""


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict,
                  doctree: object) -> None:
    """Point sphinx-thebe's THEBE_JS_URL at the site's copy and tell d2l-live.js the page's
    settings."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    pathto = context["pathto"]
    thebe_js = pathto("thebe/index.js", 1)
    settings = {
        "thebeJs": thebe_js,
        "thebeCss": pathto("thebe/thebe.css", 1),
        "binderUrl": _binder_url(app),
        "timeoutMs": int(app.config.d2l_live_timeout_s * 1000),
        "readme": _readme_url(app),
        "bookPdf": pathto(BOOK_PDF, 1),
        # `make pdf` turns this on in every page once it has written <html>/book.pdf.
        "bookPdfBuilt": (Path(app.outdir) / BOOK_PDF).is_file(),
    }
    for i, js in enumerate(scripts):
        body = getattr(js, "attributes", {}).get("body", "")
        if not getattr(js, "filename", None) and isinstance(body, str) and "const THEBE_JS_URL" in body:
            start = body.index("const THEBE_JS_URL")
            end = body.index(";", start) if ";" in body[start:] else len(body)
            new_body = (f"{body[:start]}const THEBE_JS_URL = {json.dumps(thebe_js)}{body[end:]}; "
                        f"window.D2L_LIVE = {json.dumps(settings, ensure_ascii=False)}")
            attributes = {k: v for k, v in js.attributes.items() if k != "body"}
            scripts[i] = type(js)(None, priority=js.priority, body=new_body, **attributes)


def _drop_repeated_scripts(app: Sphinx, pagename: str, templatename: str,
                           context: dict, doctree: object) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique: list[object] = []
    for js in scripts:
        # An inline script's filename is None or "" depending on who added it.
        key = (os.fspath(getattr(js, "filename", js) or ""), getattr(js, "priority", 0),
               tuple(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def _thebe_without_mathjax(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Thebe 0.9 loads MathJax 2 from cdnjs for LaTeX outputs: switch that off."""
    for raw in list(doctree.findall(nodes.raw)):
        text = raw.astext()
        if 'type="text/x-thebe-config"' in text and "mathjaxUrl" not in text:
            new = text.replace("predefinedOutput: true", "predefinedOutput: true,\n        mathjaxUrl: false")
            raw.replace_self(nodes.raw(text=new, format="html"))


def setup(app: Sphinx) -> None:
    app.add_config_value("d2l_live_timeout_s", 20, "html")
    # After the book theme fills header_buttons (501), before the repeats are dropped (900).
    app.connect("html-page-context", _page_context, priority=600)
    app.connect("html-page-context", _drop_repeated_scripts, priority=900)
    app.connect("doctree-resolved", _thebe_without_mathjax, priority=600)
