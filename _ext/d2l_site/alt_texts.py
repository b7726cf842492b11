"""Alt texts: an image without ``alt`` is written with its file path as the alt text. Each image
gets its figure's caption (without TeX), or else "<page title>：插图"."""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx

from .text import plain_text


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
        image["alt"] = plain_text(captions[0]) if captions else f"{page}：插图"


def setup(app: Sphinx) -> None:
    app.connect("doctree-resolved", _set_alt_texts)
