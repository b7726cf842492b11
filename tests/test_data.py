"""d2lcore.data: synthetic data, the minibatch loaders and Fashion-MNIST (read, checked,
offline errors). Corruption, checksums and downloads are in test_data_fashion_mnist.py."""

from __future__ import annotations

import urllib.error
from collections import Counter
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings

import d2lcore as d2l
from d2lcore.data import fashion_mnist as fm
from tests.conftest import RAW_FILES
from tests.strategies import loader_sizes

# --- synthetic_data (§3.2) -------------------------------------------------------------------


def test_synthetic_data_shapes_and_statistics() -> None:
    d2l.seed(0)
    w, b, n = torch.tensor([2.0, -3.4]), 4.2, 20000
    X, y = d2l.synthetic_data(w, b, n, noise=0.01)
    assert X.shape == (n, 2) and y.shape == (n, 1) and X.dtype == y.dtype == torch.float32
    assert X.mean(0).abs().max() < 0.03 and (X.std(0) - 1).abs().max() < 0.03  # X ~ N(0, 1)
    residual = y.reshape(-1) - (X @ w + b)
    assert residual.mean().abs() < 1e-3 and abs(residual.std().item() - 0.01) < 1e-3
    # least squares recovers the parameters that made the data
    A = torch.cat([X, torch.ones(n, 1)], 1).double()
    coef = torch.linalg.lstsq(A, y.double()).solution.reshape(-1)
    assert torch.allclose(coef, torch.tensor([2.0, -3.4, 4.2], dtype=torch.float64), atol=1e-3)


def test_synthetic_data_follows_w_dtype_and_noise() -> None:
    d2l.seed(0)
    w = torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64)
    X, y = d2l.synthetic_data(w, 0.5, 10, noise=0.0)
    assert X.dtype == y.dtype == torch.float64
    assert torch.equal(y.reshape(-1), X @ w + 0.5)  # no noise: exactly Xw + b


def test_synthetic_data_detaches_a_w_that_requires_grad() -> None:
    w = torch.tensor([2.0, -3.4], requires_grad=True)
    b = torch.tensor(4.2, requires_grad=True)
    X, y = d2l.synthetic_data(w, b, 50)
    assert not X.requires_grad and not y.requires_grad and y.grad_fn is None
    assert torch.allclose(y, X @ w.detach().reshape(-1, 1) + 4.2, atol=0.1)


def test_synthetic_data_is_seeded() -> None:
    w = torch.tensor([2.0, -3.4])
    d2l.seed(7)
    a = d2l.synthetic_data(w, 4.2, 50)
    d2l.seed(7)
    b = d2l.synthetic_data(w, 4.2, 50)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


# --- data_iter and ArrayLoader ---------------------------------------------------------------


def _rows_seen(batches: list[tuple[torch.Tensor, torch.Tensor]]) -> list[int]:
    return [int(v) for X, _ in batches for v in X[:, 0]]


@settings(max_examples=40, deadline=None)
@given(loader_sizes())
def test_data_iter_covers_every_example_once(sizes: tuple[int, int]) -> None:
    n, batch_size = sizes
    features = torch.arange(n, dtype=torch.float32).reshape(n, 1).repeat(1, 3)
    labels = torch.arange(n) * 10
    batches = list(d2l.data_iter(batch_size, features, labels))
    assert sorted(_rows_seen(batches)) == list(range(n))
    assert [len(X) for X, _ in batches[:-1]] == [batch_size] * (len(batches) - 1)
    assert len(batches[-1][0]) == n - batch_size * (len(batches) - 1)  # last, partial batch
    for X, y in batches:  # rows and labels stay paired
        assert torch.equal(y, X[:, 0].long() * 10)


def test_data_iter_shuffles() -> None:
    features = torch.arange(100.0).reshape(100, 1)
    d2l.seed(0)
    order1 = _rows_seen(list(d2l.data_iter(10, features, features)))
    order2 = _rows_seen(list(d2l.data_iter(10, features, features)))
    assert order1 != list(range(100)) and order1 != order2
    d2l.seed(0)
    assert _rows_seen(list(d2l.data_iter(10, features, features))) == order1


@settings(max_examples=40, deadline=None)
@given(loader_sizes())
def test_array_loader_covers_every_example_once_per_epoch(sizes: tuple[int, int]) -> None:
    n, batch_size = sizes
    features = torch.arange(n, dtype=torch.float32).reshape(n, 1)
    labels = torch.arange(n)
    loader = d2l.ArrayLoader(features, labels, batch_size)
    assert len(loader) == -(-n // batch_size) and loader.num_examples == n
    for _ in range(2):  # re-iterable: every pass is a full epoch
        batches = list(loader)
        assert len(batches) == len(loader)
        assert sorted(_rows_seen(batches)) == list(range(n))
        assert len(batches[-1][0]) == n - batch_size * (len(batches) - 1)
        for X, y in batches:
            assert torch.equal(y, X[:, 0].long())


def test_array_loader_shuffles_per_epoch_and_follows_the_seed() -> None:
    features = torch.arange(64.0).reshape(64, 1)
    loader = d2l.load_array((features, features), 8)
    d2l.seed(1)
    e1, e2 = _rows_seen(list(loader)), _rows_seen(list(loader))
    assert e1 != e2 and e1 != list(range(64))
    d2l.seed(1)
    assert _rows_seen(list(loader)) == e1
    fixed = d2l.load_array((features, features), 8, is_train=False)
    assert _rows_seen(list(fixed)) == list(range(64)) == _rows_seen(list(fixed))


def test_array_loader_transform_and_repr() -> None:
    features = torch.full((5, 2), 255, dtype=torch.uint8)
    loader = d2l.ArrayLoader(features, torch.zeros(5), 2, shuffle=False, transform=lambda X: X.float() / 255)
    X, _ = next(iter(loader))
    assert X.dtype == torch.float32 and torch.equal(X, torch.ones(2, 2))
    assert repr(loader) == "ArrayLoader(5 examples, batch_size=2, shuffle=False, 3 batches)"


def test_array_loader_converts_then_transforms() -> None:
    features = torch.arange(12, dtype=torch.uint8).reshape(6, 2)
    loader = d2l.ArrayLoader(features, torch.arange(6), 4, convert=lambda X: X.float() / 2,
                             transform=lambda X: X + 100)  # fmt: skip
    batches = list(loader)
    X, y = torch.cat([X for X, _ in batches]), torch.cat([y for _, y in batches])
    assert sorted(y.tolist()) == list(range(6))
    # convert first (uint8 -> float, halved), then the reader's transform; every row once
    assert X.dtype == torch.float32
    assert torch.equal(X, features[y].float() / 2 + 100)
    loader.transform = None  # replacing the transform keeps the conversion
    X, y = next(iter(loader))
    assert torch.equal(X, features[y].float() / 2)


# --- Fashion-MNIST (§3.5) --------------------------------------------------------------------


def test_read_fashion_mnist_shapes_dtypes_and_labels(data_root: Path) -> None:
    for train, n in ((True, 60000), (False, 10000)):
        split = d2l.read_fashion_mnist(train, root=data_root, download=False)
        assert len(split) == n
        assert split.images.shape == (n, 28, 28) and split.images.dtype == torch.uint8
        assert split.labels.shape == (n,) and split.labels.dtype == torch.int64
        # Fashion-MNIST is balanced: 6000 (train) or 1000 (test) images of each class
        assert Counter(split.labels.tolist()) == {c: n // 10 for c in range(10)}
        assert 0 < split.images.float().mean() < 255


def test_first_test_images_are_the_known_ones(data_root: Path) -> None:
    split = d2l.read_fashion_mnist(False, root=data_root)
    assert split.labels[:5].tolist() == [9, 2, 1, 1, 6]  # ankle boot, pullover, trouser, …
    assert d2l.get_fashion_mnist_labels(split.labels[:3]) == ["ankle boot", "pullover", "trouser"]


def test_load_fashion_mnist_full_mode(data_root: Path, full_mode: None) -> None:
    train_iter, test_iter = d2l.load_fashion_mnist(256, root=data_root)
    assert train_iter.num_examples == 60000 and test_iter.num_examples == 10000
    assert len(train_iter) == 235 and test_iter.shuffle is False and train_iter.shuffle is True
    X, y = next(iter(test_iter))
    assert X.shape == (256, 1, 28, 28) and X.dtype == torch.float32
    assert 0 <= X.min() and X.max() <= 1 and y.dtype == torch.int64
    # held as uint8 (a quarter of float32's memory) and converted per batch, exactly x / 255
    split = d2l.read_fashion_mnist(False, root=data_root)
    assert train_iter.features.dtype == test_iter.features.dtype == torch.uint8
    assert torch.equal(X, split.images[:256].unsqueeze(1).float() / 255)
    assert torch.equal(y, split.labels[:256])


def test_load_fashion_mnist_quick_mode_and_resize(data_root: Path, quick_mode: None) -> None:
    train_iter, test_iter = d2l.load_fashion_mnist(32, resize=(64, 48), root=data_root)
    assert train_iter.num_examples == 6000 and test_iter.num_examples == 1000
    X, _ = next(iter(test_iter))
    assert X.shape == (32, 1, 64, 48) and X.dtype == torch.float32
    assert train_iter.features.dtype == torch.uint8  # stays small; resized per batch
    small, _ = d2l.load_fashion_mnist(10, root=data_root, num_train=100, num_test=20)
    assert small.num_examples == 100


def test_text_labels() -> None:
    assert d2l.get_fashion_mnist_labels([0, 9, 5]) == ["t-shirt", "ankle boot", "sandal"]
    assert len(d2l.TEXT_LABELS) == 10


def test_text_labels_of_numpy_integers_and_arrays() -> None:
    np = pytest.importorskip("numpy")
    assert d2l.get_fashion_mnist_labels([np.int64(1), np.uint8(9)]) == ["trouser", "ankle boot"]
    assert d2l.get_fashion_mnist_labels(np.array([2, 0])) == ["pullover", "t-shirt"]
    assert d2l.get_fashion_mnist_labels(torch.tensor([3], dtype=torch.uint8)) == ["dress"]


# --- the offline error -----------------------------------------------------------------------


def _no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make torchvision's download fail as it does offline; return the roots it was asked for."""
    import torchvision.datasets

    calls: list[str] = []

    def offline(root: str, *args: object, **kwargs: object) -> None:
        calls.append(root)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", offline)
    return calls


def test_offline_error_names_files_and_env_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = _no_network(monkeypatch)
    raw = tmp_path / "FashionMNIST" / "raw"
    with pytest.raises(d2l.MissingDataError) as info:
        d2l.load_fashion_mnist(256, root=tmp_path)
    message = str(info.value)
    assert calls, "the download was not tried"
    assert str(raw) in message and "D2LCORE_DATA" in message and "URLError" in message
    assert all(name in message for name in RAW_FILES)
    assert isinstance(info.value, FileNotFoundError)  # callers may catch either
    assert info.value.__cause__ is None and info.value.__suppress_context__  # no torchvision trace
    assert not (tmp_path / "FashionMNIST").exists()  # nothing left behind, not even empty folders


def test_missing_files_without_download(tmp_path: Path, raw_copy) -> None:  # noqa: ANN001
    root = raw_copy.root
    (root / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(d2l.MissingDataError, match=r"missing in .*: t10k-labels-idx1-ubyte\. .*D2LCORE_DATA"):
        d2l.read_fashion_mnist(False, root=root, download=False)


def test_one_missing_file_offline_is_named(monkeypatch: pytest.MonkeyPatch, raw_copy) -> None:  # noqa: ANN001
    root = raw_copy.root
    (root / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte").unlink()
    _no_network(monkeypatch)
    with pytest.raises(d2l.MissingDataError, match=r"\(missing: t10k-labels-idx1-ubyte\) and could "
                       r"not be downloaded \(URLError"):
        d2l.read_fashion_mnist(False, root=root)


def test_a_directory_in_place_of_a_file_is_named(raw_copy) -> None:  # noqa: ANN001
    path = raw_copy.root / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte"
    path.unlink()
    path.mkdir()
    with pytest.raises(d2l.CorruptDataError, match=r"t10k-images-idx3-ubyte is a directory, not "
                       r"Fashion-MNIST's file t10k-images-idx3-ubyte\. Move or delete that folder"):
        d2l.read_fashion_mnist(False, root=raw_copy.root, download=False)


def test_env_var_points_the_loader(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, raw_copy) -> None:  # noqa: ANN001
    monkeypatch.setenv("D2LCORE_DATA", str(raw_copy.root))
    assert d2l.fashion_mnist_dir() == raw_copy.root / "FashionMNIST" / "raw"
    assert len(d2l.read_fashion_mnist(False, download=False)) == 10000
    monkeypatch.setenv("D2LCORE_DATA", str(tmp_path / "empty"))
    _no_network(monkeypatch)
    with pytest.raises(d2l.MissingDataError, match="empty"):
        d2l.read_fashion_mnist(False)


def test_download_moves_complete_files_into_place(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_root: Path) -> None:
    """A successful download (simulated by copying the real files) ends with the four files
    in raw/ and no temporary folder beside it."""
    import shutil

    import torchvision.datasets

    def fake_download(root: str, train: bool = True, download: bool = False) -> None:
        got = Path(root) / "FashionMNIST" / "raw"
        got.mkdir(parents=True, exist_ok=True)
        for name in RAW_FILES:
            if ("train" in name) == train:
                shutil.copyfile(data_root / "FashionMNIST" / "raw" / name, got / name)

    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", fake_download)
    split = d2l.read_fashion_mnist(False, root=tmp_path)
    assert len(split) == 10000
    assert sorted(p.name for p in (tmp_path / "FashionMNIST" / "raw").iterdir()) == sorted(RAW_FILES)
    assert [p.name for p in (tmp_path / "FashionMNIST").iterdir()] == ["raw"]


def _forbid_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every way the loader could write fail, as on a read-only folder (tests may run as
    root, where chmod alone stops nothing)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied (read-only file system)")

    monkeypatch.setattr(Path, "mkdir", refuse)
    monkeypatch.setattr(fm.tempfile, "TemporaryDirectory", refuse)
    monkeypatch.setattr(fm.os, "replace", refuse)


def test_read_only_data_folder_loads(monkeypatch: pytest.MonkeyPatch, raw_copy) -> None:  # noqa: ANN001
    """CI's data folder is read-only: reading never needs to write."""
    raw = raw_copy.root / "FashionMNIST" / "raw"
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        raw_copy(name).chmod(0o444)
    before = sorted((p.name, p.stat().st_mtime_ns) for p in raw.iterdir())
    raw.chmod(0o555)
    fm._verified.clear()
    try:
        _forbid_writes(monkeypatch)
        assert len(d2l.read_fashion_mnist(False, root=raw_copy.root)) == 10000
        test_iter = d2l.load_fashion_mnist(100, root=raw_copy.root, num_train=10, num_test=100)[1]
        assert test_iter.num_examples == 100
    finally:
        raw.chmod(0o755)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in raw.iterdir()) == before


def test_read_only_folder_without_the_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _forbid_writes(monkeypatch)
    with pytest.raises(d2l.MissingDataError) as info:
        d2l.read_fashion_mnist(root=tmp_path / "ro")
    message = str(info.value)
    assert "cannot be downloaded there (PermissionError" in message and "D2LCORE_DATA" in message
    assert all(name in message for name in RAW_FILES)
