"""Named section anchors.

docutils makes an HTML id from a heading's ASCII letters; a Chinese heading has none and got
``#id1``, ``#id2``…. Such sections get the heading's slug instead (MyST's slug function, which
keeps Chinese): ``#互相关运算``.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx

from .text import plain_text

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
        base = _slug(plain_text(section[0])) or "section"
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


def setup(app: Sphinx) -> None:
    app.connect("doctree-read", _name_sections, priority=100)  # before the TOC collector
