"""_ext/d2l_site/weight.py without a build: FontAwesome's icon rules are read, the icons in use found,
and a web font cut down to them."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("brotli")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from d2l_site import weight  # noqa: E402

CSS = ('.fa-bars:before,.fa-navicon:before{content:"\\f0c9"}.fa-at:before{content:"\\@"}'
       '.fa-k:before{content:"K"}.fa-list:before{content:"\\f03a"}'
       '.x:after{content:var(--i)}:root{--i:"\\f107";--j:"\uf104"}')


def test_icon_rules_and_the_icons_the_styles_draw() -> None:
    icons = weight.icon_codepoints(CSS)
    assert icons == {"bars": 0xF0C9, "navicon": 0xF0C9, "at": ord("@"), "k": ord("K"),
                     "list": 0xF03A}
    assert weight.drawn_by_styles(CSS) == {0xF107, 0xF104}


def test_used_names_come_from_classes() -> None:
    html = '<i class="fa-solid fa-bars"></i><span class="fas fa-list"></span> not-fa-x'
    assert weight.used_icon_names([html]) == {"solid", "bars", "list"}


def _theme_font() -> Path:
    import pydata_sphinx_theme

    root = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    return root / "static" / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.woff2"


def test_subset_keeps_only_the_icons_in_use(tmp_path: Path) -> None:
    from fontTools.ttLib import TTFont

    font = tmp_path / "fa-solid-900.woff2"
    shutil.copy(_theme_font(), font)
    before, after = weight.subset_font(font, {0xF0C9, 0xF03A})
    assert after < before / 20, (before, after)
    cmap = set(TTFont(str(font)).getBestCmap())
    assert {0xF0C9, 0xF03A} <= cmap and 0xF2ED not in cmap  # bars, list kept; trash-can gone


def test_lighten_drops_the_script_and_cuts_the_fonts(tmp_path: Path) -> None:
    fonts = tmp_path / weight.WEBFONTS
    fonts.mkdir(parents=True)
    shutil.copy(_theme_font(), fonts / "fa-solid-900.woff2")
    (tmp_path / "_static" / "scripts").mkdir()
    (tmp_path / weight.FONTAWESOME_JS).write_text("/* 1.45 MB */")
    (tmp_path / "_static" / "theme.css").write_text(CSS)
    page = ('<head>\n  <script defer src="_static/scripts/fontawesome.js?digest=1"></script>\n'
            '</head><body><i class="fa-solid fa-bars"></i></body>')
    (tmp_path / "index.html").write_text(page)
    done = weight.lighten(tmp_path)
    assert "fontawesome.js" not in (tmp_path / "index.html").read_text()
    assert not (tmp_path / weight.FONTAWESOME_JS).exists()
    assert done["icons"] == ["bars"] and done["codepoints"] == 3  # bars + the two drawn by CSS
