"""d2lcore.results: record() writes one JSON per (section, name), atomically; load_results()
reads them back in book order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import d2lcore as d2l


def _history(accs: list[float]) -> d2l.History:
    return d2l.History([
        d2l.EpochStats(i + 1, 1.0 / (i + 1), a - 0.01, None, a, 1000.0 * (i + 1), 2.0)
        for i, a in enumerate(accs)
    ])  # fmt: skip


def test_record_writes_the_final_numbers(tmp_path: Path, quick_mode: None) -> None:
    path = d2l.record("6.6", "LeNet (book)", _history([0.5, 0.7, 0.8]), book_test_acc=0.779,
                      device="cpu", directory=tmp_path)
    assert path == tmp_path / "quick" / "6.6__lenet-book.json"  # each mode has its own folder
    data = json.loads(path.read_text())
    assert data["section"] == "6.6" and data["name"] == "LeNet (book)"
    assert data["mode"] == "quick" and data["device"] == "cpu" and data["epochs"] == 3
    assert data["test_acc"] == 0.8 and data["train_acc"] == pytest.approx(0.79)
    assert data["train_loss"] == pytest.approx(1 / 3) and data["book_test_acc"] == 0.779
    assert data["examples_per_sec"] == 3000.0 and data["seconds"] == 6.0  # last epoch's rate, total time
    assert "cores" in data["machine"] and "torch" in data["machine"]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_record_overwrites_and_load_sorts_by_section(tmp_path: Path, full_mode: None) -> None:
    d2l.record("7.1", "AlexNet", _history([0.6]), device="cpu", directory=tmp_path)
    d2l.record("10.2", "late", _history([0.6]), device="cpu", directory=tmp_path)
    d2l.record("6.6", "LeNet", _history([0.6]), device="cpu", directory=tmp_path)
    d2l.record("6.6", "LeNet", _history([0.6, 0.75]), device="cpu", directory=tmp_path)
    d2l.record("6.6", "AlexNet-like", _history([0.4]), device="cpu", directory=tmp_path)
    results = d2l.load_results(tmp_path)
    assert [(r.section, r.name) for r in results] == [
        ("6.6", "AlexNet-like"), ("6.6", "LeNet"), ("7.1", "AlexNet"), ("10.2", "late"),
    ]  # numeric order: 10.2 after 7.1
    lenet = results[1]
    assert lenet.epochs == 2 and lenet.test_acc == 0.75 and lenet.mode == "full"
    assert lenet.book_test_acc is None


def test_results_dir_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              full_mode: None) -> None:
    monkeypatch.setenv("D2LCORE_RESULTS", str(tmp_path / "r"))
    path = d2l.record("3.3", "linear", _history([0.1]), device="cpu")
    assert path.parent == tmp_path / "r" / "full"
    assert [r.name for r in d2l.load_results()] == ["linear"]


def test_load_results_of_an_empty_folder(tmp_path: Path) -> None:
    assert d2l.load_results(tmp_path) == []


def test_modes_are_kept_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A quick run (make test, CI) never shows among the full results of make book."""
    monkeypatch.setenv("D2LCORE_QUICK", "0")
    d2l.record("6.6", "LeNet", _history([0.8]), device="cpu", directory=tmp_path)
    monkeypatch.setenv("D2LCORE_QUICK", "1")
    d2l.record("6.6", "LeNet", _history([0.3]), device="cpu", directory=tmp_path)
    d2l.record("3.6", "softmax", _history([0.2]), device="cpu", directory=tmp_path)
    quick = d2l.load_results(tmp_path)  # this run's mode: quick
    assert [(r.section, r.test_acc, r.mode) for r in quick] == [("3.6", 0.2, "quick"), ("6.6", 0.3, "quick")]
    full = d2l.load_results(tmp_path, mode="full")
    assert [(r.section, r.test_acc, r.mode) for r in full] == [("6.6", 0.8, "full")]
    monkeypatch.setenv("D2LCORE_QUICK", "0")
    assert d2l.load_results(tmp_path) == full


def test_only_rank_zero_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quick_mode: None) -> None:
    import torch.distributed as dist

    rank = {"value": 1}  # the second process of a torchrun job, its process group initialised
    monkeypatch.setattr(dist, "is_available", lambda: True)
    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "get_rank", lambda group=None: rank["value"])
    path = d2l.record("6.6", "LeNet", _history([0.5]), device="cpu", directory=tmp_path)
    assert not path.exists() and list(tmp_path.iterdir()) == []
    rank["value"] = 0
    assert d2l.record("6.6", "LeNet", _history([0.5]), device="cpu", directory=tmp_path) == path
    assert path.is_file()


def test_a_torch_device_is_recorded_by_name(tmp_path: Path, quick_mode: None) -> None:
    import torch

    path = d2l.record("6.6", "LeNet", _history([0.5]), device=torch.device("cpu"), directory=tmp_path)
    assert json.loads(path.read_text())["device"] == "cpu"


# --- the registry of the book's numbers (d2lcore/sources.yml) -----------------------------

def test_book_numbers_reads_the_registry() -> None:
    numbers = d2l.book_numbers()
    lenet = numbers["6.6/test-acc"]
    assert (lenet.value, lenet.section, lenet.source) == (0.779, "6.6", "printed")
    assert "test acc 0.779" in lenet.quote and not lenet.approximate
    assert numbers["3.6/test-acc"].approximate  # read off a figure
    assert d2l.book_number("7.6/test-acc") == 0.893


def test_book_number_ships_with_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry is package data: found from any folder, and declared so that a plain
    ``pip install`` (a downloaded notebook's set-up) installs it too."""
    monkeypatch.chdir(tmp_path)  # outside the checkout
    assert d2l.book_number("6.6/test-acc") == 0.779
    root = Path(__file__).resolve().parents[1]
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert "sources.yml" in pyproject["tool"]["setuptools"]["package-data"]["d2lcore"]
    assert (root / "d2lcore" / "sources.yml").is_file()


def test_book_numbers_without_the_registry_says_how_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from d2lcore import results

    monkeypatch.setattr(results, "_REGISTRY", tmp_path / "sources.yml")
    with pytest.raises(FileNotFoundError, match=r"installed without its package data; reinstall"):
        d2l.book_numbers()


def test_book_number_unknown_key_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"'6\.6/test-loss' is not in the registry.*6\.6/test-acc"):
        d2l.book_number("6.6/test-loss")


@pytest.mark.parametrize("entry, message", [
    ("value: '0.8'\n  section: '6.6'\n  source: figure", r"value must be a number"),
    ("value: 0.8\n  section: '7.1'\n  source: figure", r"section must be a string like '6\.6' that starts the key"),
    ("value: 0.8\n  section: '6.6'\n  source: blog", r"source must be one of"),
    ("value: 0.8\n  section: '6.6'\n  source: printed", r"a printed number needs a quote that contains 0\.8"),
    ("value: 0.779\n  section: '6.6'\n  source: printed\n  quote: 'test acc 0.7791'", r"needs a quote that contains 0\.779"),
    ("value: 0.8\n  section: '6.6'\n  source: figure\n  url: x", r"must have value, section, source"),
], ids=["value", "section", "source", "no-quote", "quote-differs", "unknown-field"])
def test_book_numbers_rejects_a_bad_entry(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "sources.yml"
    path.write_text(f"6.6/test-acc:\n  {entry}\n")
    with pytest.raises(ValueError, match=message):
        d2l.book_numbers(path)
    good = tmp_path / "good.yml"
    good.write_text("6.6/test-acc:\n  value: 0.779\n  section: '6.6'\n  source: printed\n"
                    "  quote: 'loss 0.469, train acc 0.823, test acc 0.779'\n")
    assert d2l.book_number("6.6/test-acc", good) == 0.779
