"""Fashion-MNIST (book §3.5) as tensors in memory, checked when read.

The files live in ``<root>/FashionMNIST/raw/`` in torchvision's layout, with ``root`` from
:func:`d2lcore.config.data_root`. Each file is checked when loaded: its size, its IDX magic
number and header, and its SHA-256 (and, where the downloaded ``.gz`` files are beside it,
their published MD5). When the files are missing, torchvision downloads them into a temporary
folder, and each file is moved into place only once it is complete and checked.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

import torch
import torch.nn.functional as F

from .. import config, validate
from .loader import ArrayLoader

__all__ = [
    "TEXT_LABELS",
    "DataError",
    "MissingDataError",
    "CorruptDataError",
    "FashionMNISTSplit",
    "fashion_mnist_dir",
    "read_fashion_mnist",
    "load_fashion_mnist",
    "get_fashion_mnist_labels",
]

TEXT_LABELS = (
    "t-shirt", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle boot",
)  # fmt: skip


#: The largest side :func:`load_fashion_mnist` resizes to: a float32 batch of 256 is 1 GiB.
MAX_RESIZE = 1024


@dataclass(frozen=True)
class _FileSpec:
    name: str
    magic: int
    count: int
    size: int
    sha256: str
    gz_md5: str


_IMAGES, _LABELS = 0x00000803, 0x00000801
_FILES = {  # (split, kind): file name, magic number, count, size in bytes, SHA-256, MD5 of the .gz
    ("train", "images"): _FileSpec("train-images-idx3-ubyte", _IMAGES, 60000, 47040016, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    ("train", "labels"): _FileSpec("train-labels-idx1-ubyte", _LABELS, 60000, 60008, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", "25c81989df183df01b3e8a0aad5dffbe"),
    ("test", "images"): _FileSpec("t10k-images-idx3-ubyte", _IMAGES, 10000, 7840016, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", "bef4ecab320f06d8554ea6380940ec79"),
    ("test", "labels"): _FileSpec("t10k-labels-idx1-ubyte", _LABELS, 10000, 10008, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", "bb300cfdad3c16e7a12a480ee83cd310"),
}  # fmt: skip


class DataError(Exception):
    """Base class of d2lcore's data-set errors."""


class MissingDataError(DataError, FileNotFoundError):
    """The data-set files are absent and could not be downloaded."""


class CorruptDataError(DataError, ValueError):
    """A data-set file exists but is truncated, corrupted or of the wrong kind."""


def fashion_mnist_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """The folder that holds the four raw files: ``<data root>/FashionMNIST/raw``."""
    return config.data_root(root) / "FashionMNIST" / "raw"


def _fix_hint(path: Path) -> str:
    return (
        f"Delete {path} and load again to re-download it, or set D2LCORE_DATA to a folder "
        "that holds a good copy in FashionMNIST/raw/."
    )


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


#: Files whose checksums passed in this process, keyed on (path, size, mtime in ns), so that a
#: second read skips the SHA-256. A file changed in place *and* given back its size and mtime
#: (``touch -d``, a copy that preserves times) is not re-hashed until the process restarts;
#: the size and IDX header are still checked on every read.
_verified: dict[tuple[str, int, int], bool] = {}


def _check_file(path: Path, spec: _FileSpec, *, checksum: bool) -> bytes:
    """Read one IDX file and check its size, header and checksums; return its bytes.

    The SHA-256 is computed once per process and file: see ``_verified`` for the one change it
    cannot see (content replaced with the size and modification time kept)."""
    if path.is_dir():
        raise CorruptDataError(
            f"{path} is a directory, not Fashion-MNIST's file {spec.name}. Move or delete that "
            f"folder and load again to download the file, or set D2LCORE_DATA to a folder that "
            "holds a good copy in FashionMNIST/raw/."
        )
    size = path.stat().st_size
    if size != spec.size:
        raise CorruptDataError(
            f"{path} has {size} bytes, expected {spec.size} (the file is truncated or is not "
            f"Fashion-MNIST's {spec.name}). {_fix_hint(path)}"
        )
    data = path.read_bytes()
    magic, count = struct.unpack(">II", data[:8])
    if magic != spec.magic:
        raise CorruptDataError(
            f"{path} starts with magic number 0x{magic:08x}, expected 0x{spec.magic:08x} "
            f"(an IDX {'image' if spec.magic == _IMAGES else 'label'} file). {_fix_hint(path)}"
        )
    if count != spec.count or (
        spec.magic == _IMAGES and struct.unpack(">II", data[8:16]) != (28, 28)
    ):
        raise CorruptDataError(
            f"{path} has an unexpected IDX header (expected {spec.count} "
            f"{'28×28 images' if spec.magic == _IMAGES else 'labels'}). {_fix_hint(path)}"
        )
    key = (str(path), size, path.stat().st_mtime_ns)
    if checksum and not _verified.get(key):
        if hashlib.sha256(data).hexdigest() != spec.sha256:
            raise CorruptDataError(
                f"{path} does not have the published SHA-256 checksum (its content is "
                f"corrupted). {_fix_hint(path)}"
            )
        gz = path.with_name(path.name + ".gz")
        if gz.exists() and _digest(gz, "md5") != spec.gz_md5:
            raise CorruptDataError(
                f"{gz} does not have the published MD5 checksum (an interrupted or corrupted "
                f"download). {_fix_hint(gz)}"
            )
        _verified[key] = True
    return data


def _download(raw: Path, missing: list[str] | None = None) -> None:
    """Download the four files with torchvision into a temporary folder beside ``raw``, check
    them, then move each into place (a rename, so no half file is ever left in ``raw``). When
    it fails, the folders it created for ``raw`` are removed again (a data root given by
    mistake is left as it was)."""
    from torchvision.datasets import FashionMNIST

    names = ", ".join(s.name for s in _FILES.values())
    lacking = ", ".join(missing) if missing else names
    created = [p for p in (raw, *raw.parents) if not p.exists()]  # deepest first
    try:
        raw.mkdir(parents=True, exist_ok=True)
        tmp_dir = tempfile.TemporaryDirectory(prefix=".download-", dir=raw.parent)
    except OSError as err:  # a read-only data folder, say
        _remove_empty(created)
        raise MissingDataError(
            f"Fashion-MNIST is not in {raw} (missing: {lacking}) and cannot be downloaded there "
            f"({type(err).__name__}: {err}). Copy the four files {names} into {raw}, or set "
            "D2LCORE_DATA to a writable folder (or one that holds them in FashionMNIST/raw/)."
        ) from None
    try:
        with tmp_dir as tmp:
            try:
                FashionMNIST(tmp, train=True, download=True)
                FashionMNIST(tmp, train=False, download=True)
            except Exception as err:  # network errors come in many types
                raise MissingDataError(
                    f"Fashion-MNIST is not in {raw} (missing: {lacking}) and could not be "
                    f"downloaded ({type(err).__name__}: {err}). Connect to the internet and load again, or "
                    f"copy the four files {names} into {raw}, or set D2LCORE_DATA to a folder "
                    "that holds them in FashionMNIST/raw/."
                ) from None
            got = Path(tmp) / "FashionMNIST" / "raw"
            for spec in _FILES.values():
                _check_file(got / spec.name, spec, checksum=True)
            for spec in _FILES.values():
                for name in (spec.name, spec.name + ".gz"):
                    if (got / name).exists():
                        os.replace(got / name, raw / name)
    except BaseException:  # Ctrl-C included: no empty folders left behind
        _remove_empty(created)
        raise


def _remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first) while they are empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _missing(raw: Path) -> list[str]:
    return [s.name for s in _FILES.values() if not (raw / s.name).exists()]


@dataclass(frozen=True)
class FashionMNISTSplit:
    """One split of Fashion-MNIST: ``images`` (n, 28, 28) uint8 and ``labels`` (n,) int64."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)


def read_fashion_mnist(
    train: bool = True,
    *,
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    checksum: bool = True,
) -> FashionMNISTSplit:
    """Read one split of Fashion-MNIST into memory (§3.5), downloading it when missing and
    ``download`` is true. Raises :class:`MissingDataError` or :class:`CorruptDataError` with
    a message that says what to do."""
    if not isinstance(train, bool):
        raise TypeError(f"train must be True (training split) or False (test split), got {train!r}")
    validate.boolean("download", download)  # download="no" is truthy: it would download
    validate.boolean("checksum", checksum)
    raw = fashion_mnist_dir(root)
    missing = _missing(raw)
    if missing and download:
        _download(raw, missing)
        missing = _missing(raw)
    if missing:
        raise MissingDataError(
            f"Fashion-MNIST files missing in {raw}: {', '.join(missing)}. Load with "
            "download=True while online, or set D2LCORE_DATA to the folder that holds "
            "FashionMNIST/raw/ (the README says where CI's copy is)."
        )
    split = "train" if train else "test"
    img_spec, lbl_spec = _FILES[(split, "images")], _FILES[(split, "labels")]
    images = _check_file(raw / img_spec.name, img_spec, checksum=checksum)
    labels = _check_file(raw / lbl_spec.name, lbl_spec, checksum=checksum)
    X = torch.frombuffer(bytearray(images[16:]), dtype=torch.uint8).reshape(-1, 28, 28)
    y = torch.frombuffer(bytearray(labels[8:]), dtype=torch.uint8).to(torch.int64)
    if int(y.max()) >= len(TEXT_LABELS):
        raise CorruptDataError(f"{raw / lbl_spec.name} holds labels ≥ 10. {_fix_hint(raw / lbl_spec.name)}")
    return FashionMNISTSplit(X, y)


def _to_float(resize: int | tuple[int, int] | None):  # noqa: ANN202 - a small closure factory
    def convert(X: torch.Tensor) -> torch.Tensor:
        X = X.unsqueeze(1).to(torch.float32).div_(255)
        if resize is not None:
            X = F.interpolate(X, size=resize, mode="bilinear", align_corners=False)
        return X

    return convert


def load_fashion_mnist(
    batch_size: int,
    resize: int | tuple[int, int] | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    num_train: int | None = None,
    num_test: int | None = None,
) -> tuple[ArrayLoader, ArrayLoader]:
    """Fashion-MNIST as two loaders, ``(train_iter, test_iter)`` (book §3.5's
    ``load_data_fashion_mnist``).

    Batches are float32 images of shape (b, 1, 28, 28) in [0, 1] (or ``resize``d), with int64
    labels. The loaders hold the images as uint8 (47 MB for the training split) and convert
    each batch on its way out (the loader's ``convert``: x / 255 in float32, then resizing), so
    neither a float32 copy (188 MB) nor a 224×224 one (12 GB) is ever held; converting per
    batch costs about what gathering float32 rows did (benchmarks/README.md). By default the
    quick mode keeps the first 10% of each split (:func:`d2lcore.config.num_examples`);
    ``num_train``/``num_test`` override that.

    Each raw file's SHA-256 is checked on its first read in a process; later reads in the same
    process trust a file whose size and modification time are unchanged. A file rewritten in
    place with the same size and its old modification time restored is therefore served
    without a new checksum until the process restarts (its size and IDX header are still
    checked; a new Python process checks the checksum again).
    """
    validate.positive_int("batch_size", batch_size)
    validate.boolean("download", download)
    if resize is not None:
        if isinstance(resize, (tuple, list)):
            if len(resize) != 2:
                raise ValueError(f"resize must be a size or a pair (height, width), got {resize!r}")
            sizes = tuple(resize)
        else:
            sizes = (resize, resize)
        for size in sizes:
            validate.positive_int("resize", size)
            if size > MAX_RESIZE:  # a batch of 256 at 10⁵×10⁵ would need 10 TB
                raise ValueError(
                    f"resize must be at most {MAX_RESIZE} (the images are 28×28; the book uses "
                    f"up to 224), got {resize!r}"
                )
    for arg, value in (("num_train", num_train), ("num_test", num_test)):
        if value is not None:
            validate.positive_int(arg, value)
    loaders = []
    for train, n in ((True, num_train), (False, num_test)):
        split = read_fashion_mnist(train, root=root, download=download)
        if n is None:
            n = config.num_examples(len(split))
        elif n > len(split):
            arg = "num_train" if train else "num_test"
            raise ValueError(
                f"{arg} must be at most {len(split)} (the size of Fashion-MNIST's "
                f"{'training' if train else 'test'} split), got {n}"
            )
        images, labels = split.images[:n], split.labels[:n]
        loaders.append(
            ArrayLoader(images, labels, batch_size, shuffle=train, convert=_to_float(resize))
        )
    return loaders[0], loaders[1]


def get_fashion_mnist_labels(labels: torch.Tensor | Sequence[int]) -> list[str]:
    """The text labels of numeric Fashion-MNIST labels (§3.5): a 1-d tensor or array, or a
    list of integers (Python or NumPy)."""
    ndim = getattr(labels, "ndim", None)
    if ndim is not None and ndim != 1:
        raise ValueError(
            f"labels must be one label per image (1-dimensional), got shape "
            f"{tuple(labels.shape)}"  # type: ignore[union-attr]
            + ("; wrap a single label: [label]" if ndim == 0 else "; flatten it first")
        )
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Iterable):
        raise TypeError(
            f"labels must be a list or 1-d tensor of integers, got {labels!r} "
            f"({type(labels).__name__}); wrap a single label: [label]"
        )
    values = labels.tolist() if hasattr(labels, "tolist") else list(labels)
    bad = [v for v in values
           if isinstance(v, bool) or not isinstance(v, Integral) or not 0 <= v < len(TEXT_LABELS)]  # fmt: skip
    if bad:
        raise ValueError(f"labels must be integers in [0, 9], got {bad[:5]}")
    return [TEXT_LABELS[int(v)] for v in values]
