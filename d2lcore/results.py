"""Training results recorded by the notebooks, gathered by the book's results page.

Each trained section calls :func:`record` once per run; the results page calls
:func:`load_results` and shows the book's published numbers beside ours. Files are JSON, one
per (section, name), written atomically into :func:`d2lcore.config.results_dir`.
"""

from __future__ import annotations

import json
import os
import platform
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from . import config
from .train import History

__all__ = ["Result", "record", "load_results"]


@dataclass(frozen=True)
class Result:
    """One trained model's outcome, with the book's published test accuracy beside it."""

    section: str
    name: str
    mode: str
    device: str
    epochs: int
    train_loss: float
    train_acc: float | None
    test_acc: float | None
    examples_per_sec: float
    seconds: float
    book_test_acc: float | None
    machine: str


def record(
    section: str,
    name: str,
    history: History,
    *,
    book_test_acc: float | None = None,
    device: str | torch.device | None = None,
    directory: str | os.PathLike[str] | None = None,
) -> Path:
    """Write ``history``'s final numbers for the results page; returns the file written."""
    if not isinstance(section, str) or not re.fullmatch(r"\d+\.\d+", section):
        raise ValueError(f"section must be a book section number like '6.6', got {section!r}")
    if not isinstance(name, str) or not re.search(r"[A-Za-z0-9]", name):
        raise ValueError(f"name must be a model name with letters or digits, like 'LeNet', got {name!r}")
    if not isinstance(history, History):
        raise TypeError(f"history must be the History that fit returns, got {type(history).__name__}")
    if len(history) == 0:
        raise ValueError("history is empty: record needs a run with at least one finished epoch")
    if book_test_acc is not None and not (isinstance(book_test_acc, (int, float)) and 0 <= book_test_acc <= 1):
        raise ValueError(f"book_test_acc must be an accuracy in [0, 1] (or None), got {book_test_acc!r}")
    final = history.final
    result = Result(
        section=section,
        name=name,
        mode=config.mode(),
        device=str(device if device is not None else config.device()),
        epochs=len(history),
        train_loss=final.train_loss,
        train_acc=final.train_acc,
        test_acc=final.test_acc,
        examples_per_sec=sum(e.examples_per_sec for e in history.epochs) / len(history),
        seconds=history.seconds,
        book_test_acc=book_test_acc,
        machine=f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
    )
    folder = config.results_dir(directory)
    folder.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()
    path = folder / f"{section}__{slug}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(asdict(result), indent=1))
    os.replace(tmp, path)
    return path


def load_results(directory: str | os.PathLike[str] | None = None) -> list[Result]:
    """All recorded results, ordered by section number then name."""
    folder = config.results_dir(directory)
    results = [Result(**json.loads(p.read_text())) for p in folder.glob("*__*.json")]

    def key(r: Result) -> tuple[int, int, str]:
        chapter, sec = r.section.split(".")
        return int(chapter), int(sec), r.name

    return sorted(results, key=key)
