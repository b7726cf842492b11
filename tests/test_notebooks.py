"""The notebooks run from the repository root or their chapter folder, and write nothing
outside temporary, cache or results folders."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# --- notebooks: any working directory, no writes outside build/cache folders ------------------

NOTEBOOKS = ["chapters/ch03_linear_networks/ch03_01_linear_regression.md"]
ALLOWED_IN_HOME = (".cache", ".ipython", ".local", ".jupyter", ".config/matplotlib")


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_from_any_folder_and_writes_nothing_else(
    notebook: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_root: Path
) -> None:
    """A fresh kernel runs the page (quick mode) from the repository root and, at the same
    time in another fresh kernel, from its chapter folder; neither writes into the repository
    nor anywhere in the home folder but its cache folders."""
    import asyncio

    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    repo, home = tmp_path / "repo", tmp_path / "home"
    source = repo / notebook
    source.parent.mkdir(parents=True)
    home.mkdir()
    shutil.copyfile(REPO / notebook, source)
    for key in ("D2LCORE_RESULTS", "MPLCONFIGDIR", "XDG_CACHE_HOME", "JUPYTER_RUNTIME_DIR",
                "IPYTHONDIR", "D2LCORE_DEVICE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("D2LCORE_QUICK", "1")
    monkeypatch.setenv("D2LCORE_DATA", str(data_root.resolve()))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    runs = {"repository root": repo, "chapter folder": source.parent}
    notebooks = {where: jupytext.read(source) for where in runs}
    assert any(c.cell_type == "code" for c in notebooks["repository root"].cells), "no code cells"

    async def run_all() -> None:
        clients = [
            nbclient.NotebookClient(notebooks[where], timeout=120, kernel_name="python3",
                                    resources={"metadata": {"path": str(cwd)}})
            for where, cwd in runs.items()
        ]  # fmt: skip
        await asyncio.gather(*(client.async_execute() for client in clients))

    asyncio.run(run_all())  # a failing cell raises CellExecutionError, naming the cell
    for where, nb in notebooks.items():
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        assert outputs, f"{where}: nothing was executed"
        assert not [o for o in outputs if o.output_type == "error"], where
    assert _files(repo) == {notebook}, "the notebook wrote into the repository"
    stray = [f for f in _files(home) if not f.startswith(ALLOWED_IN_HOME)]
    assert stray == [], f"the notebook wrote outside the cache folders: {stray}"


_WRITES = re.compile(r"savefig\(|torch\.save\(|save_checkpoint\(|checkpoint\s*=|write_text\(|"
                     r"write_bytes\(|open\([^)]*['\"][wax]b?\+?['\"]|to_csv\(|np\.save")
_SAFE_PLACES = ("tempfile", "default_cache_dir", "results_dir", "d2l.record(")


@pytest.mark.parametrize("source", sorted(str(p.relative_to(REPO)) for p in
                                          (REPO / "chapters").rglob("ch*.md")))
def test_notebook_source_is_portable(source: str) -> None:
    """Every page: no environment variables (config decides), no chdir or ``../`` paths
    (it must run from any folder), and files written only into temporary or cache folders."""
    jupytext = pytest.importorskip("jupytext")
    cells = [c.source for c in jupytext.read(REPO / source).cells if c.cell_type == "code"]
    assert cells, f"{source}: jupytext found no code cells (is the header's format_name myst?)"
    for i, code in enumerate(cells):
        where = f"{source}, code cell {i + 1}"
        assert not re.search(r"os\.environ|getenv\(", code), f"{where} reads an env var"
        assert not re.search(r"chdir\(|['\"]\.\./", code), f"{where} depends on the folder"
        if _WRITES.search(code):
            assert any(s in code for s in _SAFE_PLACES), (
                f"{where} writes a file outside a temporary or cache folder"
            )
