"""The Binder environment, built the way Binder (repo2docker) builds it.

A fresh virtual environment gets ``pip install -r binder/requirements.txt`` run from the
repository root, then ``binder/postBuild``; it must import d2lcore from this repository, carry a
CPU-only torch, open ``.md`` pages as notebooks, and execute the first notebook of _toc.yml.

PyTorch's CPU index (``--extra-index-url https://download.pytorch.org/whl/cpu``) is used as is
when it can be reached. Where it cannot (CI's sandbox reaches only PyPI), that one line is
replaced by the local stand-in of the same index: a ``+cpu`` torch wheel from pip's find-links
folders, pinned with a constraint, so the same requirement names resolve to a CPU-only build.

Run it with ``make binder-test`` (a few minutes: it installs torch into a new environment).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from packaging.requirements import Requirement

sys.path.insert(0, str(Path(__file__).parent))
from site_pages import ROOT, is_notebook, source_of, toc_pages  # noqa: E402

BINDER = ROOT / "binder"
REQUIREMENTS = BINDER / "requirements.txt"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
VENV = ROOT / "_build" / "binder-venv"

pytestmark = pytest.mark.skipif(
    os.environ.get("D2L_BINDER_TEST") != "1",
    reason="builds a new environment with torch; run it with `make binder-test`",
)


def parse_requirements(text: str) -> tuple[list[str], list[Requirement], list[str]]:
    """Split a requirements file into (option lines, requirements, editable/local paths)."""
    options: list[str] = []
    reqs: list[Requirement] = []
    local: list[str] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-e ") or line.startswith("--editable "):
            local.append(line.split(None, 1)[1])
        elif line.startswith("-"):
            options.append(line)
        else:
            reqs.append(Requirement(line))  # raises InvalidRequirement on a malformed line
    return options, reqs, local


def test_requirements_name_a_cpu_only_torch_jupytext_myst_nb_and_d2lcore() -> None:
    options, reqs, local = parse_requirements(REQUIREMENTS.read_text(encoding="utf-8"))
    assert f"--extra-index-url {CPU_INDEX}" in options, options
    names = {r.name.lower() for r in reqs}
    assert {"torch", "torchvision", "jupytext", "myst-nb"} <= names, names  # myst-nb: glue
    assert not any(n.startswith("nvidia") for n in names), names
    assert local == ["."], f"d2lcore must be installed from the repository root (-e .), got {local}"
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "binder/postBuild must be executable"


def _cpu_index_reachable() -> bool:
    try:
        with urllib.request.urlopen(f"{CPU_INDEX}/torch/", timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def _local_cpu_torch() -> Path:
    """A ``torch-*+cpu`` wheel for this Python from pip's find-links folders."""
    proc = subprocess.run([sys.executable, "-m", "pip", "config", "list"],
                          capture_output=True, text=True, check=False)
    folders = re.findall(r"find-links='([^']*)'", proc.stdout)
    folders += os.environ.get("PIP_FIND_LINKS", "").split()
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    wheels = sorted(
        w for folder in folders for w in Path(folder).glob(f"torch-*+cpu-{tag}-*.whl")
        if Path(folder).is_dir()
    )
    if not wheels:
        pytest.fail(f"{CPU_INDEX} is unreachable and no torch-*+cpu-{tag} wheel is in pip's "
                    f"find-links folders {folders}: cannot build a CPU-only environment")
    return wheels[-1]


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, (
        f"`{shlex.join(cmd)}` failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Build the environment; return the environment variables to run things in it."""
    work = tmp_path_factory.mktemp("binder")
    requirements = REQUIREMENTS.read_text(encoding="utf-8")
    pip_args = ["-r"]
    cpu_index = _cpu_index_reachable()
    if cpu_index:
        req_file = REQUIREMENTS
    else:
        wheel = _local_cpu_torch()
        version = wheel.name.split("-")[1]                       # e.g. 2.13.0+cpu
        line = f"--extra-index-url {CPU_INDEX}"
        assert line in requirements
        req_file = work / "requirements.txt"
        req_file.write_text(requirements.replace(line, f"--find-links {wheel.parent}"))
        (work / "constraints.txt").write_text(f"torch=={version}\n")
        pip_args = ["-c", str(work / "constraints.txt"), "-r"]
    subprocess.run(["rm", "-rf", str(VENV)], check=True)
    _run([sys.executable, "-m", "venv", str(VENV)])
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    # repo2docker runs pip from the repository root, so `-e .` is this repository.
    _run(pip + pip_args + [str(req_file)], cwd=ROOT)
    # What repo2docker's own notebook server brings, enough to execute a notebook.
    _run(pip + ["ipykernel", "nbclient"], cwd=ROOT)
    home = work / "home"
    home.mkdir()
    env = {
        **os.environ,
        "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(VENV),
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
    }
    env.pop("PYTHONPATH", None)
    _run([str(BINDER / "postBuild")], cwd=ROOT, env=env)
    # Without the CPU index there is no "+cpu" torchvision here, and PyPI's (CUDA) torchvision
    # cannot load its operators on a CPU-only torch; d2lcore needs it only to download data.
    env["D2L_BINDER_CPU_INDEX"] = "1" if cpu_index else "0"
    return env


def _python(env: dict[str, str], code: str, cwd: Path) -> str:
    return _run([str(VENV / "bin" / "python"), "-c", code], cwd=cwd, env=env).stdout


def test_env_has_cpu_only_torch_and_the_repository_d2lcore(binder_env, tmp_path) -> None:
    if binder_env["D2L_BINDER_CPU_INDEX"] == "1":
        _python(binder_env, "import torchvision.ops", cwd=tmp_path)
    else:
        print(f"NOTE: {CPU_INDEX} unreachable: torchvision (a CUDA build from the local index) "
              "not imported; on Binder it comes from the CPU index with torch")
    out = _python(binder_env, (
        "import json, importlib.metadata as md, torch, jupytext, d2lcore\n"
        "print(json.dumps({'cuda': torch.version.cuda, 'torch': torch.__version__,\n"
        "  'd2lcore': d2lcore.__file__,\n"
        "  'nvidia': [d.metadata['Name'] for d in md.distributions()\n"
        "             if d.metadata['Name'].lower().startswith('nvidia')]}))"
    ), cwd=tmp_path)
    info = json.loads(out.strip().splitlines()[-1])
    assert info["cuda"] is None, f"torch {info['torch']} is a CUDA build"
    assert info["nvidia"] == [], info["nvidia"]
    assert Path(info["d2lcore"]).resolve().is_relative_to(ROOT), info["d2lcore"]


def test_postbuild_opens_md_pages_as_notebooks(binder_env) -> None:
    settings = Path(binder_env["HOME"]) / ".jupyter" / "labconfig" / "default_setting_overrides.json"
    assert settings.is_file(), f"postBuild wrote no {settings}"
    viewers = json.loads(settings.read_text())["@jupyterlab/docmanager-extension:plugin"]
    assert viewers["defaultViewers"]["markdown"] == "Jupytext Notebook", viewers


def test_env_executes_the_first_notebook(binder_env, tmp_path) -> None:
    docname = next(d for _, d in toc_pages() if is_notebook(d))
    notebook = tmp_path / "page.ipynb"
    _run([str(VENV / "bin" / "jupytext"), "--quiet", "--to", "ipynb", "-o", str(notebook),
          str(source_of(docname))], env=binder_env)
    env = {**binder_env, "D2LCORE_QUICK": "1", "MPLBACKEND": "Agg"}
    out = _python(env, (
        "import sys, nbformat\nfrom nbclient import NotebookClient\n"
        f"nb = nbformat.read({str(notebook)!r}, as_version=4)\n"
        "nb.cells.append(nbformat.v4.new_code_cell('import sys; print(sys.prefix)'))\n"
        f"NotebookClient(nb, timeout=600, kernel_name='python3', resources={{'metadata': {{'path': {str(source_of(docname).parent)!r}}}}}).execute()\n"
        "n = sum(c.cell_type == 'code' for c in nb.cells)\n"
        "errors = [o for c in nb.cells if c.cell_type == 'code' for o in c.outputs if o.output_type == 'error']\n"
        "assert n > 1 and not errors, errors\n"
        "print('kernel prefix', nb.cells[-1].outputs[0].text.strip())\n"
        "print('executed', n - 1, 'code cells')"
    ), cwd=tmp_path)
    assert f"kernel prefix {VENV}" in out, f"the kernel did not run in {VENV}:\n{out}"
    assert "executed" in out, out
