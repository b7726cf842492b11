"""Sphinx extension of the D2L Companion website: MathJax 3 served by the site itself, the
book's terms in the Chinese search, downloadable notebooks with their outputs, and each page's
scripts included once.

Jupyter Book 1 loads MathJax from a CDN, so a reader offline (or behind a firewall) sees raw
TeX. This extension fetches the npm package ``mathjax@3.2.2`` once per build folder
(``npm pack``; nothing third-party is committed), and copies its ``es5/`` folder to
``<html>/mathjax/``. ``_config.yml`` points ``mathjax_path`` there. The files stay out of
``_static/`` on purpose: Jupyter Book 1 adds a tag to every page for each .js/.css found in an
``html_static_path`` folder.

The Chinese search index is cut into words by jieba; its dictionary does not know the book's
terms (权重衰减 became 权重 + 衰减, so searching 权重衰减 found nothing in the text).
``jieba_dict.txt`` beside this file adds them (``html_search_options["dict"]``).

MyST-NB 1.4 writes the *unexecuted* notebook to ``jupyter_execute/`` when its outputs come from
the execution cache (it merges them into a copy), so the theme's ".ipynb" download button gave
readers a notebook without outputs on every cached build. ``_fill_downloaded_notebooks`` merges
the cached outputs back into ``_sources/<page>.ipynb`` after the build.

sphinx-thebe 0.3.1 registers its inline configuration script twice in a Jupyter Book build, so
every page declared ``const THEBE_JS_URL`` twice and raised a SyntaxError in the browser; the
``html-page-context`` handler below drops repeated identical script entries.

What readers meet beyond that (the book's per-section numbering, section anchors, alt texts,
the favicon, the sidebar toggles, Chinese theme labels, the search's synonyms) is in
``d2l_reader.py`` beside this file; ``setup`` below registers it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import d2l_reader
import interface
import notebooks
import weight
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

MATHJAX_VERSION = "3.2.2"
#: where ``mathjax_path`` must point, relative to ``_static/`` (Sphinx's convention)
MATHJAX_PATH = "../mathjax/tex-mml-chtml.js"


def _vendor_dir(app: Sphinx) -> Path:
    # <outdir> is <build>/html; keep the download beside it so `book-strict`'s clean-up of
    # html/ does not throw it away.
    return Path(app.outdir).parent / "vendor" / f"mathjax-{MATHJAX_VERSION}"


def fetch_mathjax(dest: Path) -> Path:
    """Download ``mathjax@MATHJAX_VERSION`` with npm and unpack its ``es5/`` into ``dest``.

    Returns ``dest / "es5"``. Does nothing when it is already there.
    """
    es5 = dest / "es5"
    if (es5 / "tex-mml-chtml.js").is_file():
        return es5
    npm = shutil.which("npm")
    if npm is None:
        raise ExtensionError(
            f"d2l_site: npm is needed to fetch mathjax@{MATHJAX_VERSION} for the website "
            "(install Node.js/npm, e.g. `apt-get install npm`)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [npm, "pack", f"mathjax@{MATHJAX_VERSION}", "--pack-destination", tmp, "--silent"],
            capture_output=True, text=True, check=False,
        )
        tarballs = list(Path(tmp).glob("mathjax-*.tgz"))
        if proc.returncode != 0 or len(tarballs) != 1:
            raise ExtensionError(
                f"d2l_site: `npm pack mathjax@{MATHJAX_VERSION}` failed "
                f"(exit {proc.returncode}): {proc.stderr.strip()[-500:]}"
            )
        staging = Path(tmp) / "unpacked"
        with tarfile.open(tarballs[0]) as tar:
            members = [m for m in tar.getmembers()
                       if m.name == "package/package.json" or m.name.startswith("package/es5/")]
            tar.extractall(staging, members=members, filter="data")
        version = json.loads((staging / "package" / "package.json").read_text())["version"]
        if version != MATHJAX_VERSION:
            raise ExtensionError(f"d2l_site: npm gave mathjax {version}, expected {MATHJAX_VERSION}")
        dest.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(es5, ignore_errors=True)
        shutil.move(str(staging / "package" / "es5"), es5)
    logger.info(f"d2l_site: fetched mathjax@{MATHJAX_VERSION} into {es5}")
    return es5


def _on_builder_inited(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    if app.config.mathjax_path != MATHJAX_PATH:
        raise ExtensionError(
            f"d2l_site: set `mathjax_path: {MATHJAX_PATH}` in _config.yml (sphinx.config); "
            f"it is {app.config.mathjax_path!r}, which would load MathJax from elsewhere"
        )
    app.d2l_mathjax_es5 = fetch_mathjax(_vendor_dir(app))  # type: ignore[attr-defined]


def _fill_downloaded_notebooks(app: Sphinx) -> None:
    """Give each downloadable ``_sources/<page>.ipynb`` the outputs of its cached execution."""
    nb_config = getattr(app.env, "mystnb_config", None)  # what MyST-NB itself used
    if nb_config is None or nb_config.execution_mode != "cache":
        return
    import nbformat
    from jupyter_cache import get_cache

    cache = get_cache(nb_config.execution_cache_path)
    for docname in sorted(app.env.found_docs):
        path = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
        if not path.is_file():
            continue
        nb = nbformat.read(path, as_version=4)
        if any(c.get("outputs") for c in nb.cells if c.cell_type == "code"):
            continue
        try:
            _, merged = cache.merge_match_into_notebook(nb)
        except KeyError:  # not in the cache: it was not executed
            continue
        nbformat.write(merged, path)


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "mathjax"
    shutil.copytree(app.d2l_mathjax_es5, target, dirs_exist_ok=True)  # type: ignore[attr-defined]
    _fill_downloaded_notebooks(app)


def _drop_repeated_scripts(app: Sphinx, pagename: str, templatename: str,
                           context: dict, doctree: object) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique: list[object] = []
    for js in scripts:
        # An inline script's filename is None or "" depending on who added it.
        key = (os.fspath(getattr(js, "filename", js) or ""), getattr(js, "priority", 0),
               tuple(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def _on_config_inited(app: Sphinx, config: object) -> None:
    language = getattr(config, "html_search_language", None) or getattr(config, "language", "")
    if str(language).startswith("zh"):
        options = dict(getattr(config, "html_search_options", None) or {})
        options.setdefault("dict", str(Path(__file__).with_name("jieba_dict.txt")))
        config.html_search_options = options  # type: ignore[attr-defined]


def _reread_generated_pages(app: Sphinx, env, added, changed, removed) -> list[str]:  # noqa: ANN001
    """The results page (results.md) is generated from the runs of this build, and the status
    page (status.md) reports on this build: re-read them, and so re-execute them (their front
    matter says ``execution_mode: force``), on every build."""
    return [doc for doc in ("results", "status") if doc in env.found_docs]


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("env-get-outdated", _reread_generated_pages)
    app.connect("config-inited", _on_config_inited)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("html-page-context", _drop_repeated_scripts, priority=900)
    app.connect("build-finished", _on_build_finished)
    d2l_reader.setup(app)
    notebooks.setup(app)
    interface.setup(app)
    weight.setup(app)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
