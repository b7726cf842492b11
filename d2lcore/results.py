"""Training results recorded by the notebooks, gathered by the book's results page.

Each trained section calls :func:`record` once per run; the results page calls
:func:`load_results` and shows the book's published numbers beside ours. Files are JSON, one
per (section, name), written atomically into ``<results folder>/<mode>/`` (the results folder
is :func:`d2lcore.config.results_dir`; the mode is ``quick`` or ``full``), so that a quick run
(``make test``, CI) never shows up among the full results of ``make book``. Under ``torchrun``
only rank 0 writes.
"""

from __future__ import annotations

import json
import os
import platform
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from . import config, distributed
from .precision import device_class
from .train import History

# The registry of the numbers the pages attribute to the book or to the readers' notes. It ships
# inside the package, so a downloaded notebook finds it after `pip install` too.
_REGISTRY = Path(__file__).with_name("sources.yml")
_SOURCES = ("printed", "text", "figure", "notes")

__all__ = ["Result", "record", "load_results", "BookNumber", "book_numbers", "book_number"]

_DEVICE_TYPES = ("cpu", "cuda", "mps")
_MODES = ("full", "quick")


@dataclass(frozen=True)
class Result:
    """One trained model's outcome, with the book's published test accuracy beside it, the
    precision it computed in and the class of hardware it ran on."""

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
    precision: str = "float32"  # what the run computed in (History.precision)
    device_class: str = ""  # e.g. "CPU AVX2, bfloat16 emulated" (d2lcore.device_class)


def record(
    section: str,
    name: str,
    history: History,
    *,
    book_test_acc: float | None = None,
    device: str | torch.device | None = None,
    directory: str | os.PathLike[str] | None = None,
) -> Path:
    """Write ``history``'s final numbers for the results page into ``<results folder>/<mode>/``;
    returns the file. Samples per second are the last epoch's (as ``history.summary()`` prints
    them). On a rank other than 0 of a distributed run nothing is written."""
    if not isinstance(section, str) or not re.fullmatch(r"\d+\.\d+", section):
        raise ValueError(f"section must be a book section number like '6.6', got {section!r}")
    if not isinstance(name, str) or not re.search(r"[A-Za-z0-9]", name):
        raise ValueError(f"name must be a model name with letters or digits, like 'LeNet', got {name!r}")
    if not isinstance(history, History):
        raise TypeError(f"history must be the History that fit returns, got {type(history).__name__}")
    if len(history) == 0:
        raise ValueError("history is empty: record needs a run with at least one finished epoch")
    if book_test_acc is not None and (
        isinstance(book_test_acc, bool) or not isinstance(book_test_acc, (int, float))
        or not 0 <= book_test_acc <= 1
    ):
        raise ValueError(
            f"book_test_acc must be the book's test accuracy, a number in [0, 1] (or None), "
            f"got {book_test_acc!r}"
        )
    device_name = str(device if device is not None else config.device())
    if not isinstance(device, (str, torch.device, type(None))) or not re.fullmatch(
        rf"(?:{'|'.join(_DEVICE_TYPES)})(?::\d+)?", device_name
    ):
        raise ValueError(
            f"device must be the device the run used: one of {list(_DEVICE_TYPES)} (optionally "
            f"with an index, like 'cuda:0'), or a torch.device; got {device!r}"
        )
    final = history.final
    mode = config.mode()
    result = Result(
        section=section,
        name=name,
        mode=mode,
        device=device_name,
        epochs=len(history),
        train_loss=final.train_loss,
        train_acc=final.train_acc,
        test_acc=final.test_acc,
        # The last epoch's rate: the number the pages print (history.summary()).
        examples_per_sec=final.examples_per_sec,
        seconds=history.seconds,
        book_test_acc=book_test_acc,
        machine=f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
        precision=history.precision,
        device_class=device_class(device_name),
    )
    folder = _mode_folder(directory, mode)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()
    path = folder / f"{section}__{slug}.json"
    if not distributed.is_main_process():  # under torchrun, rank 0 alone writes
        return path
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(asdict(result), indent=1))
    os.replace(tmp, path)
    return path


def load_results(
    directory: str | os.PathLike[str] | None = None, *, mode: str | None = None
) -> list[Result]:
    """The results recorded in ``mode`` (default: the mode of this run,
    :func:`d2lcore.config.mode`), ordered by section number then name."""
    if mode is None:
        mode = config.mode()
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {list(_MODES)} (or None for this run's), got {mode!r}")
    folder = _mode_folder(directory, mode)
    results = [_read(p) for p in sorted(folder.glob("*__*.json"))]

    def key(r: Result) -> tuple[int, int, str]:
        chapter, sec = r.section.split(".")
        return int(chapter), int(sec), r.name

    return sorted(results, key=key)


def _mode_folder(directory: str | os.PathLike[str] | None, mode: str) -> Path:
    """``<results folder>/<mode>``; a results folder that is a file is an error naming it."""
    root = config.results_dir(directory)
    source = "directory" if directory is not None else "D2LCORE_RESULTS (or its default)"
    for path in (root, root / mode):
        if path.exists() and not path.is_dir():
            raise NotADirectoryError(
                f"the results folder {path} (from {source}) is a file, not a folder; point "
                f"{source.split(' ')[0]} at a folder (e.g. _build/results) or remove the file"
            )
    return root / mode


def _read(path: Path) -> Result:
    """One result file, or an error that names the file and what is wrong with it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        return Result(**data)
    except (ValueError, TypeError) as err:  # JSONDecodeError is a ValueError
        raise ValueError(
            f"the results file {path} is not a result written by d2lcore.record ({err}); "
            f"delete it and re-run its page"
        ) from err


@dataclass(frozen=True)
class BookNumber:
    """One entry of ``d2lcore/sources.yml``: a number of the book (or of the readers' notes),
    where it comes from (``printed`` output, ``text``, read off a ``figure``, the ``notes``), and
    the quoted line for printed output, text and notes."""

    key: str
    value: float
    section: str
    source: str
    quote: str | None = None
    note: str | None = None

    @property
    def approximate(self) -> bool:
        """Read off a figure: the pages say 约 before it."""
        return self.source == "figure"


def _find_registry() -> Path:
    """``d2lcore/sources.yml``, installed with the package (a checkout, an editable or a plain
    ``pip install``)."""
    if not _REGISTRY.is_file():
        raise FileNotFoundError(
            f"the registry of the book's numbers, {_REGISTRY}, is missing: this d2lcore was "
            f"installed without its package data; reinstall it with pip, or pass path=..."
        )
    return _REGISTRY


def book_numbers(path: str | os.PathLike[str] | None = None) -> dict[str, BookNumber]:
    """Every entry of the registry of the book's and the notes' numbers (``d2lcore/sources.yml``,
    or ``path``), checked: a value, a section like '6.6' that starts the key, a known source,
    and a quote that contains the value for printed output, text and notes."""
    import yaml  # the registry is YAML; only the pages and the results page need it

    registry = Path(path) if path is not None else _find_registry()
    data = yaml.safe_load(registry.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{registry} must map keys like '6.6/test-acc' to entries, got {type(data).__name__}")
    numbers = {}
    for key, entry in data.items():
        where = f"{registry}: entry {key!r}"
        if not isinstance(entry, dict) or set(entry) - {"value", "section", "source", "quote", "note"}:
            raise ValueError(f"{where} must have value, section, source and optionally quote, note; got {entry!r}")
        value, section, source = entry.get("value"), entry.get("section"), entry.get("source")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where}: value must be a number, got {value!r}")
        if not isinstance(section, str) or not re.fullmatch(r"\d+\.\d+", section) \
                or not str(key).startswith(section + "/"):
            raise ValueError(f"{where}: section must be a string like '6.6' that starts the key, got {section!r}")
        if source not in _SOURCES:
            raise ValueError(f"{where}: source must be one of {list(_SOURCES)}, got {source!r}")
        quote = entry.get("quote")
        if source != "figure" and (not isinstance(quote, str) or not re.search(
                rf"(?<![\d.]){re.escape(f'{value:g}')}0*(?!\d)", quote)):
            raise ValueError(f"{where}: a {source} number needs a quote that contains {value:g}, got {quote!r}")
        numbers[str(key)] = BookNumber(str(key), float(value), section, source, quote, entry.get("note"))
    return numbers


def book_number(key: str, path: str | os.PathLike[str] | None = None) -> float:
    """The value of ``key`` (e.g. ``"6.6/test-acc"``) in the registry of the book's numbers: what
    the pages glue and pass to :func:`record` as ``book_test_acc``."""
    numbers = book_numbers(path)
    if key not in numbers:
        section = str(key).split("/")[0]
        near = [k for k in numbers if k.startswith(section + "/")] or sorted(numbers)
        raise KeyError(f"{key!r} is not in the registry of the book's numbers; known keys: "
                       f"{', '.join(near)} (add the number with its source to {_REGISTRY})")
    return numbers[key].value
