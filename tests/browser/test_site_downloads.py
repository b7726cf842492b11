"""The notebooks of the download menu, as a reader gets them from the built website.

Without a browser (``make site-test``, after a build): every page's ``.ipynb`` and ``.md``
download is plain (no MyST role, directive or label left), starts with the d2lcore check, has
its glued values filled in and its hidden cells marked; ``notebooks.zip`` holds every page's
notebook.

``make download-test`` (``D2L_DOWNLOAD_TEST=1``; several minutes, it installs torch) then runs
two downloaded notebooks where they land: a fresh virtual environment (no system
site-packages, no PYTHONPATH, a folder outside the repository) gets torch and torchvision (the
versions pip admits on this machine), nbclient and ipykernel. There the first cell must stop
with the install line; after ``pip install <this checkout>`` (what that line does, from the
checkout instead of the repository URL) both notebooks run to the end in the quick mode.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from site_pages import ROOT, SITE, is_notebook, toc_pages  # noqa: E402

VENV = ROOT / "_build" / "download-venv"
#: two pages whose downloads are executed: Fashion-MNIST and glue; references, exercises,
#: solutions and a trained model
EXECUTED = [
    "chapters/ch03_linear_networks/ch03_05_image_classification_dataset",
    "chapters/ch04_multilayer_perceptrons/ch04_03_mlp_concise",
]
NOTEBOOK_PAGES = [doc for _, doc in toc_pages() if is_notebook(doc)]

if not (SITE / "index.html").is_file():
    if os.environ.get("D2L_SITE_TEST") == "1" or os.environ.get("D2L_DOWNLOAD_TEST") == "1":
        raise RuntimeError(f"no website in {SITE}: run `make book-strict` first")
    pytest.skip(f"no website in {SITE}; build it, then `make site-test`", allow_module_level=True)

# MyST a reader's Jupyter does not understand
_MYST = [
    (re.compile(r"\{[a-z][\w:-]*\}`"), "a role"),
    (re.compile(r"^\s*(```+|:::+)\s*\{", re.M), "a directive fence"),
    (re.compile(r"^\s*\([\w:.-]+\)=\s*$", re.M), "a label"),
]


def _markdown(nb: dict) -> str:
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def _without_code(text: str) -> str:
    """Markdown without its code blocks and code spans (where MyST may be quoted)."""
    text = re.sub(r"^```[^\n{]*\n.*?^```\s*$", "", text, flags=re.M | re.S)
    return re.sub(r"(`+)(?!\{).+?\1", "", text)


def _myst_left(text: str) -> list[str]:
    body = _without_code(text)
    return [f"{what}: {m.group(0)!r}" for rx, what in _MYST for m in rx.finditer(body)][:5]


def _download(docname: str, suffix: str) -> Path:
    return SITE / "_sources" / f"{docname}{suffix}"


@pytest.mark.parametrize("docname", NOTEBOOK_PAGES)
def test_downloaded_notebook_is_plain(docname: str) -> None:
    nb = json.loads(_download(docname, ".ipynb").read_text(encoding="utf-8"))
    problems = _myst_left(_markdown(nb))
    first = nb["cells"][0]
    if first["cell_type"] != "code" or "find_spec(\"d2lcore\")" not in "".join(first["source"]):
        problems.append("the first cell does not check for d2lcore")
    if "pip install" not in "".join(first["source"]):
        problems.append("the first cell names no install line")
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] == "code" and tags & {"remove-cell", "remove-input", "hide-input",
                                                   "hide-cell", "hide-output", "remove-output"}:
            if not source.startswith("# 【网页中隐藏】"):
                problems.append(f"hidden cell not marked: {source[:60]!r}")
        if cell["cell_type"] == "code" and re.search(r"^from myst_nb import glue$", source, re.M):
            problems.append("`from myst_nb import glue` would fail without MyST-NB")
    page_url = nb["metadata"].get("d2l_companion", {}).get("page", "")
    if not page_url.startswith("https://") or not page_url.endswith(f"{docname}.html"):
        problems.append(f"metadata names no page on the public site: {page_url!r}")
    md = _download(docname, ".md")
    if md.is_file():
        text = md.read_text(encoding="utf-8")
        problems += [f".md: {p}" for p in _myst_left(re.sub(r"^---\n.*?\n---\n", "", text, flags=re.S))]
        if "```python" not in text:
            problems.append(".md download has no ```python cells")
    assert not problems, f"{docname}:\n  " + "\n  ".join(problems)


def test_glued_values_and_references_are_filled_in() -> None:
    nb = json.loads(_download(EXECUTED[1], ".ipynb").read_text(encoding="utf-8"))
    text = _markdown(nb)
    site = nb["metadata"]["d2l_companion"]["page"].split("chapters/")[0]
    assert re.search(r"\[4\.8 节\]\(" + re.escape(site) + r"chapters/ch04_[^)]*ch04_08_[^)]*\.html#", text), \
        "no link '4.8 节' to the site"
    assert re.search(r"\[练习 4\.3\.2\]\(" + re.escape(site), text), "no link '练习 4.3.2'"
    assert "### 练习 4.3.1" in text and "#### 练习 4.3.1 的解答" in text
    data = json.loads(_download(EXECUTED[0], ".ipynb").read_text(encoding="utf-8"))
    assert re.search(r"精度为 0\.\d{3}", _markdown(data)), "the glued accuracy is not in the text"


def test_zip_of_every_notebook() -> None:
    with zipfile.ZipFile(SITE / "notebooks.zip") as zf:
        names = zf.namelist()
        assert names == sorted(set(names), key=names.index), "a notebook twice in the zip"
        expected = [f"d2l-companion/{doc}.ipynb" for doc in NOTEBOOK_PAGES]
        missing = sorted(set(expected) - set(names))
        assert not missing, f"not in notebooks.zip: {missing}"
        nb = json.loads(zf.read(f"d2l-companion/{EXECUTED[0]}.ipynb"))
        assert nb["cells"][0]["id"] == "d2lcore-setup"


def test_every_page_offers_the_zip_in_its_download_menu() -> None:
    for _, docname in toc_pages():
        html = (SITE / f"{docname}.html").read_text(encoding="utf-8")
        depth = docname.count("/")
        href = "../" * depth + "notebooks.zip"
        assert f'href="{href}"' in html, f"{docname}: no link to {href} in the download menu"


# --- running them where they land ------------------------------------------------------------

needs_venv = pytest.mark.skipif(
    os.environ.get("D2L_DOWNLOAD_TEST") != "1",
    reason="installs torch into a new environment; run it with `make download-test`",
)


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, (
        f"`{shlex.join(cmd)}` failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc


def _torch_pins() -> list[str]:
    """The torch and torchvision of the environment running the tests (pip installs the same
    from its index; on this machine from the local disk)."""
    import importlib.metadata as md

    return [f"{name}=={md.version(name).split('+')[0]}" for name in ("torch", "torchvision")]


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A new virtual environment with torch, nbclient and ipykernel, and no d2lcore yet. One
    left by an earlier run with the same torch is reused without its d2lcore (installing torch
    takes minutes)."""
    pins = _torch_pins()
    marker = VENV / "d2l-download-test.txt"
    python = str(VENV / "bin" / "python")
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    if marker.is_file() and marker.read_text() == " ".join(pins):
        _run([python, "-m", "pip", "uninstall", "--quiet", "--yes", "d2lcore"], env=clean,
             cwd=VENV)
        gone = subprocess.run([python, "-c", "import d2lcore"], env=clean, cwd=VENV,
                              capture_output=True, check=False)
        assert gone.returncode != 0, "d2lcore is still importable in the reused environment"
    else:
        subprocess.run(["rm", "-rf", str(VENV)], check=True)
        _run([sys.executable, "-m", "venv", str(VENV)])
        pip = [python, "-m", "pip", "install", "--quiet"]
        _run(pip + pins)
        _run(pip + ["nbclient", "ipykernel"])
        marker.write_text(" ".join(pins))
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update({
        "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(VENV), "HOME": str(home), "MPLBACKEND": "Agg",
        "JUPYTER_PATH": str(VENV / "share" / "jupyter"),
        "D2LCORE_QUICK": "1", "D2LCORE_RESULTS": str(home / "results"),
    })
    _run([str(VENV / "bin" / "python"), "-m", "ipykernel", "install", "--sys-prefix",
          "--name", "python3"], env=env)
    return env


EXECUTE = """
import json, sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
nb = nbformat.read(sys.argv[1], as_version=4)
upto = int(sys.argv[2])
if upto:
    nb.cells = nb.cells[:upto]
try:
    NotebookClient(nb, timeout=900, kernel_name="python3").execute()
    error = None
except CellExecutionError as err:
    error = str(err)
first = "".join(o.get("text", "") for o in nb.cells[0].outputs)
print(json.dumps({"error": error, "first": first,
                  "cells": sum(c.cell_type == "code" for c in nb.cells)}))
"""


def _execute(env: dict[str, str], notebook: Path, upto: int = 0) -> dict:
    script = notebook.parent / "execute.py"
    script.write_text(EXECUTE, encoding="utf-8")
    out = _run([str(VENV / "bin" / "python"), str(script), str(notebook), str(upto)],
               env=env, cwd=notebook.parent).stdout
    return json.loads(out.strip().splitlines()[-1])


@needs_venv
def test_downloaded_notebooks_run_where_they_land(fresh_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "Downloads"
    folder.mkdir()
    notebooks = []
    for docname in EXECUTED:
        path = folder / Path(docname).with_suffix(".ipynb").name
        path.write_bytes(_download(docname, ".ipynb").read_bytes())
        notebooks.append(path)

    # Without d2lcore, the first cell stops with the install line.
    result = _execute(fresh_env, notebooks[0], upto=1)
    assert result["error"] and "没有找到 d2lcore" in result["error"], result
    assert re.search(r'pip install "d2lcore @ git\+https://github\.com/\S+\.git@\w+"', result["error"]), result

    # The install line's package, from this checkout (not editable: nothing points back here).
    _run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", str(ROOT)], env=fresh_env,
         cwd=VENV)  # not from ROOT, where `python -m pip` would see ROOT's own metadata
    where = _run([str(VENV / "bin" / "python"), "-c", "import d2lcore; print(d2lcore.__file__)"],
                 env=fresh_env, cwd=folder).stdout.strip()
    assert Path(where).is_relative_to(VENV), f"d2lcore imported from {where}, not the new environment"

    data = os.environ.get("D2LCORE_DATA")
    env = {**fresh_env, **({"D2LCORE_DATA": data} if data else {})}
    for path in notebooks:
        result = _execute(env, path)
        assert result["error"] is None, f"{path.name}:\n{result['error'][-3000:]}"
        assert result["first"].startswith("d2lcore "), result["first"]
        assert result["cells"] > 3
