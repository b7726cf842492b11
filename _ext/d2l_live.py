"""Sphinx extension of the D2L Companion website: Live Code (Thebe) served by the site itself,
with a Chinese message when Binder cannot be reached; the build-times table of the status page;
the link to the whole book as a PDF.

**Thebe.** sphinx-thebe 0.3.1 loads ``thebe@0.8.2`` from unpkg.com when a reader clicks
"Live Code": offline, or where unpkg is blocked, the button said "Loading thebe from CDN..."
forever. This extension fetches the npm package ``thebe@THEBE_VERSION`` once per build folder
(``npm pack``, as ``d2l_site`` does for MathJax; nothing third-party is committed), copies its
``lib/`` (without source maps) to ``<html>/thebe/``, and points each page's ``THEBE_JS_URL``
there. The npm registry this project builds from carries thebe 0.9.x only; 0.9 keeps the
``thebelab`` global (``bootstrap``, ``on("status")``) that sphinx-thebe's script calls. Thebe's
MathJax 2 download (for LaTeX outputs, which the pages have none of) is switched off.

``d2l_live_static/d2l-live.js`` replaces sphinx-thebe's ``initThebe``: it loads Thebe from the
site, first checks that the Binder server (``launch_buttons.binderhub_url``) answers within
``D2L_LIVE.timeoutMs`` (``d2l_live_timeout_s``, 20 s), and otherwise shows a message in Chinese
with what the reader can do instead: download the page's ``.ipynb`` or ``.md``, or run the book
locally (``make lab``, or the README's commands). A Binder that fails later (build error, lost
connection) shows the same message.

**Status page.** The ``d2l-build-times`` directive is MyST-NB's ``nb-exec-table`` in Chinese and
narrow: one row per notebook with its title (not its path), its run time and whether it ran
now or came from the cache, and a total; readable at 390 px.

**PDF.** ``make pdf`` (``_ext/book_pdf.py``) prints every page to ``_build/pdf/book.pdf`` and
copies it to ``<html>/book.pdf``; each page's download menu gets a "全书 PDF" entry, shown only
when that file is there: ``make pdf`` sets ``bookPdfBuilt`` in every page it printed (no request
is made to find out), and a later build sets it when the file exists.
"""

from __future__ import annotations

import json
import posixpath
import shutil
import subprocess
import tarfile
import tempfile
import time
from datetime import datetime
from pathlib import Path

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

THEBE_VERSION = "0.9.2"
STATIC = Path(__file__).with_name("d2l_live_static")
#: the PDF of the whole book, relative to the site's root (written by `make pdf`)
BOOK_PDF = "book.pdf"


# --- Thebe from the site -------------------------------------------------------------------


def _vendor_dir(app: Sphinx) -> Path:
    # Beside <build>/html, so that `book-strict`'s clean-up of html/ keeps the download.
    return Path(app.outdir).parent / "vendor" / f"thebe-{THEBE_VERSION}"


def fetch_thebe(dest: Path) -> Path:
    """Download ``thebe@THEBE_VERSION`` with npm and unpack its ``lib/`` (scripts, CSS and
    licences; no source maps or type declarations) into ``dest / "lib"``; returns that folder.
    Does nothing when it is already there."""
    lib = dest / "lib"
    if (lib / "index.js").is_file():
        return lib
    npm = shutil.which("npm")
    if npm is None:
        raise ExtensionError(
            f"d2l_live: npm is needed to fetch thebe@{THEBE_VERSION} for the website's Live Code "
            "(install Node.js/npm, e.g. `apt-get install npm`)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [npm, "pack", f"thebe@{THEBE_VERSION}", "--pack-destination", tmp, "--silent"],
            capture_output=True, text=True, check=False,
        )
        tarballs = list(Path(tmp).glob("thebe-*.tgz"))
        if proc.returncode != 0 or len(tarballs) != 1:
            raise ExtensionError(
                f"d2l_live: `npm pack thebe@{THEBE_VERSION}` failed "
                f"(exit {proc.returncode}): {proc.stderr.strip()[-500:]}"
            )
        staging = Path(tmp) / "unpacked"
        with tarfile.open(tarballs[0]) as tar:
            members = [
                m for m in tar.getmembers()
                if m.name in ("package/package.json", "package/LICENSE")
                or (m.name.startswith("package/lib/") and m.name.count("/") == 2
                    and m.name.endswith((".js", ".css", ".txt")))
            ]  # fmt: skip
            tar.extractall(staging, members=members, filter="data")
        version = json.loads((staging / "package" / "package.json").read_text())["version"]
        if version != THEBE_VERSION:
            raise ExtensionError(f"d2l_live: npm gave thebe {version}, expected {THEBE_VERSION}")
        if (staging / "package" / "LICENSE").is_file():
            shutil.copy(staging / "package" / "LICENSE", staging / "package" / "lib" / "LICENSE")
        dest.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(lib, ignore_errors=True)
        shutil.move(str(staging / "package" / "lib"), lib)
    logger.info(f"d2l_live: fetched thebe@{THEBE_VERSION} into {lib}")
    return lib


def _on_builder_inited(app: Sphinx) -> None:
    app.d2l_build_start = time.time()  # type: ignore[attr-defined]
    if app.builder.format != "html":
        return
    app.d2l_thebe_lib = fetch_thebe(_vendor_dir(app))  # type: ignore[attr-defined]


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    shutil.copytree(app.d2l_thebe_lib, Path(app.outdir) / "thebe",  # type: ignore[attr-defined]
                    dirs_exist_ok=True)


def _binder_url(app: Sphinx) -> str:
    options = getattr(app.config, "html_theme_options", None) or {}
    launch = options.get("launch_buttons", {}) or {}
    return str(launch.get("binderhub_url") or "https://mybinder.org").rstrip("/")


def _readme_url(app: Sphinx) -> str:
    """The README on the repository of ``_config.yml`` (``repository.url`` and ``branch``)."""
    options = getattr(app.config, "html_theme_options", None) or {}
    url = str(options.get("repository_url") or "").rstrip("/")
    branch = options.get("repository_branch") or "main"
    return f"{url}/blob/{branch}/README.md" if url else ""


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict,
                  doctree: object) -> None:
    """Point sphinx-thebe's THEBE_JS_URL at the site's copy and tell d2l-live.js the page's
    settings."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    pathto = context["pathto"]
    thebe_js = pathto("thebe/index.js", 1)
    settings = {
        "thebeJs": thebe_js,
        "thebeCss": pathto("thebe/thebe.css", 1),
        "binderUrl": _binder_url(app),
        "timeoutMs": int(app.config.d2l_live_timeout_s * 1000),
        "readme": _readme_url(app),
        "bookPdf": pathto(BOOK_PDF, 1),
        # `make pdf` turns this on in every page once it has written <html>/book.pdf.
        "bookPdfBuilt": (Path(app.outdir) / BOOK_PDF).is_file(),
    }
    for i, js in enumerate(scripts):
        body = getattr(js, "attributes", {}).get("body", "")
        if not getattr(js, "filename", None) and isinstance(body, str) and "const THEBE_JS_URL" in body:
            start = body.index("const THEBE_JS_URL")
            end = body.index(";", start) if ";" in body[start:] else len(body)
            new_body = (f"{body[:start]}const THEBE_JS_URL = {json.dumps(thebe_js)}{body[end:]}; "
                        f"window.D2L_LIVE = {json.dumps(settings, ensure_ascii=False)}")
            attributes = {k: v for k, v in js.attributes.items() if k != "body"}
            scripts[i] = type(js)(None, priority=js.priority, body=new_body, **attributes)
    # The whole book as a PDF, in the page's download menu (shown by d2l-live.js when present).
    for group in context.get("header_buttons", []) or []:
        if isinstance(group, dict) and group.get("label") == "download-buttons":
            group["buttons"].append({
                "type": "link",
                "url": pathto(BOOK_PDF, 1),
                "text": "全书 PDF",
                "tooltip": "下载全书 PDF（所有页面，含目录）",
                "icon": "fas fa-book",
                "label": "download-book-pdf-button",
            })


def _thebe_without_mathjax(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Thebe 0.9 loads MathJax 2 from cdnjs for LaTeX outputs: switch that off."""
    for raw in list(doctree.findall(nodes.raw)):
        text = raw.astext()
        if 'type="text/x-thebe-config"' in text and "mathjaxUrl" not in text:
            new = text.replace("predefinedOutput: true", "predefinedOutput: true,\n        mathjaxUrl: false")
            raw.replace_self(nodes.raw(text=new, format="html"))


# --- the status page's table of build times -------------------------------------------------


class BuildTimesNode(nodes.General, nodes.Element):
    """Placeholder for the build-times table, filled once every notebook has run."""


class BuildTimes(SphinxDirective):
    """``d2l-build-times``: every executed notebook of this build, its run time and status."""

    def run(self) -> list[nodes.Node]:
        from myst_nb.ext.execution_tables import METADATA_KEY
        from myst_nb.sphinx_ import NbMetadataCollector

        # Marked as MyST-NB's own table is, so the page is rebuilt when a notebook re-runs.
        NbMetadataCollector.set_doc_data(self.env, self.env.docname, METADATA_KEY, True)
        return [BuildTimesNode()]


def _cell(content: nodes.Node | str) -> nodes.entry:
    paragraph = nodes.paragraph()
    paragraph += content if isinstance(content, nodes.Node) else nodes.Text(content)
    return nodes.entry("", paragraph)


def build_times_table(env, parent: str, since: float) -> nodes.table:  # noqa: ANN001
    """The table: 页面 | 用时（秒） | 执行 | 状态, one row per notebook, then the total. A
    notebook executed at or after ``since`` (this build's start) ran now; the others' outputs
    (and run times) come from the execution cache."""
    from myst_nb.sphinx_ import NbMetadataCollector

    metadata = NbMetadataCollector.get_doc_data(env)
    table = nodes.table(classes=["d2l-build-times", "colwidths-auto"])
    tgroup = nodes.tgroup(cols=4)
    table += tgroup
    for _ in range(4):
        tgroup += nodes.colspec(colwidth=25)
    thead = nodes.thead()
    tgroup += thead
    head = nodes.row()
    thead += head
    for name in ("页面", "用时（秒）", "执行", "状态"):
        head += _cell(name)
    tbody = nodes.tbody()
    tgroup += tbody
    total = 0.0
    rows = 0
    for docname in sorted(metadata):
        data = metadata[docname].get("exec_data")
        if not data or docname == parent:
            continue
        rows += 1
        row = nodes.row()
        tbody += row
        link = pending_xref(
            refdoc=parent, reftarget=posixpath.relpath(docname, posixpath.dirname(parent)),
            reftype="doc", refdomain="std", refexplicit=True, refwarn=True, classes=["xref", "doc"],
        )  # fmt: skip
        title = env.titles.get(docname)
        link += nodes.inline(text=title.astext() if title is not None else docname)
        row += _cell(link)
        runtime = data.get("runtime")
        total += runtime or 0.0
        row += _cell("—" if runtime is None else f"{runtime:.1f}")
        mtime = data.get("mtime")
        if mtime and mtime >= since:
            row += _cell("本次执行")
        else:
            row += _cell(f"缓存（{datetime.fromtimestamp(mtime):%m-%d %H:%M}）" if mtime else "缓存")
        if data.get("succeeded"):
            row += _cell("✅")
        else:
            row += _cell(nodes.abbreviation(text="❌", explanation=str(data.get("error") or "")))
    row = nodes.row(classes=["d2l-build-times-total"])
    tbody += row
    row += _cell(nodes.strong(text=f"合计（{rows} 个笔记本）"))
    row += _cell(nodes.strong(text=f"{total:.1f}"))
    row += _cell("")
    row += _cell("")
    return table


class BuildTimesPostTransform(SphinxPostTransform):
    default_priority = 8  # before the references are resolved (as MyST-NB's table)

    def run(self, **kwargs: object) -> None:
        for node in list(self.document.findall(BuildTimesNode)):
            since = getattr(self.app, "d2l_build_start", 0.0)
            node.replace_self(build_times_table(self.env, self.env.docname, since))


# --- setup -----------------------------------------------------------------------------------


def _on_config_inited(app: Sphinx, config: object) -> None:
    paths = list(getattr(config, "html_static_path", []) or [])
    if str(STATIC) not in paths:
        paths.append(str(STATIC))
        config.html_static_path = paths  # type: ignore[attr-defined]


def setup(app: Sphinx) -> dict[str, object]:
    app.add_config_value("d2l_live_timeout_s", 20, "html")
    app.connect("config-inited", _on_config_inited)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("build-finished", _on_build_finished)
    # After the book theme fills header_buttons (501), before d2l_site drops repeated scripts (900).
    app.connect("html-page-context", _page_context, priority=600)
    app.connect("doctree-resolved", _thebe_without_mathjax, priority=600)
    app.add_js_file("d2l-live.js", defer="defer")
    app.add_css_file("d2l-live.css")
    app.add_node(BuildTimesNode)
    app.add_directive("d2l-build-times", BuildTimes)
    app.add_post_transform(BuildTimesPostTransform)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
