"""Third-party browser assets served by the site itself: MathJax 3 and Thebe.

Jupyter Book 1 loads MathJax from a CDN, and sphinx-thebe 0.3.1 loads Thebe from unpkg.com when
a reader clicks "Live Code": offline, or behind a firewall, a reader saw raw TeX and a button
that said "Loading thebe from CDN..." forever. This module fetches both npm packages once per
build folder (nothing third-party is committed) and copies them into the written site:
``mathjax``'s ``es5/`` to ``<html>/mathjax/`` and ``thebe``'s ``lib/`` (no source maps or type
declarations) to ``<html>/thebe/``. They stay out of ``_static/`` on purpose: Jupyter Book 1 adds
a tag to every page for each .js/.css found in an ``html_static_path`` folder.

``_config.yml`` points ``mathjax_path`` at the copy; ``live.py`` points Thebe there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

MATHJAX_VERSION = "3.2.2"
THEBE_VERSION = "0.9.2"
#: where ``mathjax_path`` must point, relative to ``_static/`` (Sphinx's convention)
MATHJAX_PATH = "../mathjax/tex-mml-chtml.js"


def vendor_dir(app: Sphinx) -> Path:
    """``<build>/vendor``: beside ``<build>/html``, so that ``book-strict``'s clean-up of html/
    keeps the downloads."""
    return Path(app.outdir).parent / "vendor"


def _npm_pack(name: str, version: str, wanted: Callable[[str], bool], folder: str,
              dest: Path) -> Path:
    """``npm pack name@version``; unpack the members ``wanted`` selects and move the package's
    ``folder`` to ``dest / folder``; returns that path."""
    npm = shutil.which("npm")
    if npm is None:
        raise ExtensionError(
            f"d2l_site: npm is needed to fetch {name}@{version} for the website "
            "(install Node.js/npm, e.g. `apt-get install npm`)"
        )
    target = dest / folder
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [npm, "pack", f"{name}@{version}", "--pack-destination", tmp, "--silent"],
            capture_output=True, text=True, check=False,
        )
        tarballs = list(Path(tmp).glob(f"{name}-*.tgz"))
        if proc.returncode != 0 or len(tarballs) != 1:
            raise ExtensionError(
                f"d2l_site: `npm pack {name}@{version}` failed "
                f"(exit {proc.returncode}): {proc.stderr.strip()[-500:]}"
            )
        staging = Path(tmp) / "unpacked"
        with tarfile.open(tarballs[0]) as tar:
            members = [m for m in tar.getmembers()
                       if m.name == "package/package.json" or wanted(m.name)]
            tar.extractall(staging, members=members, filter="data")
        got = json.loads((staging / "package" / "package.json").read_text())["version"]
        if got != version:
            raise ExtensionError(f"d2l_site: npm gave {name} {got}, expected {version}")
        if (staging / "package" / "LICENSE").is_file():
            shutil.copy(staging / "package" / "LICENSE", staging / "package" / folder / "LICENSE")
        dest.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        shutil.move(str(staging / "package" / folder), target)
    logger.info(f"d2l_site: fetched {name}@{version} into {target}")
    return target


def fetch_mathjax(dest: Path) -> Path:
    """``mathjax@MATHJAX_VERSION``'s ``es5/`` in ``dest / "es5"`` (fetched unless there)."""
    es5 = dest / "es5"
    if (es5 / "tex-mml-chtml.js").is_file():
        return es5
    return _npm_pack("mathjax", MATHJAX_VERSION, lambda n: n.startswith("package/es5/"), "es5", dest)


def fetch_thebe(dest: Path) -> Path:
    """``thebe@THEBE_VERSION``'s ``lib/`` (scripts, CSS and licences) in ``dest / "lib"``
    (fetched unless there)."""
    lib = dest / "lib"
    if (lib / "index.js").is_file():
        return lib

    def wanted(name: str) -> bool:
        return name == "package/LICENSE" or (
            name.startswith("package/lib/") and name.count("/") == 2
            and name.endswith((".js", ".css", ".txt")))

    return _npm_pack("thebe", THEBE_VERSION, wanted, "lib", dest)


def _on_builder_inited(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    if app.config.mathjax_path != MATHJAX_PATH:
        raise ExtensionError(
            f"d2l_site: set `mathjax_path: {MATHJAX_PATH}` in _config.yml (sphinx.config); "
            f"it is {app.config.mathjax_path!r}, which would load MathJax from elsewhere"
        )
    vendor = vendor_dir(app)
    app.d2l_vendor = {  # type: ignore[attr-defined]
        "mathjax": fetch_mathjax(vendor / f"mathjax-{MATHJAX_VERSION}"),
        "thebe": fetch_thebe(vendor / f"thebe-{THEBE_VERSION}"),
    }


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for name, folder in app.d2l_vendor.items():  # type: ignore[attr-defined]
        shutil.copytree(folder, Path(app.outdir) / name, dirs_exist_ok=True)


def setup(app: Sphinx) -> None:
    app.connect("builder-inited", _on_builder_inited)
    app.connect("build-finished", _on_build_finished)
