"""What readers of the website meet: the book's per-section numbering, named section anchors,
alt texts, a favicon, working sidebar toggles, Chinese theme labels and a search that knows the
book's synonyms and shows no TeX. ``d2l_site.setup`` calls ``setup`` below.

Numbering
    Sphinx numbers figures, tables, code blocks and exercises (sphinx-exercise's nodes are
    enumerable) through the whole book when the toctree is not numbered: 图 39 on 6.2,
    练习 53 on 6.6. The book numbers them per section (图 6.2.1, 练习 6.6.3). The pages are
    ``chapters/chNN_…/chNN_MM_….md``, so after Sphinx has assigned ``env.toc_fignumbers``
    (``env-get-updated``) each page's numbers become (NN, MM, k), k counting in page order.
    Captions, exercise titles and ``{numref}`` texts all read these numbers. The other pages
    (the results page) count from 1.

Section anchors
    docutils makes an HTML id from a heading's ASCII letters; a Chinese heading has none and
    got ``#id1``, ``#id2``…. Such sections get the heading's slug instead (MyST's slug
    function, which keeps Chinese): ``#互相关运算``.

Alt texts
    An image without ``alt`` is written with its file path as the alt text. Each image gets
    its figure's caption (without TeX), or else "<page title>：插图".

Sidebar toggles
    pydata-sphinx-theme 0.17.1 and sphinx-book-theme 1.3.0 both bind their click handlers to
    the *first* ``.primary-toggle`` / ``.secondary-toggle`` of the page, the navbar buttons
    that the book layout hides; the visible ☰ and 目录 buttons in the article header get no
    handler (on a phone they only show a tooltip; on a desktop ☰ does not collapse the
    sidebar). ``site_static/d2l-reader.js`` forwards their clicks to the bound buttons. No
    pair can be pinned instead: sphinx-book-theme 1.3.0 pins pydata-sphinx-theme==0.17.1, and
    1.4.0 needs Sphinx >= 8.2, which Jupyter Book 1 (sphinx~=7.0) does not allow; 1.4.0 still
    binds to the first button too (pydata-sphinx-theme issue 2451).

Theme labels
    Some theme strings are not translated (hard-coded English titles, the search placeholder)
    or are Taiwanese (列印成 PDF). ``THEME_LABELS`` replaces them in the written pages.

Search
    - Math is not indexed (its TeX split into words like ``mathbb``), and the search snippets
      drop it (``d2l-reader.js`` patches ``Search.htmlToText``): they showed raw ``\\(…\\)``.
    - The landing page and the status page matched every query: the landing page's table of
      contents (a resolved toctree: every page's title) is not indexed, and the status page,
      a build report naming every page, stays out of the index (``NOT_INDEXED``).
    - ``SYNONYMS``: readers say 池化 or 汇聚, 丢弃法 or 暂退法…: a page that has one word of
      a group is found under every word of it.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
#: served under _static/ (html_static_path): the page script and the favicon
STATIC_DIR = HERE / "site_static"
#: copied to the site root (html_extra_path): /favicon.ico, which browsers ask for anyway
ROOT_DIR = HERE / "site_root"

#: chapters/ch06_convolutional_networks/ch06_02_image_convolution -> (6, 2)
_SECTION_PAGE = re.compile(r"(?:^|/)ch(\d+)_(\d+)_[^/]*$")

#: pages that are not in the search index: a build report matches nothing a reader looks for
NOT_INDEXED = ("status",)

#: words a reader may search for interchangeably (the book's term first)
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("汇聚", "池化"),
    ("汇聚层", "池化层"),
    ("最大汇聚", "最大池化", "maxpool", "max-pooling"),
    ("平均汇聚", "平均池化", "avgpool", "average-pooling"),
    ("暂退法", "丢弃法", "dropout"),
    ("批量规范化", "批量归一化", "批量标准化", "batchnorm", "batch-normalization"),
    ("规范化", "归一化", "标准化"),
    ("权重衰减", "权重衰退", "weight-decay"),
    ("多层感知机", "多层感知器", "mlp"),
    ("步幅", "步长", "stride"),
    ("填充", "padding"),
    ("感受野", "感受域"),
    ("全连接层", "稠密层", "dense"),
    ("迭代周期", "epoch"),
    ("小批量", "minibatch"),
    ("激活函数", "activation"),
    ("互相关", "cross-correlation"),
    ("残差网络", "resnet"),
    ("独热编码", "one-hot"),
    ("过拟合", "overfitting"),
    ("欠拟合", "underfitting"),
)

#: theme strings in English or in Traditional Chinese -> Simplified Chinese, replaced in the
#: attributes (title, aria-label, placeholder, data-bs-original-title) and texts of each page
THEME_LABELS: dict[str, str] = {
    "Toggle primary sidebar": "显示或隐藏章节目录",
    "Toggle secondary sidebar": "显示或隐藏本页目录",
    "Search this book...": "搜索本书…",
    "Search this book…": "搜索本书…",
    "Search the docs ...": "搜索本书…",
    "Search": "搜索",
    "Site navigation": "章节目录",
    "On this page": "本页目录",
    "Fullscreen mode": "全屏模式",
    "Download this page": "下载本页",
    "Source repositories": "源代码仓库",
    "Launch interactive content": "在线运行",
    "Color mode": "颜色模式",
    "Light": "浅色",
    "Dark": "深色",
    "System Settings": "跟随系统",
    "Back to top": "回到顶部",
    "Skip to main content": "跳到正文",
    "Contents": "目录",
    "列印成 PDF": "打印为 PDF",
    "列印為 PDF": "打印为 PDF",
    "Print to PDF": "打印为 PDF",
    "下載原始檔": "下载源文件",
    "原始碼儲存庫": "源代码仓库",
    "編輯此頁面": "编辑此页",
    "開啟議題": "报告问题",
    "Edit this page": "编辑此页",
    "Open an issue": "报告问题",
    "Open issue": "报告问题",
    "Download source file": "下载源文件",
    "Download notebook file": "下载笔记本文件",
    "Suggest edit": "编辑此页",
    "Repository": "源代码仓库",
    "Link to this heading": "链接到本标题",
    "Link to this image": "链接到本图",
    "Link to this table": "链接到本表",
    "Link to this code": "链接到本代码",
    "Link to this equation": "链接到本公式",
    "Link to this definition": "链接到本定义",
    "Launch Thebe": "在本页运行代码（Live Code）",
    "Launch on Binder": "在 Binder 上打开",
    "Launch on JupyterHub": "在 JupyterHub 上打开",
    "Launch on Colab": "在 Colab 上打开",
    "Main": "主导航",
    "Page": "本页",
}


# --- numbering ------------------------------------------------------------------------------

def section_of(docname: str) -> tuple[int, int] | None:
    """The book's (chapter, section) of a page, from its file name; None for other pages."""
    m = _SECTION_PAGE.search(docname)
    return (int(m[1]), int(m[2])) if m else None


def renumber_per_section(fignumbers: dict[str, dict[str, dict[str, tuple[int, ...]]]]) -> None:
    """Number each section page's figures, tables, code blocks and exercises (c, s, 1), (c, s, 2)…
    in the order Sphinx numbered them (the page order); on other pages (the results page) 1, 2…"""
    for docname, by_type in fignumbers.items():
        section = section_of(docname) or ()
        for numbers in by_type.values():
            for k, key in enumerate(sorted(numbers, key=lambda key: numbers[key]), start=1):
                numbers[key] = (*section, k)


def _on_env_get_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    renumber_per_section(env.toc_fignumbers)
    return []


# --- section anchors ------------------------------------------------------------------------

_AUTO_ID = re.compile(r"id\d+$")


def _slug(text: str) -> str:
    from myst_parser.mdit_to_docutils.base import default_slugify

    return default_slugify(text).strip("-")


def _name_sections(app: Sphinx, doctree: nodes.document) -> None:
    """Give sections whose only ids are docutils' automatic ``idN`` the heading's slug."""
    for section in doctree.findall(nodes.section):
        ids = section["ids"]
        if (not ids or not all(_AUTO_ID.match(i) for i in ids) or not section.children
                or not isinstance(section[0], nodes.title)):
            continue
        base = _slug(_plain_text(section[0])) or "section"
        slug, n = base, 2
        while slug in doctree.ids:
            slug, n = f"{base}-{n}", n + 1
        old = ids[0]
        section["ids"] = [slug, *ids[1:]]
        doctree.ids.pop(old, None)
        doctree.ids[slug] = section
        for name, target in list(doctree.nameids.items()):
            if target == old:
                doctree.nameids[name] = slug


# --- alt texts ------------------------------------------------------------------------------

_TEX_COMMAND = re.compile(r"\\[A-Za-z]+|[{}_^$\\]")


def _plain_text(node: nodes.Node) -> str:
    """A node's text for a reader: formulas without their TeX commands."""
    parts = []
    for child in node.findall(nodes.Text):
        text = child.astext()
        if isinstance(child.parent, (nodes.math, nodes.math_block)):
            text = _TEX_COMMAND.sub(" ", text)
        parts.append(text)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _is_path_like(alt: str, uri: str) -> bool:
    return not alt or alt == uri or re.fullmatch(r"\S+\.(svg|png|jpe?g|gif|pdf)", alt) is not None


def _set_alt_texts(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    title = app.env.titles.get(docname)
    page = title.astext() if title is not None else docname
    for image in doctree.findall(nodes.image):
        if not _is_path_like(image.get("alt", ""), image.get("uri", "")):
            continue
        figure = image.parent
        while figure is not None and not isinstance(figure, nodes.figure):
            figure = figure.parent
        captions = list(figure.findall(nodes.caption)) if figure is not None else []
        image["alt"] = _plain_text(captions[0]) if captions else f"{page}：插图"


# --- search ---------------------------------------------------------------------------------

def _patch_search_index() -> None:
    """Math stays out of the index; NOT_INDEXED pages too; synonyms find each other."""
    import sphinx.search as search

    if getattr(search.IndexBuilder, "_d2l_patched", False):
        return
    collect = search.IndexBuilder._word_collector

    def word_collector(self, doctree):  # noqa: ANN001, ANN202
        doctree = doctree.deepcopy()
        # Formulas are TeX, not words. A resolved toctree lists the titles of other pages: the
        # landing page (its {tableofcontents}) matched every query that names a section.
        for node in list(doctree.findall(
                lambda n: isinstance(n, (nodes.math, nodes.math_block))
                or (isinstance(n, nodes.compound) and "toctree-wrapper" in n["classes"]))):
            node.parent.remove(node)
        return collect(self, doctree)

    feed = search.IndexBuilder.feed

    def feed_with_synonyms(self, docname, filename, title, doctree):  # noqa: ANN001, ANN202
        if docname in NOT_INDEXED:
            return None
        result = feed(self, docname, filename, title, doctree)
        for mapping in (self._mapping, self._title_mapping):
            for group in SYNONYMS:
                if any(docname in mapping.get(word, ()) for word in group):
                    for word in group:
                        mapping.setdefault(word, set()).add(docname)
        return result

    search.IndexBuilder._word_collector = word_collector
    search.IndexBuilder.feed = feed_with_synonyms
    search.IndexBuilder._d2l_patched = True  # type: ignore[attr-defined]


# --- theme labels ---------------------------------------------------------------------------

_LABEL_ATTRS = ("title", "aria-label", "placeholder", "data-bs-original-title", "alt")


def translate_labels(html: str) -> str:
    """Replace THEME_LABELS in the label attributes and in short element texts of a page."""
    for english, chinese in THEME_LABELS.items():
        for attr in _LABEL_ATTRS:
            html = html.replace(f'{attr}="{english}"', f'{attr}="{chinese}"')
        html = re.sub(rf">(\s*){re.escape(english)}(\s*)<", rf">\g<1>{chinese}\g<2><", html)
    return html


def _translate_pages(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir).rglob("*.html"):
        if "_static" in path.parts or "mathjax" in path.parts:
            continue
        html = path.read_text(encoding="utf-8")
        new = translate_labels(html)
        if new != html:
            path.write_text(new, encoding="utf-8")


# --- set-up ---------------------------------------------------------------------------------

def _on_config_inited(app: Sphinx, config) -> None:  # noqa: ANN001
    config.html_static_path = [*config.html_static_path, str(STATIC_DIR)]
    config.html_extra_path = [*config.html_extra_path, str(ROOT_DIR)]
    if not config.html_favicon:
        config.html_favicon = str(STATIC_DIR / "favicon.svg")


def setup(app: Sphinx) -> None:
    _patch_search_index()
    app.connect("config-inited", _on_config_inited)
    app.add_js_file("d2l-reader.js", defer="defer")
    app.connect("doctree-read", _name_sections, priority=100)  # before the TOC collector
    app.connect("env-get-updated", _on_env_get_updated, priority=900)  # after Sphinx's numbers
    app.connect("doctree-resolved", _set_alt_texts)
    app.connect("build-finished", _translate_pages)
