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

It also cuts the number of requests a cold page makes (42 before; the goal is 25):

- the search scripts and index (``searchtools.js``, ``language_data.js``, ``searchindex.js``,
  190 kB) stay on the search page: the theme loads them on every page for a search-as-you-type
  box that the site does not use (``search_as_you_type`` is off; the search box opens
  ``search.html``);
- sphinx-design's script and stylesheet stay off pages without a sphinx-design element;
- each run of stylesheets in a page's head becomes one file (``_static/bundles/<hash>.css``,
  ``@import`` inlined, ``url()`` rewritten), and each run of scripts loaded the same way (no
  inline script between, no ``async``) one script (``_static/bundles/<hash>.js``), in the same
  order (a preload of a bundled script preloads the bundle). Pages with the same run share the
  file, so it is fetched once;
- the launch menu's logos (Binder) load when the menu opens (``loading="lazy"``).

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


# --- fewer requests ------------------------------------------------------------------------------

_SEARCH_TAGS = re.compile(r'[ \t]*<script src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|'
                          r'searchindex\.js)"></script>\n?')
_DESIGN_TAGS = re.compile(r'[ \t]*(?:<script[^>]*src="[^"]*_static/design-tabs\.js[^"]*"[^>]*></script>|'
                          r'<link[^>]*href="[^"]*_static/sphinx-design\.min\.css[^"]*"[^>]*/?>)\n?')
_LOGO_IMG = re.compile(r'<img (alt="[^"]*" src="[^"]*_static/images/logo_[\w-]+\.(?:svg|png)")')
_STYLESHEET = re.compile(r'<link(?=[^>]*\brel="stylesheet")[^>]*\bhref="(?P<href>[^"]+)"[^>]*/?>')
_SCRIPT = re.compile(r'<script(?P<attrs>[^>]*?)\bsrc="(?P<src>[^"]+)"(?P<rest>[^>]*)></script>')
_BETWEEN = re.compile(r"^(?:\s|<!--.*?-->)*$", re.S)
_CSS_URL = re.compile(r'url\(\s*(?P<q>["\']?)(?P<u>[^)"\']+)(?P=q)\s*\)')
_CSS_IMPORT = re.compile(r'@import\s+(?:url\()?\s*["\']?(?P<u>[^"\')]+)["\']?\s*\)?\s*;')


def _local(outdir: Path, page: Path, href: str) -> Path | None:
    """The file under ``outdir`` that a page's relative ``href`` names (None: not the site's)."""
    if re.match(r"^[a-z]+:|^//|^/", href):
        return None
    path = (page.parent / href.split("?")[0].split("#")[0]).resolve()
    return path if path.is_file() and path.is_relative_to(outdir.resolve()) else None


def _relative_to(target: Path, start: Path) -> str:
    import os

    return os.path.relpath(target, start).replace(os.sep, "/")


def css_bundle_text(files: list[Path], bundle_dir: Path, seen: set[Path] | None = None) -> str:
    """The stylesheets, in order, as one: ``@import`` inlined, ``url()`` relative to
    ``bundle_dir``."""
    seen = set() if seen is None else seen
    parts = []
    for css in files:
        if css in seen:
            continue
        seen.add(css)
        text = css.read_text(encoding="utf-8")

        def inline(m: re.Match[str], css: Path = css) -> str:
            target = (css.parent / m["u"]).resolve()
            return css_bundle_text([target], bundle_dir, seen) if target.is_file() else m[0]

        def rebase(m: re.Match[str], css: Path = css) -> str:
            url = m["u"]
            if re.match(r"^[a-z]+:|^//|^/|^#", url):
                return m[0]
            path, _, tail = url.partition("?")
            new = _relative_to((css.parent / path).resolve(), bundle_dir)
            return f'url("{new}{"?" + tail if tail else ""}")'

        text = _CSS_IMPORT.sub(inline, text)
        text = re.sub(r"@charset\s+\"[^\"]*\";", "", text)
        parts.append(f"/* {css.name} */\n" + _CSS_URL.sub(rebase, text))
    return "\n".join(parts)


def _runs(html: str, pattern: re.Pattern[str], key) -> list[list[re.Match[str]]]:  # noqa: ANN001
    """Maximal runs of consecutive tags (only whitespace or comments between) with one key."""
    runs: list[list[re.Match[str]]] = []
    last = None
    for m in pattern.finditer(html):
        k = key(m)
        if (k is not None and runs and last is not None and key(last) == k
                and _BETWEEN.match(html[last.end():m.start()]) and runs[-1][-1] is last):
            runs[-1].append(m)
        elif k is not None:
            runs.append([m])
        last = m
    return [run for run in runs if len(run) > 1]


def bundle_page(html: str, page: Path, outdir: Path, store: dict[str, str]) -> str:
    """The page with each run of stylesheets and of same-kind scripts loaded as one file;
    ``store`` collects bundle path (under outdir) -> content."""
    import hashlib

    head_end = html.find("</head>")
    head, body = (html[:head_end], html[head_end:]) if head_end > 0 else (html, "")
    bundles = outdir / "_static" / "bundles"

    def emit(run: list[re.Match[str]], files: list[Path], suffix: str, make_tag) -> str:  # noqa: ANN001
        if suffix == ".css":
            text = css_bundle_text(files, bundles)
        else:
            text = "\n;\n".join(f"/* {f.name} */\n" + f.read_text(encoding="utf-8") for f in files)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        name = f"{digest}{suffix}"
        store[name] = text
        return make_tag(_relative_to(bundles / name, page.parent))

    def style_key(m: re.Match[str]) -> object:
        return "css" if _local(outdir, page, m["href"]) else None

    def script_key(m: re.Match[str]) -> object:
        attrs = (m["attrs"] + m["rest"]).strip()
        # MathJax and Thebe find their own files from their script's address: never bundled.
        if ("async" in attrs or "data-" in attrs or "type=" in attrs or "mathjax" in m["src"]
                or "thebe" in m["src"] or not _local(outdir, page, m["src"])):
            return None
        return attrs

    out = head
    bundled: dict[str, str] = {}
    for pattern, key, suffix in ((_STYLESHEET, style_key, ".css"), (_SCRIPT, script_key, ".js")):
        if suffix == ".js":  # the theme's own scripts close the body
            out, body = out + body, ""
        for run in reversed(_runs(out, pattern, key)):
            files = [_local(outdir, page, m["href" if suffix == ".css" else "src"]) for m in run]
            if suffix == ".css":
                tag = emit(run, files, suffix,
                           lambda href: f'<link rel="stylesheet" type="text/css" href="{href}" />')
            else:
                attrs = key(run[0])
                tag = emit(run, files, suffix,
                           lambda src, attrs=attrs: f'<script {attrs + " " if attrs else ""}src="{src}"></script>')
            out = out[:run[0].start()] + tag + out[run[-1].end():]
            if suffix == ".js":
                src = re.search(r'src="([^"]+)"', tag)[1]
                bundled.update({m["src"]: src for m in run})
    # A preload of a bundled script preloads the bundle instead (once); done after the runs
    # above, whose positions in the page any earlier edit would shift.
    for old_src, src in bundled.items():
        preload = re.compile(r'<link rel="preload" as="script" href="' + re.escape(old_src)
                             + r'"\s*/?>')
        out = preload.sub(f'<link rel="preload" as="script" href="{src}" />', out, count=1)
    return _dedupe_preloads(out) + body


def _dedupe_preloads(html: str) -> str:
    seen: set[str] = set()

    def keep_first(m: re.Match[str]) -> str:
        if m[1] in seen:
            return ""
        seen.add(m[1])
        return m[0]

    return re.sub(r'<link rel="preload" as="script" href="([^"]+)"\s*/?>\n?', keep_first, html)


def lighten(outdir: Path) -> dict[str, object]:
    """Drop fontawesome.js from the pages of ``outdir`` and cut the web fonts down to the icons
    in use. Returns what it did (for the log and the tests)."""
    pages = [p for p in outdir.rglob("*.html") if "_static" not in p.parts]
    texts = []
    dropped = 0
    store: dict[str, str] = {}
    for path in pages:
        html = path.read_text(encoding="utf-8")
        new = _SCRIPT_TAG.sub("", html)
        if path.name != "search.html" or path.parent != outdir:
            new = _SEARCH_TAGS.sub("", new)
        if 'class="sd-' not in new and "class='sd-" not in new:
            new = _DESIGN_TAGS.sub("", new)
        # Logos in the closed launch menu: fetched when the menu opens, not with the page.
        new = _LOGO_IMG.sub(r'<img loading="lazy" \1', new)
        new = bundle_page(new, path, outdir, store)
        if new != html:
            path.write_text(new, encoding="utf-8")
            dropped += 1
        texts.append(new)
    bundles = outdir / "_static" / "bundles"
    bundles.mkdir(parents=True, exist_ok=True)
    for name, text in store.items():
        (bundles / name).write_text(text, encoding="utf-8")
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
    return {"pages": dropped, "bundles": len(store), "icons": sorted(n for n in names if n in icons),
            "codepoints": len(points), "fonts": fonts}


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    done = lighten(Path(app.outdir))
    sizes = ", ".join(f"{name} {a // 1024}→{b // 1024} KB" for name, (a, b) in done["fonts"].items())
    logger.info(f"weight: {done['pages']} pages lightened, {done['bundles']} bundles; "
                f"{len(done['icons'])} icons kept ({sizes})")


def setup(app: Sphinx) -> None:
    # Last: after the other modules have written their pages.
    app.connect("build-finished", _on_build_finished, priority=950)
