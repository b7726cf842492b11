"""The interface around the pages: on a phone, in Chinese, without console errors.

Phone (390 px)
    ``static/d2l-phone.js`` and ``d2l-phone.css`` (registered here): a table wider than
    the column stacks into one card per row; a tap on a link in the ☰ or 目录 drawer closes
    the drawer; code, outputs, formulas and tables wider than the column show a fade at the
    edge that has more.

Chinese
    The theme's menu entries (``Live Code``, ``Binder``, ``.pdf`` that opened the print
    dialog) become 实时代码, Binder 启动 and 打印本页, with Chinese tooltips (the logos' alt
    texts, "Binder 图标", come from a catalog: ``labels.py``); the footer names the project and its licence in
    Chinese (``html.extra_footer`` in ``_config.yml``) instead of "By … contributors" and
    "© Copyright 2026.".

Theme mode
    pydata-sphinx-theme logs "Got invalid theme mode" on a first visit when no default mode is
    set; the pages default to ``auto`` (the reader's system setting).

Search snippets
    On the search page, ``static/d2l-search.js`` makes each result's snippet the first
    sentence of the page's prose that holds a search term or one of its synonyms
    (``SYNONYMS``, given to the page as ``window.D2L_SYNONYMS``), else a line of code or a
    heading (with the sentence under it) that holds one, not "〈title〉 目录".

``tests/browser/test_site_interface.py`` checks all of this on every page.
"""

from __future__ import annotations

import re

from sphinx.application import Sphinx

#: the launch and download menu entries: label -> (text, tooltip); None keeps the text
MENU: dict[str, tuple[str | None, str]] = {
    "launch-thebe": ("实时代码", "在本页直接运行代码（Thebe，连接 Binder）"),
    "launch-binder-button": ("Binder 启动", "在 Binder 上用 JupyterLab 打开本页"),
    "download-pdf-button": ("打印本页", "打印本页，或在打印对话框中另存为 PDF"),
}
#: the body of a new issue from a page's 报告问题 button (the same as .github/ISSUE_TEMPLATE/page.md)
ISSUE_BODY = (
    "页面：{url}\n\n"
    "**哪里有问题**（引用原文、公式或代码；截图更好）：\n\n\n"
    "**应该是什么样**：\n\n\n"
    "**运行环境**（与运行代码有关时填写：操作系统、Python、PyTorch、d2lcore 的版本，"
    "`python -c \"import torch, d2lcore; print(torch.__version__, d2lcore.__version__)\"`）：\n"
)

#: the footer's parts (pydata/sphinx-book-theme components): the project and licence only
FOOTER_ITEMS = ["extra-footer.html", "last-updated.html"]


def _menu_entry(button: dict) -> None:
    label = str(button.get("label") or "")
    text = str(button.get("text") or "")
    key = label if label in MENU else ("launch-binder-button" if text == "Binder" else "")
    if key:
        new_text, tooltip = MENU[key]
        if new_text:
            button["text"] = new_text
        button["tooltip"] = tooltip


def issue_url(repository_url: str, site_url: str, pagename: str, title: str) -> str:
    """A new issue on GitHub about one page, its title and body in Chinese (the theme's were
    "Issue on page …" and "Your issue content here.")."""
    from urllib.parse import urlencode

    page = f"{site_url.rstrip('/')}/{pagename}.html" if site_url else f"/{pagename}.html"
    query = urlencode({"template": "page.md", "title": f"【页面问题】{title}",
                       "body": ISSUE_BODY.format(url=page)})
    return f"{repository_url.rstrip('/')}/issues/new?{query}"


def _search_page(app: Sphinx, pagename: str) -> None:
    """The snippet script and the synonyms, on the search page only."""
    import json

    from .search import SYNONYMS

    if pagename != "search":
        return
    app.add_js_file(None, body=f"window.D2L_SYNONYMS = {json.dumps(SYNONYMS, ensure_ascii=False)};")
    app.add_js_file("d2l-search.js", defer="defer")


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict,
                  doctree: object) -> None:
    _search_page(app, pagename)
    if not context.get("default_mode"):
        context["default_mode"] = "auto"
    options = getattr(app.config, "html_theme_options", None) or {}
    repository = str(options.get("repository_url") or "")
    title = re.sub(r"<[^>]+>", "", str(context.get("title") or pagename))
    for group in context.get("header_buttons", []) or []:
        if not isinstance(group, dict):
            continue
        if group.get("label") == "launch-buttons":
            group["tooltip"] = "在线运行本页的代码"
        for button in group.get("buttons", []) or [group]:
            if not isinstance(button, dict):
                continue
            _menu_entry(button)
            if button.get("label") == "source-issues-button" and "github.com" in repository:
                button["url"] = issue_url(repository, str(app.config.html_baseurl or ""),
                                          pagename, title)


def _on_config_inited(app: Sphinx, config) -> None:  # noqa: ANN001
    options = dict(config.html_theme_options or {})
    options["footer_content_items"] = FOOTER_ITEMS
    config.html_theme_options = options


def setup(app: Sphinx) -> None:
    # static/ is on html_static_path already (assets.py adds it).
    app.add_js_file("d2l-phone.js", defer="defer")
    app.add_css_file("d2l-phone.css")
    app.connect("config-inited", _on_config_inited, priority=900)
    # After the book theme fills header_buttons (501) and labels/live/downloads set theirs;
    # before live drops repeated scripts (900), which would lose the search page's scripts.
    app.connect("html-page-context", _page_context, priority=850)
