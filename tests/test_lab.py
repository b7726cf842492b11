"""`make lab`: JupyterLab on the repository, where each page (.md) opens as a notebook.

The test runs the Makefile's own command on 127.0.0.1 with a free port and a token, asks the
server for one chapter page (the JupyterLab page for it, and its contents as Jupytext reads
them: a notebook with code cells), checks the setting that makes Markdown files open in
Jupytext's notebook view, and stops the server. Bounded: it gives up after two minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = "chapters/ch03_linear_networks/ch03_01_linear_regression.md"
TOKEN = "d2l-lab-test"

pytestmark = [
    pytest.mark.skipif(
        shutil.which("make") is None or not (ROOT / ".venv" / "bin" / "jupyter-lab").exists(),
        reason="needs make and JupyterLab in .venv (`make venv`)",
    ),
    # `make lab` runs .venv's JupyterLab: under another interpreter (`make compat`'s
    # .venv-compat) this test would check the other environment, not the one running it.
    pytest.mark.skipif(
        Path(sys.prefix).resolve() != (ROOT / ".venv").resolve(),
        reason="make lab uses .venv; these tests run in another environment",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_make_lab_serves_the_pages_as_notebooks(tmp_path: Path) -> None:
    port = _free_port()
    args = (f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} "
            f"--ServerApp.port_retries=0 --IdentityProvider.token={TOKEN}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args += " --allow-root"  # CI containers run as root
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data")}
    log = open(tmp_path / "lab.log", "w")  # noqa: SIM115
    # -o .venv/.installed: never (re)install the environment from here.
    server = subprocess.Popen(["make", "--no-print-directory", "-o", ".venv/.installed", "lab",
                               f"LAB_ARGS={args}"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        status = 0
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, _ = _get(f"{base}/api/status")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(1)
        assert status == 200, f"JupyterLab did not start: {(tmp_path / 'lab.log').read_text()[-2000:]}"

        status, body = _get(f"{base}/lab/tree/{PAGE}")
        assert status == 200 and b"JupyterLab" in body

        # Jupytext's contents manager gives the .md page as a notebook with its code cells.
        status, body = _get(f"{base}/api/contents/{PAGE}?type=notebook&content=1")
        assert status == 200, body[:500]
        model = json.loads(body)
        assert model["type"] == "notebook"
        code = [c for c in model["content"]["cells"] if c["cell_type"] == "code"]
        assert len(code) >= 3 and any("import d2lcore" in c["source"] for c in code)

        # ... and JupyterLab opens Markdown files in Jupytext's notebook view by default.
        status, body = _get(f"{base}/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
        assert status == 200
        settings = json.loads(body)["settings"]
        assert settings["defaultViewers"]["markdown"] == "Jupytext Notebook"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # make and the server it started
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
        log.close()
    assert server.returncode is not None
