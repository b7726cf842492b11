"""The project's own files: the Makefile's help, the version written once, the licence."""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import d2lcore

tomllib = pytest.importorskip("tomllib")  # Python ≥ 3.11

ROOT = Path(__file__).resolve().parents[1]


def _targets() -> set[str]:
    """Every rule target of the Makefile (not target-specific variables, not file targets)."""
    names = set()
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([a-z][a-z0-9-]*):(?!=)(.*)$", line)
        if m and not m.group(2).strip().startswith("export"):
            names.add(m.group(1))
    return names


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_lists_every_target() -> None:
    out = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "help"],
        capture_output=True, text=True, check=True,
    ).stdout
    listed = set(re.findall(r"^make (\S+)", out, flags=re.M))
    targets = _targets()
    assert {"book", "test", "help"} <= targets
    assert listed == targets, f"targets without a '## ' help comment: {sorted(targets - listed)}"


def test_version_is_written_once() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert importlib.metadata.version("d2lcore") == d2lcore.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", d2lcore.__version__)


def test_licence_file_matches_the_declared_licence() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
