"""The book's per-section numbering of figures, tables, code blocks, exercises and equations.

Sphinx numbers figures, tables, code blocks, exercises (sphinx-exercise's nodes are enumerable)
and labelled display equations (``math_numfig``) through the whole book when the toctree is not
numbered: 图 39 on 6.2, 练习 53 on 6.6. The book numbers them per section (图 6.2.1, 练习 6.6.3,
equation (3.1.1)). The pages are ``chapters/chNN_…/chNN_MM_….md``, so after Sphinx has assigned
``env.toc_fignumbers`` (``env-get-updated``) each page's numbers become (NN, MM, k), k counting
in page order. Captions, exercise titles, equation numbers and the texts of ``{numref}`` and
``{eq}`` all read these numbers.

The pages outside the chapters are numbered apart, so that no two pages show the same number:
the appendix pages (``chapters/appendix/``) as A.1, A.2… in reading order (图 A.1.1 on the first
one), the results page as R (图 R.1); any other page counts from 1.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

#: chapters/ch06_convolutional_networks/ch06_02_image_convolution -> (6, 2)
_SECTION_PAGE = re.compile(r"(?:^|/)ch(\d+)_(\d+)_[^/]*$")
#: chapters/appendix/book_code -> numbered A.1, A.2… in reading order
_APPENDIX_PAGE = re.compile(r"(?:^|/)appendix/[^/]+$")
#: other pages with a prefix of their own
OWN_PREFIX: dict[str, tuple[str, ...]] = {"results": ("R",)}

Prefix = tuple[int | str, ...]


def section_of(docname: str) -> tuple[int, int] | None:
    """The book's (chapter, section) of a page, from its file name; None for other pages."""
    m = _SECTION_PAGE.search(docname)
    return (int(m[1]), int(m[2])) if m else None


def prefix_of(docname: str, reading_order: Sequence[str] = ()) -> Prefix:
    """What a page's numbers start with: (chapter, section) on a section page, ("A", i) on the
    i-th appendix page of ``reading_order``, ``OWN_PREFIX``'s on the results page, else ()."""
    section = section_of(docname)
    if section is not None:
        return section
    if _APPENDIX_PAGE.search(docname):
        appendix = [doc for doc in reading_order if _APPENDIX_PAGE.search(doc)]
        if docname not in appendix:
            raise ValueError(f"numbering: the appendix page {docname!r} is not in the reading "
                             "order; add it to _toc.yml")
        return ("A", appendix.index(docname) + 1)
    return OWN_PREFIX.get(docname, ())


def renumber_per_section(fignumbers: dict[str, dict[str, dict[str, tuple]]],
                         reading_order: Sequence[str] = ()) -> None:
    """Number each page's figures, tables, code blocks, exercises and equations
    (*prefix*, 1), (*prefix*, 2)… in the order Sphinx numbered them (the page order), with the
    page's ``prefix_of``."""
    for docname, by_type in fignumbers.items():
        prefix = prefix_of(docname, reading_order)
        for numbers in by_type.values():
            for k, key in enumerate(sorted(numbers, key=lambda key: numbers[key]), start=1):
                numbers[key] = (*prefix, k)


def reading_order(env: BuildEnvironment) -> list[str]:
    """Every page in the order of the table of contents (the root's toctrees, depth first)."""
    order: list[str] = []

    def walk(docname: str) -> None:
        if docname in order:
            return
        order.append(docname)
        for child in env.toctree_includes.get(docname, []):
            walk(child)

    walk(env.config.root_doc)
    return order


def _on_env_get_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    renumber_per_section(env.toc_fignumbers, reading_order(env))
    return []


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("env-get-updated", _on_env_get_updated, priority=900)  # after Sphinx's numbers
    return {"parallel_read_safe": True, "parallel_write_safe": True}
