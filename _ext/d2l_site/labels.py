"""The theme's labels in Simplified Chinese, by three means, none of which edits written HTML:

- a message catalog, ``locale/zh_CN/LC_MESSAGES/sphinx.po``, for the strings Sphinx and
  pydata-sphinx-theme translate (``_()`` in templates, permalink titles): ``_config.yml``'s
  ``locale_dirs`` puts it ahead of their own catalogs, which lack some strings and give others
  in another variant of Chinese;
- template overrides, ``templates/``, for the strings the book theme writes in English
  (``TEMPLATE_LABELS``): copies of its components with only those strings changed;
- the book theme's own catalog (domain ``booktheme``) lacks some strings (the launch menu's
  logos' alt texts, "Binder logo"): ``theme_locale/zh_CN/LC_MESSAGES/booktheme.po`` holds them, compiled
  into the build folder and added behind the theme's catalog (``BOOKTHEME_CATALOG``);
- ``HEADER_BUTTONS`` for the buttons above each page, which the book theme builds in Python from
  its own catalog (列印成 PDF, 下載原始檔…) or in English: their tooltips and texts are set
  in the page's context, by each button's ``label`` (or its text, where it has none).

The search box's placeholder and the print-only contents' title are theme options
(``THEME_OPTIONS``). ``tests/test_site_ext.py`` checks that the overridden templates still match
the theme's but for these strings; the browser tests check the built pages.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
CATALOG = HERE / "locale" / "zh_CN" / "LC_MESSAGES" / "sphinx.po"
#: the strings the book theme's zh_CN catalog lacks (domain "booktheme"); outside locale_dirs,
#: which Sphinx compiles in place, so that only compile_catalog compiles it, into the build folder
BOOKTHEME_CATALOG = HERE / "theme_locale" / "zh_CN" / "LC_MESSAGES" / "booktheme.po"

#: theme options that are labels
THEME_OPTIONS = {"search_bar_text": "搜索本书…", "toc_title": "目录"}

#: template -> {the theme's English: the Chinese of templates/<template>}
TEMPLATE_LABELS: dict[str, dict[str, str]] = {
    "toggle-primary-sidebar.html": {'title="Toggle primary sidebar"': 'title="显示或隐藏章节目录"'},
    "toggle-secondary-sidebar.html": {'title="Toggle secondary sidebar"': 'title="显示或隐藏本页目录"'},
    "sbt-sidebar-nav.html": {'aria-label="Main"': 'aria-label="主导航"'},
    "layout.html": {'aria-label="Page"': 'aria-label="本页"'},
}

#: header button (its ``label``, or its ``text`` where it has no label) -> fields in Chinese
HEADER_BUTTONS: dict[str, dict[str, str]] = {
    "download-buttons": {"tooltip": "下载本页"},
    "download-notebook-button": {"tooltip": "下载笔记本文件"},
    "download-source-button": {"tooltip": "下载源文件"},
    "download-pdf-button": {"tooltip": "打印为 PDF"},
    "fullscreen-button": {"tooltip": "全屏模式"},
    "launch-buttons": {"tooltip": "在线运行"},
    "launch-thebe": {"tooltip": "在本页运行代码（Live Code）"},
    "Binder": {"tooltip": "在 Binder 上打开"},
    "JupyterHub": {"tooltip": "在 JupyterHub 上打开"},
    "Colab": {"tooltip": "在 Colab 上打开"},
    "source-buttons": {"tooltip": "源代码仓库"},
    "source-repository-button": {"tooltip": "源代码仓库", "text": "源代码仓库"},
    "source-file-button": {"tooltip": "显示源文件", "text": "显示源文件"},
    "source-edit-button": {"tooltip": "编辑此页", "text": "编辑此页"},
    "source-issues-button": {"tooltip": "报告问题", "text": "报告问题"},
}


def catalog_labels(path: Path = CATALOG) -> dict[str, str]:
    """The catalog's msgid -> msgstr (single-line entries, as ``sphinx.po`` writes them)."""
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', path.read_text(encoding="utf-8"), re.M)
    return dict(pairs)


def english_labels() -> set[str]:
    """Every English label this module replaces, as a reader would see it (for the tests)."""
    labels = set(catalog_labels())
    for replacements in TEMPLATE_LABELS.values():
        labels |= {re.sub(r'^[\w-]+="(.*)"$', r"\1", english) for english in replacements}
    return labels


def translate_header_buttons(buttons: list) -> None:
    """Set the Chinese tooltips and texts of ``HEADER_BUTTONS`` in a page's ``header_buttons``
    (groups included), in place."""
    for button in buttons:
        if not isinstance(button, dict):
            continue
        fields = HEADER_BUTTONS.get(button.get("label") or button.get("text") or "")
        if fields:
            button.update(fields)
        translate_header_buttons(button.get("buttons") or [])


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict,
                  doctree: object) -> None:
    translate_header_buttons(context.get("header_buttons") or [])


def _on_config_inited(app: Sphinx, config) -> None:  # noqa: ANN001
    config.templates_path = [str(TEMPLATES), *config.templates_path]
    config.html_theme_options = {**(config.html_theme_options or {}), **THEME_OPTIONS}
    locale = CATALOG.parents[2].resolve()
    if locale not in {(Path(app.srcdir) / d).resolve() for d in config.locale_dirs}:
        raise ExtensionError(
            "d2l_site: _config.yml must name the theme's Chinese labels in sphinx.config: "
            f"`locale_dirs: [{os.path.relpath(locale, app.srcdir)}]`")


def compile_catalog(po: Path, locale_dir: Path, language: str = "zh_CN") -> Path:
    """``po`` compiled to ``locale_dir/<language>/LC_MESSAGES/<name>.mo`` (gettext reads only
    ``.mo``, and Sphinx compiles only the ``sphinx`` domain of ``locale_dirs`` by itself)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    mo = locale_dir / language / "LC_MESSAGES" / f"{po.stem}.mo"
    mo.parent.mkdir(parents=True, exist_ok=True)
    with po.open("rb") as src:
        catalog = read_po(src, locale=language)
    with mo.open("wb") as out:
        write_mo(out, catalog)
    return mo


def setup(app: Sphinx) -> None:
    # The book theme's strings its own zh_CN catalog lacks: a fallback behind that catalog,
    # compiled into the build folder (a build edits no source file).
    if (app.config.language or "").replace("-", "_") == "zh_CN":
        locale_dir = Path(app.doctreedir).parent / "locale"
        compile_catalog(BOOKTHEME_CATALOG, locale_dir)
        app.add_message_catalog(BOOKTHEME_CATALOG.stem, str(locale_dir))
    app.connect("config-inited", _on_config_inited)
    # After the book theme fills header_buttons (its handlers run at the default 500).
    app.connect("html-page-context", _page_context, priority=550)
