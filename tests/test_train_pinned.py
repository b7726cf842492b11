"""d2lcore.train: single-process fit gives, bit for bit, what it gave before the train/
package split and the strategy refactoring. Two seeded runs (a classifier with momentum SGD,
a step scheduler, dropout, a shuffled loader and a test set; a from-scratch regression with
``updater(batch_size)``) are compared with numbers recorded from the single-module ``train.py``
(torch 2.14.1, an AVX512 x86-64 CPU).

Elsewhere (another PyTorch release or CPU kernel set, which may sum in another order) the
numbers are compared to 1e-5 instead, which still catches any change in what fit computes.
"""

from __future__ import annotations

import hashlib
import platform

import pytest
import torch
from torch import nn

import d2lcore as d2l

_REFERENCE_PLATFORM = ("2.14.1", "AVX512", "x86_64")
_EXACT = (
    torch.__version__.split("+")[0],
    torch.backends.cpu.get_cpu_capability(),
    platform.machine(),
) == _REFERENCE_PLATFORM

# float.hex of each number; train_acc/test_acc are exact fractions.
EXPECTED = {
    "classifier": {
        "digest": "a6380ab0b0e69d181c9246333df5fa08082a831684d5a95c21806b8edc82fa0b",
        "sums": ["0x1.c717783680000p+4", "0x1.99dc5c3800000p+0", "0x1.099c84bd20000p+3",
                 "0x1.1f17408000000p+0"],
        "train_loss": ["0x1.0d49242aaaaabp+0", "0x1.aff5870000000p-1", "0x1.7ea49b5555555p-1",
                       "0x1.4c6a280000000p-1"],
        "train_acc": [0.4166666666666667, 0.5729166666666666, 0.6041666666666666,
                      0.8020833333333334],
        "test_loss": ["0x1.7bfe540666666p-1", "0x1.640e7e3666666p-1", "0x1.714be34000000p-1",
                      "0x1.74f42f1333333p-1"],
        "test_acc": [0.65, 0.75, 0.6, 0.6],
    },
    "scratch": {
        "digest": "4c02dbd32c06ed284b66ef5d11f12d8fef13548a23269a776c2c14f3f8af1be6",
        "sums": ["0x1.0c29330000000p+2", "0x1.aba3d80000000p+1"],
        "train_loss": ["0x1.c60c6fbbbbbbcp+3", "0x1.43b6ecddddddep+2", "0x1.cfe5857777777p+0"],
        "train_acc": [None, None, None],
        "test_loss": ["0x1.2425da8d00000p+3", "0x1.a4832b1540000p+1", "0x1.3e924caada666p+0"],
        "test_acc": [None, None, None],
    },
}  # fmt: skip


def _digest(state: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for k, v in state.items():
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _classifier() -> tuple[dict[str, torch.Tensor], d2l.History]:
    d2l.seed(3)
    X = torch.randn(96, 1, 4, 4)
    y = (X.sum((1, 2, 3)) > 0).long() + (X[:, 0, 0, 0] > 0.5).long()
    Xt = torch.randn(40, 1, 4, 4)
    yt = (Xt.sum((1, 2, 3)) > 0).long()
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 12), nn.ReLU(), nn.Dropout(0.3), nn.Linear(12, 3))
    opt = torch.optim.SGD(net.parameters(), lr=0.2, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
    h = d2l.fit(net, d2l.load_array((X, y), 16), nn.CrossEntropyLoss(reduction="none"), 4, opt,
                test_iter=d2l.load_array((Xt, yt), 16, is_train=False),
                parts=[sched, d2l.TestLoss()])  # fmt: skip
    return net.state_dict(), h


def _scratch() -> tuple[dict[str, torch.Tensor], d2l.History]:
    d2l.seed(5)
    X, y = d2l.synthetic_data(torch.tensor([2.0, -3.4]), 4.2, 60)
    w = torch.zeros(2, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    h = d2l.fit(lambda X: X @ w + b, d2l.load_array((X, y), 8), d2l.squared_loss, 3,
                lambda n: d2l.sgd([w, b], 0.05, n),
                test_iter=d2l.load_array((X[:20], y[:20]), 8, is_train=False))  # fmt: skip
    return {"w": w.detach(), "b": b.detach()}, h


def _same(got: float | None, want: str | float | None) -> bool:
    if want is None or got is None:
        return got is want
    want = float.fromhex(want) if isinstance(want, str) else want
    return got == want if _EXACT else got == pytest.approx(want, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("name, run", [("classifier", _classifier), ("scratch", _scratch)])
def test_single_process_fit_is_bit_identical_to_the_recorded_run(name: str, run) -> None:  # noqa: ANN001
    state, history = run()
    want = EXPECTED[name]
    for column in ("train_loss", "train_acc", "test_loss", "test_acc"):
        got = history.column(column)
        assert all(_same(g, w) for g, w in zip(got, want[column], strict=True)), (column, got)
    sums = [float(v.double().abs().sum()) for v in state.values()]
    assert all(_same(g, w) for g, w in zip(sums, want["sums"], strict=True)), sums
    if _EXACT:
        assert _digest(state) == want["digest"]
