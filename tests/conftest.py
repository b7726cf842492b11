"""Fixtures shared by the tests: the Fashion-MNIST data root, a private copy of its raw folder
that a test may corrupt, and a headless matplotlib.

The data root is the one d2lcore itself would use (``D2LCORE_DATA``, which CI points at its
read-only copy, else the per-user cache); when the files are not there yet they are downloaded
once, as d2lcore would.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # no window, whatever the machine

import d2lcore as d2l  # noqa: E402
from d2lcore.data import fashion_mnist as fm  # noqa: E402

RAW_FILES = tuple(spec.name for spec in fm._FILES.values())


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The folder that holds ``FashionMNIST/raw/`` with the four checked files."""
    root = d2l.data_root()
    d2l.read_fashion_mnist(train=False, root=root)  # checks them (downloads when missing)
    return root


@pytest.fixture
def raw_copy(tmp_path: Path, data_root: Path) -> Callable[[str], Path]:
    """A private data root ``tmp_path/data`` whose ``FashionMNIST/raw/`` links to the real
    files. Call the fixture's value with a file name to replace that link by a writable copy
    (to truncate or corrupt it) and get its path; ``.root`` is the private data root."""
    root = tmp_path / "data"
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    source = data_root / "FashionMNIST" / "raw"
    for name in RAW_FILES:
        (raw / name).symlink_to(source / name)

    def writable_copy(name: str) -> Path:
        target = raw / name
        target.unlink()
        shutil.copyfile(source / name, target)
        os.chmod(target, 0o644)
        return target

    writable_copy.root = root  # type: ignore[attr-defined]
    return writable_copy


@pytest.fixture
def full_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the test in the full mode whatever the caller's ``D2LCORE_QUICK``."""
    monkeypatch.delenv("D2LCORE_QUICK", raising=False)


@pytest.fixture
def quick_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the test in the quick mode."""
    monkeypatch.setenv("D2LCORE_QUICK", "1")


@pytest.fixture
def close_figures() -> Iterator[None]:
    """Close every matplotlib figure a test leaves open."""
    import matplotlib.pyplot as plt

    yield
    plt.close("all")
