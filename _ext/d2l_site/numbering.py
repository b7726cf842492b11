"""The book's per-section numbering.

Sphinx numbers figures, tables, code blocks and exercises (sphinx-exercise's nodes are
enumerable) through the whole book when the toctree is not numbered: 图 39 on 6.2, 练习 53 on
6.6. The book numbers them per section (图 6.2.1, 练习 6.6.3). The pages are
``chapters/chNN_…/chNN_MM_….md``, so after Sphinx has assigned ``env.toc_fignumbers``
(``env-get-updated``) each page's numbers become (NN, MM, k), k counting in page order. Captions,
exercise titles and ``{numref}`` texts all read these numbers. The other pages (the results
page) count from 1.
"""

from __future__ import annotations

import re

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

#: chapters/ch06_convolutional_networks/ch06_02_image_convolution -> (6, 2)
_SECTION_PAGE = re.compile(r"(?:^|/)ch(\d+)_(\d+)_[^/]*$")


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


def setup(app: Sphinx) -> None:
    app.connect("env-get-updated", _on_env_get_updated, priority=900)  # after Sphinx's numbers
