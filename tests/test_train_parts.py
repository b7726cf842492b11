"""d2lcore.train.parts: fit's options as visible parts (``parts=[...]``), its deprecated keyword
arguments (same numbers, a DeprecationWarning naming the new form), and the checks on parts."""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import d2lcore as d2l


def _data() -> tuple[d2l.ArrayLoader, d2l.ArrayLoader]:
    g = torch.Generator().manual_seed(2)
    X, y = torch.randn(64, 1, 6, 6, generator=g), torch.randint(0, 3, (64,), generator=g)
    return d2l.load_array((X, y), 16), d2l.load_array((X[:32], y[:32]), 16, is_train=False)


def _cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(32, 3))


def _run(epochs: int = 2, **kwargs: Any) -> tuple[dict[str, torch.Tensor], d2l.History]:
    d2l.seed(0)
    net = _cnn()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    train, test = _data()
    parts = kwargs.pop("parts", None)
    if callable(parts):
        parts = parts(sched)
    elif kwargs.pop("legacy_scheduler", False):
        kwargs["scheduler"] = sched
    h = d2l.fit(net, train, nn.CrossEntropyLoss(reduction="none"), epochs, opt, test_iter=test,
                parts=parts, **kwargs)  # fmt: skip
    return {k: v.clone() for k, v in net.state_dict().items()}, h


def _numbers(h: d2l.History) -> list[tuple]:
    return [(e.train_loss, e.train_acc, e.test_loss, e.test_acc) for e in h.epochs]


def test_fit_has_at_most_eight_named_parameters() -> None:
    params = inspect.signature(d2l.fit).parameters.values()
    named = [p.name for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
    assert named == ["net", "train_iter", "loss", "num_epochs", "updater", "test_iter", "device", "parts"]


def test_deprecated_keywords_give_the_same_run_and_name_the_new_form(tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning, match=r"fit\(test_loss=, channels_last=, checkpoint=, "
                      r"scheduler=\) is deprecated and goes in the next release; pass the parts "
                      r"instead: fit\(\.\.\., parts=\[scheduler, d2l\.TestLoss\(\), d2l\.Checkpoint\("
                      r"'.*old\.pt'\), d2l\.Precision\('float32', channels_last=True\)\]\)") as record:
        old_w, old_h = _run(legacy_scheduler=True, test_loss=True, channels_last=True,
                            checkpoint=tmp_path / "old.pt")  # fmt: skip
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new form warns about nothing
        new_w, new_h = _run(parts=lambda s: [s, d2l.TestLoss(), d2l.Checkpoint(tmp_path / "new.pt"),
                                             d2l.Precision("float32", channels_last=True)])  # fmt: skip
    assert _numbers(old_h) == _numbers(new_h) and old_h.final.test_loss is not None
    assert all(torch.equal(old_w[k], new_w[k]) for k in old_w)
    assert len(d2l.load_checkpoint(tmp_path / "new.pt", _cnn())) == 2


def test_a_checkpoint_part_resumes_exactly(tmp_path: Path) -> None:
    path = tmp_path / "run.pt"
    full_w, full_h = _run(epochs=3, parts=lambda s: [s])
    _run(epochs=2, parts=lambda s: [s, d2l.Checkpoint(path)])
    w, h = _run(epochs=3, parts=lambda s: [s, d2l.Checkpoint(str(path), resume=True)])
    assert _numbers(h) == _numbers(full_h)
    assert all(torch.equal(w[k], full_w[k]) for k in w)


def test_precision_parts_set_layout_and_autocast() -> None:
    seen: list[torch.dtype] = []

    class Spy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = _cnn()

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            out = self.body(X)
            seen.append(out.dtype)
            return out

    train, _ = _data()
    for part, dtype, layout in [(d2l.FastSettings(torch.bfloat16, channels_last=True), torch.bfloat16, True),
                                (d2l.Precision("float32", channels_last=False), torch.float32, False),
                                (None, torch.float32, False)]:  # fmt: skip
        seen.clear()
        net = Spy()
        d2l.fit(net, train, nn.CrossEntropyLoss(), 1, torch.optim.SGD(net.parameters(), lr=0.1),
                parts=[part])  # fmt: skip
        assert set(seen) == {dtype}
        weight = net.body[0].weight
        assert weight.is_contiguous(memory_format=torch.channels_last) is layout or not layout


def test_none_parts_are_skipped_and_one_part_needs_no_list() -> None:
    _, h1 = _run(epochs=1, parts=lambda s: [None, s, None])
    _, h2 = _run(epochs=1, parts=lambda s: s)
    assert _numbers(h1) == _numbers(h2)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"parts": ["abc"]}, TypeError,
         r"parts\[0\] must be one of a callback, d2l\.Checkpoint, d2l\.Precision, d2l\.FastSettings, "
         r"a learning-rate scheduler, d2l\.TestLoss: an object with some of the methods "
         r"on_train_begin.*got 'abc' \(str\)"),
        ({"parts": [d2l.Progress]}, TypeError,
         r"parts\[0\] is the class Progress, not an object of it; pass an instance, e\.g\. "
         r"parts=\[Progress\(\)\]"),
        ({"parts": [d2l.Checkpoint("a.pt"), d2l.Checkpoint("b.pt")]}, ValueError,
         r"parts holds two checkpoint parts \(parts\[1\] is the second\); pass one"),
        ({"parts": [d2l.TestLoss()], "test_loss": False}, ValueError,
         r"fit got its test_loss twice: in parts and as the deprecated keyword argument"),
        ({"epochs_": 3}, TypeError, r"fit\(\) got an unexpected keyword argument 'epochs_'"),
        ({"parts": [d2l.FastSettings(torch.int8, channels_last=False)]}, TypeError,
         r"autocast must be a floating dtype such as torch\.bfloat16 \(or None\), got torch\.int8"),
        ({"parts": [d2l.FastSettings(None, channels_last="yes")]}, TypeError,
         r"channels_last must be True or False, got 'yes'"),
    ],
)  # fmt: skip
def test_bad_parts_are_named(kwargs: dict[str, Any], error: type[Exception], message: str,
                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    net = nn.Linear(2, 3)
    train = d2l.load_array((torch.ones(6, 2), torch.zeros(6).long()), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(error, match=message):
            d2l.fit(net, train, nn.CrossEntropyLoss(), 1, torch.optim.SGD(net.parameters(), lr=0.1),
                    **kwargs)  # fmt: skip
    assert not list(tmp_path.iterdir())  # refused before anything was written


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: d2l.Checkpoint(123), TypeError,
         r"checkpoint must be a file path \(str or pathlib\.Path\), got 123 \(int\)"),
        (lambda: d2l.Checkpoint("run.pt", resume="yes"), TypeError,
         r"resume must be True or False, got 'yes'"),
        (lambda: d2l.TestLoss("yes"), TypeError, r"enabled must be True or False, got 'yes'"),
    ],
)  # fmt: skip
def test_parts_check_their_arguments(make: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make()
