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


# --- the layering that CONTRIBUTING.md documents ----------------------------------------------

PACKAGE = ROOT / "d2lcore"


def _module_of(path: Path) -> str:
    """The top-level d2lcore module a file belongs to: ``models`` for models/vgg.py."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imported(path: Path) -> set[str]:
    """The top-level d2lcore modules that ``path`` imports (absolute or relative imports, at
    any depth, under ``if TYPE_CHECKING`` too), its own excluded."""
    import ast

    here = path.relative_to(PACKAGE).parent.parts  # the package the file is in, below d2lcore
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[tuple[str, ...]] = []
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[: len(here) - (node.level - 1)]
            mod = tuple(node.module.split(".")) if node.module else ()
            names = [base + mod] if mod else [base + (a.name,) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("d2lcore."):
            names = [tuple(node.module.split(".")[1:])]
        elif isinstance(node, ast.Import):
            names = [tuple(a.name.split(".")[1:]) for a in node.names if a.name.startswith("d2lcore.")]
        found |= {n[0] for n in names if n}
    return found - {_module_of(path)}


def _import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent == PACKAGE and path.name == "__init__.py":
            continue  # the face re-exports everything
        graph.setdefault(_module_of(path), set()).update(_imported(path))
    return graph


def _documented() -> list[tuple[str, set[str]]]:
    """CONTRIBUTING.md's module table, in its order: (module, the d2lcore modules it imports)."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        m = re.match(r"^\| `(\w+)/?` \|.*\| ([^|]*) \|$", line)
        if m:
            rows.append((m.group(1), set(re.findall(r"`(\w+)`", m.group(2)))))
    return rows


def test_contributing_documents_every_module_and_its_exact_imports() -> None:
    graph = _import_graph()
    table = dict(_documented())
    assert set(table) == set(graph), (
        f"CONTRIBUTING.md's module table lists {sorted(table)}, d2lcore has {sorted(graph)}")
    for module, imports in graph.items():
        assert imports <= table[module], (
            f"d2lcore.{module} imports {sorted(imports - table[module])}, which CONTRIBUTING.md's "
            f"table does not allow it: remove the import, or change the table and say why")
        assert table[module] <= imports, (
            f"CONTRIBUTING.md says d2lcore.{module} imports {sorted(table[module] - imports)}; "
            f"it does not: correct the table")


def test_documented_arrows_point_down_the_table() -> None:
    rows = _documented()
    order = [module for module, _ in rows]
    assert order[0] == "validate" and order[-1] == "torch"
    for i, (module, imports) in enumerate(rows):
        above = set(order[:i])
        assert imports <= above, f"{module} imports {sorted(imports - above)}, listed below it"
    graph = dict(rows)
    assert "train" not in graph["models"] and graph["ops"] <= {"validate"}


def test_the_layering_rules_hold_in_the_code() -> None:
    """models never import train; train, models, ops and data know no matplotlib; only config
    reads the environment; nothing but the face and d2lcore.torch imports d2lcore.torch."""
    import ast

    for path in sorted(PACKAGE.rglob("*.py")):
        module, source = _module_of(path), path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree)
                     if isinstance(n, ast.ImportFrom) and not n.level}  # fmt: skip
        where = path.relative_to(ROOT)
        if module in ("train", "models", "ops", "data", "config", "precision", "validate"):
            assert "matplotlib" not in imported, f"{where} imports matplotlib"
        if module != "config":
            reads = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in ("environ", "getenv")]
            assert not reads, f"{where} reads the environment (line {reads[0].lineno}); ask config"
        if module != "torch":
            assert "torch" not in _imported(path), f"{where} imports d2lcore.torch"
