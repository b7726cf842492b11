"""The Chinese search: the book's terms as words, its synonyms, no TeX and no build report.

- The index is cut into words by jieba, whose dictionary does not know the book's terms
  (权重衰减 became 权重 + 衰减, so searching 权重衰减 found nothing in the text).
  ``jieba_dict.txt`` beside this file adds them (``html_search_options["dict"]``).
- Math is not indexed (its TeX split into words like ``mathbb``), and the search snippets
  drop it (``static/d2l-reader.js`` patches ``Search.htmlToText``): they showed raw ``\\(…\\)``.
- The landing page and the status page matched every query: the landing page's table of
  contents (a resolved toctree: every page's title) is not indexed, and the status page,
  a build report naming every page, stays out of the index (``NOT_INDEXED``).
- ``SYNONYMS``: readers say 池化 or 汇聚, 丢弃法 or 暂退法…: a page that has one word of
  a group is found under every word of it.

The index is Sphinx's own, subclassed (``BookIndexBuilder``); the HTML builder, subclassed too
and registered as ``html``, uses it.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.search import IndexBuilder, WordStore

JIEBA_DICT = Path(__file__).with_name("jieba_dict.txt")

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


class BookIndexBuilder(IndexBuilder):
    """Sphinx's search index without math, tables of contents or ``NOT_INDEXED`` pages, where
    a page with one word of a ``SYNONYMS`` group is found under every word of it."""

    def _word_collector(self, doctree: nodes.document) -> WordStore:
        doctree = doctree.deepcopy()
        # Formulas are TeX, not words. A resolved toctree lists the titles of other pages: the
        # landing page (its {tableofcontents}) matched every query that names a section.
        for node in list(doctree.findall(
                lambda n: isinstance(n, (nodes.math, nodes.math_block))
                or (isinstance(n, nodes.compound) and "toctree-wrapper" in n["classes"]))):
            node.parent.remove(node)
        return super()._word_collector(doctree)

    def feed(self, docname: str, filename: str, title: str, doctree: nodes.document) -> None:
        if docname in NOT_INDEXED:
            return
        super().feed(docname, filename, title, doctree)
        for mapping in (self._mapping, self._title_mapping):
            for group in SYNONYMS:
                if any(docname in mapping.get(word, ()) for word in group):
                    for word in group:
                        mapping.setdefault(word, set()).add(docname)


class BookHTMLBuilder(StandaloneHTMLBuilder):
    """Sphinx's HTML builder (it replaces ``html``) with ``BookIndexBuilder`` as its search
    index."""

    def prepare_writing(self, docnames: set[str]) -> None:
        super().prepare_writing(docnames)
        if self.indexer is not None:
            lang = self.config.html_search_language or self.config.language
            self.indexer = BookIndexBuilder(self.env, lang, self.config.html_search_options,
                                            self.config.html_search_scorer)
            self.load_indexer(docnames)


def _on_config_inited(app: Sphinx, config: object) -> None:
    language = getattr(config, "html_search_language", None) or getattr(config, "language", "")
    if str(language).startswith("zh"):
        options = dict(getattr(config, "html_search_options", None) or {})
        options.setdefault("dict", str(JIEBA_DICT))
        config.html_search_options = options  # type: ignore[attr-defined]


def setup(app: Sphinx) -> None:
    app.add_builder(BookHTMLBuilder, override=True)
    app.connect("config-inited", _on_config_inited)
