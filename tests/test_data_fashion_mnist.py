"""d2lcore.data.fashion_mnist: a data file is never silently wrong (truncated, wrong magic
number, header or checksum, labels out of range) and an interrupted or corrupt download leaves
nothing behind."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import torch

import d2lcore as d2l
from d2lcore.data import fashion_mnist as fm
from tests.conftest import RAW_FILES

# --- data integrity --------------------------------------------------------------------------


def _corrupt_message(raw_copy, name: str) -> str:  # noqa: ANN001
    fm._verified.clear()
    with pytest.raises(d2l.CorruptDataError) as info:
        d2l.read_fashion_mnist("train" in name, root=raw_copy.root, download=False)
    assert isinstance(info.value, ValueError)
    return str(info.value)


def test_truncated_file(raw_copy) -> None:  # noqa: ANN001
    path = raw_copy("t10k-images-idx3-ubyte")
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 2)
    message = _corrupt_message(raw_copy, path.name)
    assert f"{path} has 3920008 bytes, expected 7840016 (the file is truncated" in message
    assert f"Delete {path} and load again to re-download it" in message
    assert "D2LCORE_DATA" in message


def test_flipped_magic_number(raw_copy) -> None:  # noqa: ANN001
    path = raw_copy("t10k-labels-idx1-ubyte")
    data = bytearray(path.read_bytes())
    data[3] ^= 0x02  # 0x00000801 → 0x00000803, an image file's number
    path.write_bytes(bytes(data))
    message = _corrupt_message(raw_copy, path.name)
    assert f"{path} starts with magic number 0x00000803, expected 0x00000801" in message
    assert "label file" in message and "D2LCORE_DATA" in message


def test_wrong_count_in_the_header(raw_copy) -> None:  # noqa: ANN001
    path = raw_copy("t10k-labels-idx1-ubyte")
    data = bytearray(path.read_bytes())
    data[4:8] = struct.pack(">I", 9999)
    path.write_bytes(bytes(data))
    assert "unexpected IDX header (expected 10000 labels)" in _corrupt_message(raw_copy, path.name)


def test_wrong_checksum(raw_copy) -> None:  # noqa: ANN001
    """Same size, good header, one pixel changed: only the SHA-256 can tell."""
    path = raw_copy("t10k-images-idx3-ubyte")
    data = bytearray(path.read_bytes())
    data[5000] ^= 0xFF
    path.write_bytes(bytes(data))
    message = _corrupt_message(raw_copy, path.name)
    assert f"{path} does not have the published SHA-256 checksum" in message
    assert "Delete" in message
    # checksum=False is the reader's explicit choice to skip that check
    assert len(d2l.read_fashion_mnist(False, root=raw_copy.root, checksum=False)) == 10000


def test_labels_out_of_range_without_checksum(raw_copy) -> None:  # noqa: ANN001
    path = raw_copy("t10k-labels-idx1-ubyte")
    data = bytearray(path.read_bytes())
    data[8] = 10
    path.write_bytes(bytes(data))
    fm._verified.clear()
    with pytest.raises(d2l.CorruptDataError, match=r"holds labels ≥ 10\. Delete"):
        d2l.read_fashion_mnist(False, root=raw_copy.root, checksum=False)


def test_gz_md5_is_checked_when_present(raw_copy) -> None:  # noqa: ANN001
    import gzip

    raw = raw_copy.root / "FashionMNIST" / "raw"
    gz = raw / "t10k-labels-idx1-ubyte.gz"
    gz.write_bytes(gzip.compress(b"not the published archive"))
    message = _corrupt_message(raw_copy, "t10k-labels-idx1-ubyte")
    assert f"{gz} does not have the published MD5 checksum" in message
    assert fm._FILES[("test", "labels")].gz_md5 == "bb300cfdad3c16e7a12a480ee83cd310"


def test_a_good_copy_reads_the_same_as_the_original(raw_copy, data_root: Path) -> None:  # noqa: ANN001
    raw_copy("t10k-labels-idx1-ubyte")
    fm._verified.clear()
    ours = d2l.read_fashion_mnist(False, root=raw_copy.root, download=False)
    original = d2l.read_fashion_mnist(False, root=data_root, download=False)
    assert torch.equal(ours.labels, original.labels) and torch.equal(ours.images, original.images)


def _fake_torchvision(monkeypatch: pytest.MonkeyPatch, data_root: Path, fail: BaseException | None,
                      corrupt: str | None = None) -> None:
    """torchvision's FashionMNIST, offline: it copies the real files into its root, writing
    a half file then raising ``fail`` (an interrupted download), or corrupting ``corrupt``."""
    import torchvision.datasets

    def download(root: str, train: bool = True, download: bool = False) -> None:
        got = Path(root) / "FashionMNIST" / "raw"
        got.mkdir(parents=True, exist_ok=True)
        for name in RAW_FILES:
            source = (data_root / "FashionMNIST" / "raw" / name).read_bytes()
            if fail is not None:
                (got / name).write_bytes(source[: len(source) // 3])
                raise fail
            if name == corrupt:
                source = source[:-1] + b"\x01"
            (got / name).write_bytes(source)

    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", download)


@pytest.mark.parametrize("fail", [KeyboardInterrupt(), ConnectionResetError("reset by peer")])
def test_interrupted_download_leaves_no_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_root: Path, fail: BaseException
) -> None:
    _fake_torchvision(monkeypatch, data_root, fail)
    with pytest.raises((KeyboardInterrupt, d2l.MissingDataError)):
        d2l.read_fashion_mnist(False, root=tmp_path)
    # no half file, no temporary folder, and not even the empty FashionMNIST/raw/ it created
    assert list(tmp_path.iterdir()) == []
    # the next attempt, online, starts cleanly and succeeds
    _fake_torchvision(monkeypatch, data_root, None)
    assert len(d2l.read_fashion_mnist(False, root=tmp_path)) == 10000


def test_corrupt_download_is_not_moved_into_place(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_root: Path
) -> None:
    _fake_torchvision(monkeypatch, data_root, None, corrupt="t10k-labels-idx1-ubyte")
    with pytest.raises(d2l.CorruptDataError, match="SHA-256"):
        d2l.read_fashion_mnist(False, root=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_download_keeps_folders_that_were_there(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_root: Path
) -> None:
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "notes.txt").write_text("mine")
    _fake_torchvision(monkeypatch, data_root, ConnectionResetError("reset by peer"))
    with pytest.raises(d2l.MissingDataError, match="could not be downloaded"):
        d2l.read_fashion_mnist(False, root=tmp_path / "other")  # a root given by mistake
    assert not (tmp_path / "other").exists()
    with pytest.raises(d2l.MissingDataError):
        d2l.read_fashion_mnist(False, root=tmp_path)
    assert [p.name for p in raw.iterdir()] == ["notes.txt"]
