"""The status page: its table of build times, and the generated pages re-read on every build.

The ``d2l-build-times`` directive is MyST-NB's ``nb-exec-table`` in Chinese and narrow: one row
per notebook with its title (not its path), its run time and whether it ran now or came from the
cache, and a total; readable at 390 px.

The results page (results.md) is generated from the runs of this build, and the status page
(status.md) reports on this build: both are re-read, and so re-executed (their front matter
says ``execution_mode: force``), on every build.
"""

from __future__ import annotations

import posixpath
import time
from datetime import datetime

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

#: pages generated from this build, re-read on every build
GENERATED_PAGES = ("results", "status")


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


def _on_builder_inited(app: Sphinx) -> None:
    app.d2l_build_start = time.time()  # type: ignore[attr-defined]


def _reread_generated_pages(app: Sphinx, env, added, changed, removed) -> list[str]:  # noqa: ANN001
    return [doc for doc in GENERATED_PAGES if doc in env.found_docs]


def setup(app: Sphinx) -> None:
    app.connect("builder-inited", _on_builder_inited)
    app.connect("env-get-outdated", _reread_generated_pages)
    app.add_node(BuildTimesNode)
    app.add_directive("d2l-build-times", BuildTimes)
    app.add_post_transform(BuildTimesPostTransform)
