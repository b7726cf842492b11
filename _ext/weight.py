"""Lighter pages: FontAwesome as a font of the icons the site shows, not a 1.45 MB script.

pydata-sphinx-theme loads ``_static/scripts/fontawesome.js`` on every page (FontAwesome's SVG
framework with every icon, 1.45 MB) "so that users can add custom icons"; the site adds none.
Its stylesheet already carries FontAwesome's web-font rules (``.fa-solid``, ``.fa-bars:before``
and the ``@font-face`` of ``fa-solid-900.woff2`` and friends), so the icons show without the
script. After the build this module

- drops the script's ``<script>`` tag from every page (and the file from ``_static``);
- cuts the three web fonts (solid, regular, brands) down to the icons in use: those named by a
  ``fa-…`` class in a page or a script of the site, and those the stylesheets draw themselves
  (admonition and link icons, ``content: "\\f107"``). fontTools does the cutting (``brotli``
  writes WOFF2).

MathJax is already on math pages only (Sphinx adds it where a page has equations); ``make
serve`` sends text gzip-compressed (``tools/serve.py``). The figures before and after are in
``benchmarks/README.md``; ``tests/browser/test_site_weight.py`` measures a cold chapter page.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

FONTAWESOME_JS = "_static/scripts/fontawesome.js"
WEBFONTS = "_static/vendor/fontawesome/webfonts"
_SCRIPT_TAG = re.compile(r'[ \t]*<script[^>]*src="[^"]*_static/scripts/fontawesome\.js[^"]*"[^>]*>'
                         r"</script>\n?")
#: ".fa-a:before,.fa-b:before{content:"\f0c9"}" (FontAwesome's icon rules)
_ICON_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+:+before,?)+)\{content:"((?:\\[0-9a-fA-F]+\s?)|[^"\\]|\\.)"\}')
_ICON_NAME = re.compile(r"\.fa-([a-z0-9-]+):+before")
_CLASS_NAME = re.compile(r"(?<![\w-])fa-([a-z0-9][a-z0-9-]*)")
_PUA_ESCAPE = re.compile(r"\\([eEfF][0-9a-fA-F]{3})(?![0-9a-fA-F])")
_PUA_CHAR = re.compile("[\ue000-\uf8ff]")


def _codepoint(content: str) -> int | None:
    if content.startswith("\\"):
        body = content[1:].strip()
        try:
            return int(body, 16)
        except ValueError:
            return ord(body[0]) if body else None
    return ord(content)


def icon_codepoints(css: str) -> dict[str, int]:
    """Icon name ("bars") -> its code point, from FontAwesome's rules in a stylesheet."""
    icons: dict[str, int] = {}
    for rule in _ICON_RULE.finditer(css):
        point = _codepoint(rule[2])
        if point is None:
            continue
        for name in _ICON_NAME.findall(rule[1]):
            icons[name] = point
    return icons


def drawn_by_styles(css: str) -> set[int]:
    """Icon code points a stylesheet draws itself (outside FontAwesome's icon rules)."""
    rest = _ICON_RULE.sub("", css)
    points = {int(m, 16) for m in _PUA_ESCAPE.findall(rest)}
    points |= {ord(c) for c in _PUA_CHAR.findall(rest)}
    return points


def used_icon_names(texts: list[str]) -> set[str]:
    """The ``fa-…`` names in pages and scripts ("fa-solid fa-bars" -> {"solid", "bars"})."""
    return {name for text in texts for name in _CLASS_NAME.findall(text)}


def subset_font(path: Path, codepoints: set[int]) -> tuple[int, int]:
    """Keep only ``codepoints`` in a WOFF2/TTF font (in place); returns (bytes before, after)."""
    from fontTools import subset

    before = path.stat().st_size
    options = subset.Options()
    options.flavor = "woff2" if path.suffix == ".woff2" else None
    options.layout_features = ["*"]
    options.notdef_outline = True
    options.ignore_missing_unicodes = True
    try:
        font = subset.load_font(str(path), options)
    except ImportError as err:  # WOFF2 needs brotli
        raise ExtensionError(f"weight: cannot read {path.name}: {err} (pip install brotli)") from err
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    subset.save_font(font, str(path), options)
    return before, path.stat().st_size


def lighten(outdir: Path) -> dict[str, object]:
    """Drop fontawesome.js from the pages of ``outdir`` and cut the web fonts down to the icons
    in use. Returns what it did (for the log and the tests)."""
    pages = [p for p in outdir.rglob("*.html") if "_static" not in p.parts]
    texts = []
    dropped = 0
    for path in pages:
        html = path.read_text(encoding="utf-8")
        new = _SCRIPT_TAG.sub("", html)
        if new != html:
            path.write_text(new, encoding="utf-8")
            dropped += 1
        texts.append(new)
    static = outdir / "_static"
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in static.rglob("*.js")
              if p.name != "fontawesome.js"]
    css = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in static.rglob("*.css"))
    icons = icon_codepoints(css)
    names = used_icon_names(texts)
    points = {icons[n] for n in names if n in icons} | drawn_by_styles(css)
    fonts = {}
    for font in sorted((outdir / WEBFONTS).glob("*.woff2")):
        fonts[font.name] = subset_font(font, points)
    script = outdir / FONTAWESOME_JS
    if script.is_file():
        script.unlink()
    return {"pages": dropped, "icons": sorted(n for n in names if n in icons),
            "codepoints": len(points), "fonts": fonts}


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    done = lighten(Path(app.outdir))
    sizes = ", ".join(f"{name} {a // 1024}→{b // 1024} KB" for name, (a, b) in done["fonts"].items())
    logger.info(f"weight: fontawesome.js dropped from {done['pages']} pages; "
                f"{len(done['icons'])} icons kept ({sizes})")


def setup(app: Sphinx) -> dict[str, object]:
    # Last: after the other extensions have written their pages.
    app.connect("build-finished", _on_build_finished, priority=950)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
