"""Third-party browser assets served by the site itself: MathJax 3 and Thebe.

Jupyter Book 1 loads MathJax from a CDN, and sphinx-thebe 0.3.1 loads Thebe from unpkg.com when
a reader clicks "Live Code": offline, or behind a firewall, a reader saw raw TeX and a button
that said "Loading thebe from CDN..." forever. So the site serves both itself.

One fetcher: ``npm/package.json`` names the packages and ``npm/package-lock.json`` (committed)
pins their versions and integrity hashes; ``npm ci`` installs exactly that, checking every
tarball's hash, once per lock file into ``<build>/vendor/`` (beside ``<build>/html``, so that
``book-strict``'s clean-up of html/ keeps it). Nothing third-party is committed. Thebe's own
dependencies are overridden with the empty ``npm/unused`` package: the site copies only thebe's
bundled ``lib/``, which loads none of them. To move a version: edit ``package.json``, run
``npm install --package-lock-only --ignore-scripts`` in ``npm/``, commit both files.

After the build, ``ASSETS`` are copied into the written site: ``mathjax``'s ``es5/`` to
``<html>/mathjax/`` and ``thebe``'s ``lib/`` (scripts, CSS and licences; no source maps) to
``<html>/thebe/``. They stay out of ``_static/`` on purpose: Jupyter Book 1 adds a tag to every
page for each .js/.css found in an ``html_static_path`` folder. ``_config.yml`` points
``mathjax_path`` at the copy; ``live.py`` points Thebe there.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

NPM_DIR = Path(__file__).with_name("npm")
#: where ``mathjax_path`` must point, relative to ``_static/`` (Sphinx's convention)
MATHJAX_PATH = "../mathjax/tex-mml-chtml.js"


@dataclass(frozen=True)
class Asset:
    """A folder of an installed npm package, copied to ``<html>/<target>/``: its files whose
    names end with ``suffixes`` (all when empty), in ``folder`` and, unless ``flat``, below."""

    package: str
    folder: str
    target: str
    suffixes: tuple[str, ...] = ()
    flat: bool = False

    def files(self, node_modules: Path) -> list[Path]:
        """The files to copy, relative to the package's folder; the package's LICENSE too."""
        root = node_modules / self.package / self.folder
        found = root.glob("*") if self.flat else root.rglob("*")
        return sorted(p.relative_to(root) for p in found
                      if p.is_file() and (not self.suffixes or p.name.endswith(self.suffixes)))


ASSETS = (
    Asset("mathjax", "es5", "mathjax"),
    Asset("thebe", "lib", "thebe", suffixes=(".js", ".css", ".txt"), flat=True),
)


def locked_versions(lock: Path = NPM_DIR / "package-lock.json") -> dict[str, str]:
    """The version the lock file pins for each package the site serves."""
    packages = json.loads(lock.read_text(encoding="utf-8"))["packages"]
    versions = {}
    for asset in ASSETS:
        entry = packages.get(f"node_modules/{asset.package}", {})
        if "version" not in entry or "integrity" not in entry:
            raise ExtensionError(f"d2l_site: {lock} has no version and integrity for "
                                 f"{asset.package}; run `npm install --package-lock-only "
                                 f"--ignore-scripts` in {lock.parent}")
        versions[asset.package] = entry["version"]
    return versions


def install(vendor: Path, npm_dir: Path = NPM_DIR) -> Path:
    """``npm ci`` of ``npm_dir``'s lock file into ``vendor/npm-<lock hash>``, unless done;
    returns its ``node_modules``."""
    lock = (npm_dir / "package-lock.json").read_bytes()
    dest = vendor / f"npm-{hashlib.sha256(lock).hexdigest()[:16]}"
    node_modules = dest / "node_modules"
    if (dest / ".installed").is_file():
        return node_modules
    npm = shutil.which("npm")
    if npm is None:
        raise ExtensionError("d2l_site: npm is needed to fetch the website's MathJax and Thebe "
                             "(install Node.js/npm, e.g. `apt-get install npm`)")
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(npm_dir, dest, ignore=shutil.ignore_patterns("node_modules"))
    proc = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                          cwd=dest, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ExtensionError(f"d2l_site: `npm ci` in {dest} failed (exit {proc.returncode}): "
                             f"{(proc.stderr or proc.stdout).strip()[-800:]}")
    (dest / ".installed").write_text(json.dumps(locked_versions(npm_dir / "package-lock.json")))
    logger.info(f"d2l_site: npm ci installed {locked_versions(npm_dir / 'package-lock.json')} "
                f"into {node_modules}")
    return node_modules


def copy_assets(node_modules: Path, html: Path) -> None:
    """Each of ``ASSETS`` into ``html / asset.target``, with the package's LICENSE."""
    for asset in ASSETS:
        source = node_modules / asset.package / asset.folder
        target = html / asset.target
        for rel in asset.files(node_modules):
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / rel, target / rel)
        licence = node_modules / asset.package / "LICENSE"
        if licence.is_file():
            shutil.copy2(licence, target / "LICENSE")


def _on_builder_inited(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    if app.config.mathjax_path != MATHJAX_PATH:
        raise ExtensionError(
            f"d2l_site: set `mathjax_path: {MATHJAX_PATH}` in _config.yml (sphinx.config); "
            f"it is {app.config.mathjax_path!r}, which would load MathJax from elsewhere"
        )
    app.d2l_node_modules = install(Path(app.outdir).parent / "vendor")  # type: ignore[attr-defined]


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    copy_assets(app.d2l_node_modules, Path(app.outdir))  # type: ignore[attr-defined]


def setup(app: Sphinx) -> None:
    app.connect("builder-inited", _on_builder_inited)
    app.connect("build-finished", _on_build_finished)
