"""What the benchmark scripts share: the book's LeNet, the book's ``d2l`` packages made to run
offline beside d2lcore, and the name of the CPU a figure was measured on.

The scripts run as ``python benchmarks/<script>.py``, so this folder is on ``sys.path`` and
``import _common`` finds this module.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import platform
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from torch import nn


def book_lenet() -> nn.Module:
    """LeNet exactly as the book writes it (§6.6): sigmoid activations, average pooling
    (``train_ch6`` then applies Xavier-uniform initialisation)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10),
    )  # fmt: skip


class NoAnimator:
    """Stands in for ``d2l.Animator``: the benchmarks leave plotting out on both sides."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def add(self, *args: object, **kwargs: object) -> None:
        pass


def link_data(data_root: Path, work: Path) -> None:
    """Make ``work/data`` a link to d2lcore's data root, for the book's packages that read
    ``../data`` from ``work/cwd``. Nothing is copied."""
    raw = data_root / "FashionMNIST" / "raw"
    if not raw.is_dir():
        sys.exit(f"benchmarks: Fashion-MNIST is not in {raw}; set D2LCORE_DATA")
    (work / "cwd").mkdir(parents=True, exist_ok=True)
    link = work / "data"
    if link.is_symlink() and link.resolve() != data_root.resolve():
        link.unlink()
    if not link.exists():
        link.symlink_to(data_root.resolve(), target_is_directory=True)


def import_book_d2l(folder: Path) -> ModuleType | None:
    """Import ``d2l/torch.py`` of the book's package ``d2l==0.17.6`` from ``folder`` (where
    ``pip install --no-deps --target`` put it) as the module ``d2l_book``, beside ``d2l`` 1.0.3
    in site-packages (one ``d2l`` per site-packages); None where it is not there. Its
    ``Animator`` is a no-op and ``VERSION`` says which release it is."""
    path = folder / "d2l" / "torch.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("d2l_book", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["d2l_book"] = module
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec.loader.exec_module(module)
    version = re.search(r'__version__ = "([^"]+)"', (folder / "d2l" / "__init__.py").read_text())
    module.VERSION = version.group(1) if version else "?"  # type: ignore[attr-defined]
    module.Animator = NoAnimator  # type: ignore[attr-defined]
    return module


@contextlib.contextmanager
def in_folder(folder: Path) -> Iterator[None]:
    """Run the block with ``folder`` as the working folder (the book's d2l reads ``../data``)."""
    old = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def cpu_name() -> str:
    """The processor's model name (``/proc/cpuinfo``), for the header of every figure."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
