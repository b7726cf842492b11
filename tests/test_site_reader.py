"""The website's reader-facing helpers (_ext/d2l_site/) that need no build: the book's
per-section numbers, the Chinese theme labels and the search synonyms."""

from __future__ import annotations

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
    assert numbers["results"] == {"figure": {"r1": (1,), "r2": (2,)}}


def test_theme_labels_become_simplified_chinese() -> None:
    html = ('<button title="Toggle primary sidebar"></button>'
            '<input placeholder="Search this book..."/>'
            '<span class="btn__text-container"> 列印成 PDF </span>'
            '<p>Search this book... is what the old box said</p>')
    out = labels.translate_labels(html)
    assert 'title="显示或隐藏章节目录"' in out
    assert 'placeholder="搜索本书…"' in out
    assert "> 打印为 PDF <" in out and "列印" not in out
    # text that only contains a label is a sentence of the page, not a label: kept
    assert "<p>Search this book... is what the old box said</p>" in out


def test_synonym_groups_are_distinct_words() -> None:
    words = [w for group in search.SYNONYMS for w in group]
    assert len(words) == len(set(words)), "a word in two synonym groups"
    assert all(len(group) >= 2 for group in search.SYNONYMS)
    assert ("汇聚", "池化") in search.SYNONYMS
