"""d2lcore.train.strategy: fit's loop asks a strategy about processes and has no branch of its
own; under torchrun any loader of ``(X, y)`` batches is split (not only an ArrayLoader), and
ArrayLoader's public index order is what the index split uses.

The two-process test starts the ranks with ``torch.multiprocessing`` and sets the variables
torchrun would set (as tests/test_distributed.py does), with a timeout on every wait.
"""

from __future__ import annotations

import contextlib
import inspect
import os
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.multiprocessing as mp
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import d2lcore as d2l
from d2lcore.train import loop, strategy
from tests.test_distributed import _free_port

WORLD, N_TRAIN, N_TEST, BATCH, EPOCHS = 2, 100, 31, 15, 2
TIMEOUT = 120.0


# --- the loop and the single-process strategy ------------------------------------------------


def test_the_loop_has_no_process_branch() -> None:
    source = inspect.getsource(loop)
    assert "distributed" not in source and "dist." not in source and "ShardedLoader" not in source
    epoch = inspect.getsource(loop._train_epoch)
    assert "isinstance" not in epoch  # nothing decided per batch by type


def test_single_process_strategy_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in d2l.config.TORCHRUN_VARIABLES:
        monkeypatch.delenv(k, raising=False)
    s = strategy.choose("cpu")
    assert type(s) is strategy.SingleProcess and s.is_main
    net, data = nn.Linear(2, 3), [(torch.ones(4, 2), torch.zeros(4).long())]
    assert s.setup(net, torch.device("cpu"), data, None, 0) == (net, data, None)
    total = torch.tensor(3.0)
    assert s.update_size(total, 4) == (total, 4)
    meter = d2l.train.evaluate.Meter(torch.device("cpu"))
    meter.add(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), torch.tensor([1, 1]), torch.tensor(2.0, dtype=torch.float64))
    s.reduce(meter)
    assert (meter.mean_loss(), meter.accuracy(), meter.n) == (1.0, 0.5, 2)
    callbacks, ckpt = [object()], object()
    assert s.gate(callbacks, ckpt) == (callbacks, ckpt)


def test_meter_counts_loss_correct_and_examples() -> None:
    meter = d2l.train.evaluate.Meter(torch.device("cpu"))
    meter.add(torch.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, 1.0]]), torch.tensor([0, 0, 0]),
              torch.tensor(6.0, dtype=torch.float64))  # fmt: skip
    assert meter.n == 3 and meter.mean_loss() == 2.0 and meter.accuracy() == 2 / 3
    regression = d2l.train.evaluate.Meter(torch.device("cpu"))
    regression.add(torch.ones(4, 1), torch.ones(4, 1), torch.tensor(1.0, dtype=torch.float64))
    assert regression.accuracy() is None and regression.mean_loss() == 0.25


# --- ArrayLoader's public index order ---------------------------------------------------------


def test_array_loader_order_and_fetch_are_what_iteration_uses() -> None:
    X, y = torch.arange(20.0).reshape(10, 2), torch.arange(10)
    loader = d2l.ArrayLoader(X, y, 4, convert=lambda t: t * 10, transform=lambda t: t + 1)
    assert isinstance(loader, d2l.IndexedLoader)
    torch.manual_seed(5)
    order = loader.order()
    torch.manual_seed(5)
    batches = list(loader)
    assert sorted(order.tolist()) == list(range(10))
    for start, (Xb, yb) in zip(range(0, 10, 4), batches):
        idx = order[start : start + 4]
        Xf, yf = loader.fetch(idx)
        assert torch.equal(yb, y[idx]) and torch.equal(yf, yb) and torch.equal(Xf, Xb)
        assert torch.equal(Xb, X[idx] * 10 + 1)  # convert, then transform
    plain = d2l.ArrayLoader(X, y, 4, shuffle=False)
    assert torch.equal(plain.order(), torch.arange(10))
    assert torch.equal(plain.fetch(slice(4, 8))[1], torch.arange(4, 8))
    assert not isinstance([(X, y)], d2l.IndexedLoader)


# --- two real processes with a loader that is not an ArrayLoader --------------------------------


def _train() -> tuple[nn.Module, d2l.History]:
    """A torch DataLoader (shuffled by the global generator), not an IndexedLoader."""
    d2l.seed(0)
    g = torch.Generator().manual_seed(1)
    X, y = torch.randn(N_TRAIN + N_TEST, 1, 6, 6, generator=g), torch.randint(0, 4, (N_TRAIN + N_TEST,), generator=g)
    train = DataLoader(TensorDataset(X[:N_TRAIN], y[:N_TRAIN]), BATCH, shuffle=True)
    test = DataLoader(TensorDataset(X[N_TRAIN:], y[N_TRAIN:]), BATCH)  # 15 + 15 + 1
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(48, 4))
    history = d2l.fit(net, train, nn.CrossEntropyLoss(reduction="none"), EPOCHS,
                      torch.optim.SGD(net.parameters(), lr=0.1), test_iter=test, parts=[d2l.TestLoss()])  # fmt: skip
    return net, history


def _rank(rank: int, port: int, out: str) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(WORLD), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))  # fmt: skip
    torch.set_num_threads(1)
    net, history = _train()
    torch.save((net.state_dict(), history.to_dict()), Path(out) / f"rank{rank}.pt")
    torch.distributed.destroy_process_group()


def test_two_ranks_split_any_loader_and_equal_one_process(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    procs = mp.start_processes(_rank, (_free_port(), str(tmp_path)), nprocs=WORLD, join=False,
                               start_method="fork")  # fmt: skip
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(lambda: [p.kill() for p in procs.processes if p.is_alive()])
        finished = any(procs.join(timeout=1) for _ in range(int(TIMEOUT)))  # stops at the first True
    assert finished, f"the two ranks did not finish within {TIMEOUT:.0f} s (a hang)"
    for k in d2l.config.TORCHRUN_VARIABLES:
        monkeypatch.delenv(k, raising=False)
    net, history = _train()
    for r in range(WORLD):
        weights, hist = torch.load(tmp_path / f"rank{r}.pt", weights_only=True)
        ranked: Any = d2l.History.from_dict(hist)
        for k, v in net.state_dict().items():
            assert torch.allclose(weights[k], v, rtol=1e-5, atol=1e-6), k
        for name in ("train_loss", "test_loss"):
            assert ranked.column(name) == pytest.approx(history.column(name), rel=1e-5), name
        assert ranked.column("train_acc") == history.column("train_acc")
        assert ranked.column("test_acc") == history.column("test_acc")
