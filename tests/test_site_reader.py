"""The website's reader-facing helpers (_ext/d2l_site/) that need no build: the book's
per-section numbers (tests/test_site_numbering.py builds a small book with them), the Chinese theme labels and the search synonyms."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from d2l_site import labels, numbering, search  # noqa: E402


def test_section_of_reads_the_book_section_from_the_file_name() -> None:
    assert numbering.section_of("chapters/ch06_convolutional_networks/ch06_02_image_convolution") == (6, 2)
    assert numbering.section_of("chapters/ch04_multilayer_perceptrons/ch04_10_kaggle") == (4, 10)
    assert numbering.section_of("intro") is None
    assert numbering.section_of("results") is None


def test_numbers_restart_in_each_section_in_page_order() -> None:
    numbers = {
        "chapters/ch06_c/ch06_02_x": {"figure": {"b": (40,), "a": (39,)},
                                      "exercise": {"e2": (54,), "e1": (53,), "e3": (55,)}},
        "chapters/ch06_c/ch06_06_y": {"figure": {"c": (41,)}},
        "results": {"figure": {"r2": (88,), "r1": (87,)}},
    }
    numbering.renumber_per_section(numbers)
    assert numbers["chapters/ch06_c/ch06_02_x"] == {
        "figure": {"a": (6, 2, 1), "b": (6, 2, 2)},
        "exercise": {"e1": (6, 2, 1), "e2": (6, 2, 2), "e3": (6, 2, 3)}}
    assert numbers["chapters/ch06_c/ch06_06_y"] == {"figure": {"c": (6, 6, 1)}}
    assert numbers["results"] == {"figure": {"r1": ("R", 1), "r2": ("R", 2)}}


def test_appendix_pages_are_numbered_in_reading_order() -> None:
    order = ["intro", "chapters/appendix/b", "chapters/appendix/a", "status"]
    numbers = {"chapters/appendix/a": {"figure": {"x": (7,)}, "displaymath": {"e": (3,)}},
               "chapters/appendix/b": {"figure": {"y": (9,)}},
               "intro": {"figure": {"z": (2,)}}}
    numbering.renumber_per_section(numbers, order)
    assert numbers["chapters/appendix/b"] == {"figure": {"y": ("A", 1, 1)}}
    assert numbers["chapters/appendix/a"] == {"figure": {"x": ("A", 2, 1)},
                                              "displaymath": {"e": ("A", 2, 1)}}
    assert numbers["intro"] == {"figure": {"z": (1,)}}
    with pytest.raises(ValueError, match="not in the reading order"):
        numbering.prefix_of("chapters/appendix/c", order)


def test_english_labels_are_those_the_catalog_and_templates_replace() -> None:
    english = labels.english_labels()
    assert {"Toggle primary sidebar", "Main", "Back to top", "Link to this heading"} <= english
    catalog = labels.catalog_labels()
    assert catalog["Back to top"] == "回到顶部"
    assert all(re.search(r"[\u4e00-\u9fff]", v) for v in catalog.values()), catalog


def test_synonym_groups_are_distinct_words() -> None:
    words = [w for group in search.SYNONYMS for w in group]
    assert len(words) == len(set(words)), "a word in two synonym groups"
    assert all(len(group) >= 2 for group in search.SYNONYMS)
    assert ("汇聚", "池化") in search.SYNONYMS
