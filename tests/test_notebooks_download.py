"""The plain notebooks of the download menu (_ext/d2l_site/notebooks.py), without a build: MyST roles,
directives and labels become plain Markdown; glued values are filled in; hidden cells are
marked; the first cell checks for d2lcore. The built downloads are executed in a fresh
environment by tests/browser/test_notebook_downloads.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from d2l_site import notebooks  # noqa: E402

SITE = "https://example.org/book/"
LINKS = notebooks.Links(
    site_url=SITE,
    labels={
        "sec-pooling": ("chapters/ch06_c/ch06_05_pooling", "sec-pooling", "6.5 汇聚层"),
        "ex-4-3-2": ("chapters/ch04_m/ch04_03_mlp_concise", "ex-4-3-2", ""),
    },
    numbers={"ex-4-3-2": "练习 4.3.2"},
    titles={"chapters/ch06_c/ch06_05_pooling": "6.5 汇聚层",
            "chapters/ch04_m/ch04_03_mlp_concise": "4.3 多层感知机的简洁实现", "intro": "首页"},
    pages=["chapters/ch04_m/ch04_03_mlp_concise", "chapters/ch06_c/ch06_05_pooling"],
    equations={"eq-mlp-1": ("chapters/ch04_m/ch04_03_mlp_concise", "equation-eq-mlp-1", "4.3.1")},
)
POOLING_URL = f"{SITE}chapters/ch06_c/ch06_05_pooling.html#sec-pooling"
EXERCISE_URL = f"{SITE}chapters/ch04_m/ch04_03_mlp_concise.html#ex-4-3-2"


def page(**glue: dict[str, str]) -> notebooks.Page:
    return notebooks.Page("chapters/ch04_m/ch04_03_mlp_concise", LINKS, dict(glue))


def test_references_become_links_to_the_site_with_the_sites_text() -> None:
    text = "见 {ref}`6.5 节 <sec-pooling>`，以及 {ref}`sec-pooling` 和 {numref}`ex-4-3-2`。"
    out = notebooks.myst_to_markdown(text, page())
    assert out == (f"见 [6.5 节]({POOLING_URL})，以及 [6.5 汇聚层]({POOLING_URL}) 和 "
                   f"[练习 4.3.2]({EXERCISE_URL})。")


def test_equations_keep_the_sites_numbers() -> None:
    """A labelled display equation shows its number with \\tag, and {eq} links to it."""
    text = ("$$\\mathbf{h} = \\sigma(\\mathbf{x})$$ (eq-mlp-1)\n\n"
            "$$\na = b\n$$ (eq-mlp-1)\n\n由 {eq}`eq-mlp-1` 和 {eq}`式 1 <eq-mlp-1>` 可知，$x$ 与 $$y$$。")
    url = f"{SITE}chapters/ch04_m/ch04_03_mlp_concise.html#equation-eq-mlp-1"
    assert notebooks.myst_to_markdown(text, page()) == (
        "$$\\mathbf{h} = \\sigma(\\mathbf{x}) \\tag{4.3.1}$$\n\n"
        "$$\na = b \\tag{4.3.1}$$\n\n"
        f"由 [(4.3.1)]({url}) 和 [式 1]({url}) 可知，$x$ 与 $$y$$。")
    with pytest.raises(notebooks.ConversionError, match="eq-nowhere"):
        notebooks.myst_to_markdown("见 {eq}`eq-nowhere`。", page())
    with pytest.raises(notebooks.ConversionError, match="eq-nowhere"):
        notebooks.myst_to_markdown("$$x$$ (eq-nowhere)", page())


def test_roles_inside_code_spans_and_code_blocks_stay_as_written() -> None:
    text = "写成 `{ref}` 或 ``{numref}`x` ``。\n\n```python\nprint('{ref}`sec-pooling`')\n```"
    assert notebooks.myst_to_markdown(text, page()) == text


def test_glued_values_are_filled_in_with_their_format() -> None:
    glue = {"acc": {"text/plain": "0.83456"}, "path": {"text/plain": "x", "text/markdown": "1×1 卷积"}}
    out = notebooks.myst_to_markdown("精度 {glue:text}`acc:.3f`，路径 {glue:md}`path`。", page(**glue))
    assert out == "精度 0.835，路径 1×1 卷积。"
    with pytest.raises(notebooks.ConversionError, match="missing"):
        notebooks.myst_to_markdown("{glue:text}`missing:.2f`", page(**glue))


def test_glued_values_are_read_from_the_executed_notebook() -> None:
    nb = {"cells": [{"cell_type": "code", "source": "glue('acc', 0.5, display=False)",
                     "outputs": [{"output_type": "display_data", "data": {"text/plain": ["0.5"]},
                                  "metadata": {"scrapbook": {"name": "acc", "mime_prefix": ""}}}]}]}
    assert notebooks.glued_values(nb) == {"acc": {"text/plain": "0.5"}}
    # as MyST-NB writes it: the bundle under the scrapbook's prefix
    prefix = "application/papermill.record/"
    output = nb["cells"][0]["outputs"][0]
    output["data"] = {f"{prefix}text/plain": "0.669"}
    output["metadata"]["scrapbook"]["mime_prefix"] = prefix
    assert notebooks.glued_values(nb) == {"acc": {"text/plain": "0.669"}}


def test_exercises_solutions_and_admonitions_become_headed_sections_and_quotes() -> None:
    text = "\n".join([
        "(sec-x)=", "# 4.3 标题", "% a MyST comment", "",
        "```{exercise-start}", ":label: ex-4-3-2", "```", "改用书中的初始化。", "```{exercise-end}", "```",
        "", "```{solution-start} ex-4-3-2", ":class: dropdown", "```", "默认初始化更宽。",
        "```{solution-end}", "```", "",
        ":::{admonition} 为什么这么快", ":class: dropdown", "见 {ref}`6.5 节 <sec-pooling>`。", ":::",
    ])
    out = notebooks.myst_to_markdown(text, page())
    assert out.splitlines() == [
        "# 4.3 标题", "", "### 练习 4.3.2", "", "改用书中的初始化。", "",
        "#### 练习 4.3.2 的解答", "", "默认初始化更宽。", "",
        "> **为什么这么快**", ">", f"> 见 [6.5 节]({POOLING_URL})。",
    ]
    assert "{" not in out and "(sec-x)=" not in out


def test_unknown_myst_fails_loudly() -> None:
    with pytest.raises(notebooks.ConversionError, match="sec-nowhere"):
        notebooks.myst_to_markdown("{ref}`sec-nowhere`", page())
    with pytest.raises(notebooks.ConversionError, match="directive"):
        notebooks.myst_to_markdown("```{figure} a.png\n```", page())
    with pytest.raises(notebooks.ConversionError, match="role"):
        notebooks.myst_to_markdown("{cite}`book`", page())


def test_table_of_contents_lists_the_pages() -> None:
    out = notebooks.myst_to_markdown("```{tableofcontents}\n```", notebooks.Page("intro", LINKS))
    assert out.splitlines() == [
        f"- [4.3 多层感知机的简洁实现]({SITE}chapters/ch04_m/ch04_03_mlp_concise.html)",
        f"- [6.5 汇聚层]({SITE}chapters/ch06_c/ch06_05_pooling.html)",
    ]


def _notebook() -> dict:
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"jupytext": {"formats": "md:myst"}, "kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "cells": [
            {"cell_type": "markdown", "id": "a", "metadata": {}, "source": "(sec-x)=\n"},
            {"cell_type": "markdown", "id": "b", "metadata": {}, "source": "# 标题\n见 {ref}`sec-pooling`"},
            {"cell_type": "code", "id": "c", "metadata": {}, "outputs": [], "execution_count": 1,
             "source": "import torch\nfrom myst_nb import glue\n"},
            {"cell_type": "code", "id": "d", "metadata": {"tags": ["hide-input"]}, "outputs": [],
             "execution_count": 2, "source": "plot()"},
        ],
    }


def test_plain_notebook_starts_with_the_setup_cell_and_marks_hidden_cells() -> None:
    nb = _notebook()
    out = notebooks.plain_notebook(nb, page(), "https://github.com/o/r", "main")
    assert nb["cells"][0]["source"] == "(sec-x)=\n", "the input was modified"
    kinds = [(c["cell_type"], c["source"].splitlines()[0]) for c in out["cells"]]
    assert kinds[0][0] == "code" and "d2lcore" in out["cells"][0]["source"]
    assert kinds[1] == ("markdown", "# 标题")  # the label-only cell is gone
    assert "except ImportError" in out["cells"][2]["source"]
    assert out["cells"][3]["source"].startswith(notebooks.HIDDEN_MARK)
    assert out["cells"][3]["source"].endswith("plot()")
    assert "jupytext" not in out["metadata"]
    import nbformat

    nbformat.validate(nbformat.from_dict(out))


def test_setup_cell_names_the_install_line_and_stops_without_d2lcore(tmp_path: Path) -> None:
    source = notebooks.setup_cell_source("https://github.com/o/r", "main")
    assert 'pip install \\"d2lcore @ git+https://github.com/o/r.git@main\\"' in source
    # Run it where d2lcore cannot be imported: it must stop with the install line.
    (tmp_path / "cell.py").write_text(source, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-I", "-S", str(tmp_path / "cell.py")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode != 0
    assert "ModuleNotFoundError: 没有找到 d2lcore" in proc.stderr
    assert 'pip install "d2lcore @ git+https://github.com/o/r.git@main"' in proc.stderr


def test_setup_cell_reports_the_data_folder_when_d2lcore_is_there(tmp_path: Path) -> None:
    source = notebooks.setup_cell_source("https://github.com/o/r", "main")
    (tmp_path / "FashionMNIST" / "raw").mkdir(parents=True)
    proc = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                          env={**__import__("os").environ, "D2LCORE_DATA": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert f"数据目录 {tmp_path}（已有 Fashion-MNIST）" in proc.stdout


def test_downloads_take_every_output_from_the_execution_cache(tmp_path: Path) -> None:
    """A page that ran in this build has outputs in its written notebook, but not the hidden
    glue(display=False) ones: the download must still get them, from the execution cache."""
    nbformat = pytest.importorskip("nbformat")
    jupyter_cache = pytest.importorskip("jupyter_cache")
    from types import SimpleNamespace

    from d2l_site import downloads
    from jupyter_cache.base import CacheBundleIn

    source = "from myst_nb import glue\nglue('acc', 0.5, display=False)\nprint('hi')"
    glue_output = nbformat.v4.new_output(
        "display_data", data={"application/papermill.record/text/plain": "0.5"},
        metadata={"scrapbook": {"name": "acc", "mime_prefix": "application/papermill.record/"}})
    stream = nbformat.v4.new_output("stream", name="stdout", text="hi\n")
    executed = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source, outputs=[glue_output, stream])])
    cache = jupyter_cache.get_cache(tmp_path / "cache")
    cache.cache_notebook_bundle(CacheBundleIn(executed, "page.ipynb"), check_validity=False)

    written = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source, outputs=[stream])])
    path = tmp_path / "html" / "_sources" / "page.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(written, path)
    app = SimpleNamespace(
        builder=SimpleNamespace(format="html"), outdir=str(tmp_path / "html"),
        env=SimpleNamespace(found_docs={"page"}, mystnb_config=SimpleNamespace(
            execution_mode="cache", execution_cache_path=str(tmp_path / "cache"))))
    downloads._fill_downloaded_notebooks(app, None)
    outputs = nbformat.read(path, as_version=4).cells[0].outputs
    assert notebooks.glued_values({"cells": [{"cell_type": "code", "outputs": outputs}]}) == {
        "acc": {"text/plain": "0.5"}}
