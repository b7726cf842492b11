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


def test_bundles_keep_the_page_whole_and_follow_preloads(tmp_path: Path) -> None:
    static = tmp_path / "_static"
    (static / "scripts").mkdir(parents=True)
    for name in ("a.js", "b.js", "c.js", "d.js", "scripts/e.js", "scripts/f.js"):
        (static / name).write_text(f"window.{Path(name).stem} = 1;")
    for name in ("x.css", "y.css"):
        (static / name).write_text("a{background:url(img.png)}")
    page = tmp_path / "page.html"
    html = ('<html><head>\n<link rel="stylesheet" href="_static/x.css" />\n'
            '<link rel="stylesheet" href="_static/y.css" />\n'
            '<link rel="preload" as="script" href="_static/scripts/e.js" />\n'
            '<link rel="preload" as="script" href="_static/scripts/f.js" />\n'
            '<script src="_static/a.js"></script>\n<script src="_static/b.js"></script>\n'
            '<script>let inline = 1;</script>\n'
            '<script defer="defer" src="_static/c.js"></script>\n'
            '<script defer="defer" src="_static/d.js"></script>\n</head><body><p>text</p>\n'
            '<script defer src="_static/scripts/e.js"></script>\n'
            '<script defer src="_static/scripts/f.js"></script>\n</body></html>')
    store: dict[str, str] = {}
    out = weight.bundle_page(html, page, tmp_path, store)
    import re

    tags = re.findall(r"<(?:script|link)[^>]*>", out)
    srcs = [re.search(r'(?:src|href)="([^"]+)"', t)[1] for t in tags if "src=" in t or "href=" in t]
    assert len([s for s in srcs if s.endswith(".css")]) == 1
    assert "<script>let inline = 1;</script>" in out and "<p>text</p>" in out
    scripts = [s for s in srcs if s.endswith(".js")]
    # preload (bundle of e, f), a+b, c+d, e+f: four bundles' worth, the preload naming the last
    assert len(scripts) == 4 and scripts[0] == scripts[3], scripts
    assert len(set(scripts)) == 3 and len(store) == 4
    assert out.count("<script") == 4 and "_static/a.js" not in out
    css = next(t for n, t in store.items() if n.endswith(".css"))
    assert 'url("../img.png")' in css  # relative to _static/bundles/
