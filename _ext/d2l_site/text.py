"""A node's text as a reader sees it (shared by the anchors and the alt texts)."""

from __future__ import annotations

import re

from docutils import nodes

_TEX_COMMAND = re.compile(r"\\[A-Za-z]+|[{}_^$\\]")


def plain_text(node: nodes.Node) -> str:
    """A node's text for a reader: formulas without their TeX commands."""
    parts = []
    for child in node.findall(nodes.Text):
        text = child.astext()
        if isinstance(child.parent, (nodes.math, nodes.math_block)):
            text = _TEX_COMMAND.sub(" ", text)
        parts.append(text)
    return re.sub(r"\s+", " ", "".join(parts)).strip()
