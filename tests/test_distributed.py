"""d2lcore.distributed: torchrun's variables checked, the sharding of an epoch's order, and two
real CPU processes (gloo) trained by ``fit`` against one process on the whole batch.

The two-process tests start the ranks with ``torch.multiprocessing`` and set the variables
torchrun would set, so ``fit`` takes the same path as under ``torchrun``. Every wait has a
timeout; the ports are free ones on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.multiprocessing as mp
from torch import nn

import d2lcore as d2l
from d2lcore import distributed

WORLD = 2
N_TRAIN, N_TEST, BATCH = 100, 31, 15  # the last batch has 10; 15 splits 8 + 7, 31 as 16 + 15
EPOCHS = 2
TIMEOUT = 120.0  # seconds for a whole two-process run (about 10 s on a loaded 2-core VM)


# --- torchrun's variables -------------------------------------------------------------------

FULL = {"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1", "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": "29500"}  # fmt: skip


def test_launch_env_absent_and_complete() -> None:
    assert distributed.launch_env({}) is None
    assert distributed.launch_env({"RANK": "  "}) is None  # blank counts as unset
    env = distributed.launch_env(FULL)
    assert env == distributed.LaunchEnv(1, 2, 1, "127.0.0.1", 29500)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"MASTER_PORT": None, "LOCAL_RANK": None},
         (r"incomplete: RANK, WORLD_SIZE, MASTER_ADDR set but LOCAL_RANK, MASTER_PORT missing; "
          r"launch with `torchrun --nproc-per-node=N")),
        ({"RANK": "one"}, r"RANK must be an integer, got 'one'"),
        ({"RANK": "2"}, r"RANK must be in \[0, WORLD_SIZE=2\), got 2"),
        ({"WORLD_SIZE": "0", "RANK": "0", "LOCAL_RANK": "0"}, r"WORLD_SIZE must be ≥ 1, got 0"),
        ({"LOCAL_RANK": "-1"}, r"LOCAL_RANK must be in \[0, RANK=1\], got -1"),
        ({"MASTER_PORT": "70000"}, r"MASTER_PORT must be a port number in \[1, 65535\], got 70000"),
    ],
)  # fmt: skip
def test_launch_env_errors_name_the_fix(change: dict[str, str | None], message: str) -> None:
    env = {k: v for k, v in {**FULL, **change}.items() if v is not None}
    with pytest.raises(ValueError, match=message):
        distributed.launch_env(env)


def test_single_process_context_starts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in d2l.config.TORCHRUN_VARIABLES:
        monkeypatch.delenv(k, raising=False)
    ctx = distributed.context()
    assert ctx == distributed.Context() and not ctx.enabled and ctx.is_main
    assert not torch.distributed.is_initialized()
    assert distributed.is_main_process()
    monkeypatch.setenv("RANK", "1")  # a stray RANK is refused, as fit refuses it, not obeyed
    with pytest.raises(ValueError, match=r"torchrun's variables are incomplete: RANK set but"):
        distributed.is_main_process()
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(ValueError, match=r"incomplete"):
        distributed.is_main_process()
    for k, v in FULL.items():
        monkeypatch.setenv(k, v)
    assert not distributed.is_main_process()  # rank 1 of a complete launch
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert distributed.is_main_process()
    for k in d2l.config.TORCHRUN_VARIABLES:
        monkeypatch.delenv(k)
    assert distributed.all_reduce_sum([1.5, 2]) == [1.5, 2]


def test_incomplete_variables_stop_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in d2l.config.TORCHRUN_VARIABLES:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    net = nn.Linear(2, 1)
    data = d2l.load_array((torch.ones(4, 2), torch.ones(4, 1)), 2)
    with pytest.raises(ValueError, match=r"LOCAL_RANK, MASTER_ADDR, MASTER_PORT missing"):
        d2l.fit(net, data, nn.MSELoss(), 1, torch.optim.SGD(net.parameters(), lr=0.1))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message where CUDA is absent")
def test_nccl_without_cuda_names_gloo() -> None:
    with pytest.raises(ValueError, match=r"backend 'nccl' needs CUDA GPUs.*use backend 'gloo'"):
        distributed._backend_for(torch.device("cpu"), "nccl")
    assert distributed._backend_for(torch.device("cpu"), None) == "gloo"


# --- sharding -------------------------------------------------------------------------------


def _loader(n: int, batch: int, shuffle: bool = True) -> d2l.ArrayLoader:
    return d2l.ArrayLoader(torch.zeros(n, 1), torch.arange(n), batch, shuffle=shuffle)


@pytest.mark.parametrize(("n", "batch", "world"), [(100, 15, 2), (10, 4, 3), (7, 7, 7), (9, 4, 2)])
def test_shards_split_every_batch_without_duplicates(n: int, batch: int, world: int) -> None:
    order = torch.randperm(n, generator=torch.Generator().manual_seed(n))
    shards = [distributed.ShardedLoader(_loader(n, batch), r, world) for r in range(world)]
    parts = [list(s.indices(order)) for s in shards]
    assert len({len(p) for p in parts}) == 1  # every rank takes the same number of steps
    assert all(len(p) == len(s) for p, s in zip(parts, shards))
    seen = []
    for step, batch_parts in enumerate(zip(*parts)):
        whole = order[step * batch : (step + 1) * batch]
        assert torch.equal(torch.cat(batch_parts), whole)  # the single-process batch, in order
        assert max(map(len, batch_parts)) - min(map(len, batch_parts)) <= 1
        seen += torch.cat(batch_parts).tolist()
    assert len(seen) == len(set(seen))  # no example twice
    dropped = n % batch if n % batch < world else 0  # a last batch smaller than the world
    assert sorted(seen) == sorted(order[: n - dropped].tolist())
    assert sum(s.num_examples for s in shards) == n - dropped


def test_data_split_covers_the_evaluation_set() -> None:
    shards = [distributed.ShardedLoader(_loader(31, 4, False), r, 2, split="data") for r in range(2)]
    ys = [torch.cat([y for _, y in s]) for s in shards]
    assert torch.equal(torch.cat(ys), torch.arange(31))
    assert [s.num_examples for s in shards] == [16, 15] and [len(s) for s in shards] == [4, 4]


def test_rank0_draws_the_single_process_order() -> None:
    """Without a group, rank 0 draws the order as ArrayLoader does (other ranks need one)."""
    torch.manual_seed(3)
    expected = torch.cat([y for _, y in _loader(20, 6)])
    torch.manual_seed(3)
    alone = distributed.ShardedLoader(_loader(20, 6), 0, 1)
    assert torch.equal(torch.cat([y for _, y in alone]), expected)
    with pytest.raises(RuntimeError, match="needs a started process group"):
        list(distributed.ShardedLoader(_loader(20, 6), 1, 2))


def test_world_larger_than_the_batch_is_refused() -> None:
    with pytest.raises(ValueError, match=r"world size \(4 processes\) is larger than the minibatch "
                       r"\(3 examples\).*batch size of at least 4"):  # fmt: skip
        distributed.ShardedLoader(_loader(30, 3), 0, 4)
    with pytest.raises(ValueError, match=r"larger than the evaluation set \(3 examples\)"):
        distributed.ShardedLoader(_loader(3, 3, False), 0, 4, split="data")
    with pytest.raises(TypeError, match=r"splits a d2l.ArrayLoader.*got list"):
        distributed.ShardedLoader([(torch.ones(1), torch.ones(1))], 0, 2)  # type: ignore[arg-type]


# --- two real processes ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _data() -> tuple[d2l.ArrayLoader, d2l.ArrayLoader]:
    g = torch.Generator().manual_seed(1)
    X, y = torch.randn(N_TRAIN + N_TEST, 1, 6, 6, generator=g), torch.randint(0, 4, (N_TRAIN + N_TEST,), generator=g)
    return (d2l.ArrayLoader(X[:N_TRAIN], y[:N_TRAIN], BATCH),
            d2l.ArrayLoader(X[N_TRAIN:], y[N_TRAIN:], BATCH, shuffle=False))  # fmt: skip


def _net() -> nn.Module:
    """A small CNN, no dropout, no batch norm: DDP then equals one process exactly."""
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(48, 4))


def _train(kind: str, epochs: int, checkpoint: Path | None, resume: bool = False,
           loss: Any = None) -> tuple[nn.Module, d2l.History]:  # fmt: skip
    """Seed 0, the small CNN, plain SGD (an optimizer, or the from-scratch update)."""
    d2l.seed(0)
    net = _net()
    train_iter, test_iter = _data()
    updater: Any = (torch.optim.SGD(net.parameters(), lr=0.1) if kind == "optim"
                    else lambda n: d2l.sgd(list(net.parameters()), 0.1, n))  # fmt: skip
    history = d2l.fit(net, train_iter, loss or nn.CrossEntropyLoss(reduction="none"), epochs,
                      updater, test_iter=test_iter, test_loss=True, checkpoint=checkpoint,
                      resume=resume)  # fmt: skip
    return net, history


def test_one_process_fit_is_the_plain_loop(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Without torchrun's variables nothing changes: fit is bit for bit the plain loop, prints
    nothing and starts no process group."""
    for k in d2l.config.TORCHRUN_VARIABLES:
        monkeypatch.delenv(k, raising=False)
    net, history = _train("optim", EPOCHS, None)
    d2l.seed(0)
    ref = _net()
    train_iter, _ = _data()
    opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    losses = []
    for _ in range(EPOCHS):
        loss_sum = torch.zeros((), dtype=torch.float64)
        for X, y in train_iter:
            total = nn.functional.cross_entropy(ref(X), y, reduction="none").sum()
            opt.zero_grad(set_to_none=True)
            (total / len(y)).backward()
            opt.step()
            loss_sum += total.detach().double()
        losses.append(float(loss_sum) / N_TRAIN)
    for p, q in zip(net.parameters(), ref.parameters()):
        assert torch.equal(p, q)
    assert history.column("train_loss") == losses
    assert capsys.readouterr() == ("", "")
    assert not torch.distributed.is_initialized()


class _FailOnRank1:
    """A loss that raises on rank 1 in its 9th call (epoch 2)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if distributed.context().rank == 1 and self.calls == 9:
            raise ValueError("rank 1 fails on purpose")
        return nn.functional.cross_entropy(y_hat, y, reduction="none")


def _rank(rank: int, port: int, out: str, scenario: str) -> None:
    """One rank, with the variables torchrun sets."""
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(WORLD), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))  # fmt: skip
    torch.set_num_threads(1)
    folder = Path(out)
    if scenario == "fail":
        _train("optim", EPOCHS, None, loss=_FailOnRank1())
        return
    result: dict[str, Any] = {}
    for kind in ("optim", "scratch"):
        net, history = _train(kind, EPOCHS, folder / f"{kind}.pt")
        result[kind] = (net.state_dict(), history.to_dict())
    torch.manual_seed(7)  # the epoch's order as every rank sees it
    result["labels"] = [y.tolist() for _, y in distributed.ShardedLoader(_loader(20, 6), rank, WORLD)]
    torch.save(result, folder / f"rank{rank}.pt")
    torch.distributed.destroy_process_group()


def _run_pair(tmp_path: Path, scenario: str) -> None:
    """Start two ranks and wait for both, at most TIMEOUT seconds."""
    procs = mp.start_processes(_rank, (_free_port(), str(tmp_path), scenario), nprocs=WORLD,
                               join=False, start_method="fork")  # fmt: skip
    deadline = time.monotonic() + TIMEOUT
    try:
        while not procs.join(timeout=1):
            if time.monotonic() > deadline:
                pytest.fail(f"the two ranks did not finish within {TIMEOUT:.0f} s (a hang)")
    finally:
        for p in procs.processes:
            if p.is_alive():
                p.kill()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ddp")
    _run_pair(out, "train")
    return out


def _assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    d2l.seed(0)
    initial = _net().state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k], b[k], rtol=1e-5, atol=1e-6), k
        assert not torch.allclose(a[k], initial[k], atol=1e-3), k  # trained, not the initial weights


def _assert_same_history(a: d2l.History, b: d2l.History) -> None:
    assert len(a) == len(b)
    for name in ("train_loss", "test_loss"):
        assert a.column(name) == pytest.approx(b.column(name), rel=1e-5), name
    for name in ("train_acc", "test_acc"):
        assert a.column(name) == b.column(name), name


@pytest.mark.parametrize("kind", ["optim", "scratch"])
def test_two_ranks_equal_one_process_on_the_whole_batch(pair: Path, kind: str) -> None:
    ranks = [torch.load(pair / f"rank{r}.pt", weights_only=True) for r in range(WORLD)]
    net, history = _train(kind, EPOCHS, None)
    for r in ranks:
        weights, hist = r[kind]
        _assert_same_weights(weights, net.state_dict())
        _assert_same_history(d2l.History.from_dict(hist), history)  # global numbers on each rank
        assert d2l.History.from_dict(hist).column("train_acc")[0] is not None


def test_ranks_share_the_epoch_order(pair: Path) -> None:
    labels = [torch.load(pair / f"rank{r}.pt", weights_only=True)["labels"] for r in range(WORLD)]
    torch.manual_seed(7)
    single = [y.tolist() for _, y in _loader(20, 6)]
    assert [a + b for a, b in zip(*labels)] == single[: len(labels[0])]
    assert len(labels[0]) == 4  # 20 = 3 × 6 + 2: the last batch splits 1 + 1


@pytest.mark.filterwarnings("ignore:resume. updater is a function")  # plain SGD keeps no state
@pytest.mark.parametrize("kind", ["optim", "scratch"])
def test_pair_checkpoint_resumes_in_one_process(pair: Path, kind: str, tmp_path: Path) -> None:
    """Rank 0's checkpoint (weights, optimizer, RNG) continues as one process would."""
    ref = tmp_path / "ref.pt"
    _train(kind, EPOCHS, ref)
    net_ref, h_ref = _train(kind, EPOCHS + 1, ref, resume=True)
    net, h = _train(kind, EPOCHS + 1, pair / f"{kind}.pt", resume=True)
    assert len(h) == EPOCHS + 1
    _assert_same_weights(net.state_dict(), net_ref.state_dict())
    _assert_same_history(h, h_ref)


def test_a_failing_rank_stops_the_other(tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(mp.ProcessRaisedException, match=r"(?s)ValueError: rank 1 fails on purpose"):
        _run_pair(tmp_path, "fail")
    assert time.monotonic() - start < TIMEOUT


# --- the rendezvous: no launch waits without saying so, or forever ---------------------------

_CONTEXT = ("import sys\nfrom d2lcore import distributed\nprint('ready', flush=True)\n"
            "sys.stdin.readline()\n"
            "try:\n    distributed.context()\nexcept RuntimeError as e:\n    print(e)\n")


def _launch(rank: int, port: int, world: int = 2) -> subprocess.Popen[str]:
    """A process with torchrun's variables (and a 2 s rendezvous timeout) that, once it has
    printed "ready" and read a line, starts its process group and prints the error it gets."""
    env = {**os.environ, "RANK": str(rank), "WORLD_SIZE": str(world), "LOCAL_RANK": "0",
           "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "D2LCORE_DIST_TIMEOUT": "2",
           "TORCH_CPP_LOG_LEVEL": "FATAL"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", _CONTEXT], env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    return proc


def _finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """Let ``proc`` start its group; its output, or a failure after 60 s."""
    try:
        return proc.communicate("go\n", timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the process still waited after 60 s (a hang)")


def test_rank0_alone_says_it_waits_then_names_the_launch() -> None:
    port = _free_port()
    out, err = _finish(_launch(0, port))
    assert f"rank 0 waiting for 2 processes at 127.0.0.1:{port}" in err
    assert re.search(
        rf"did not all meet: rank 0 waited 2 s at 127\.0\.0\.1:{port} for 2 processes "
        rf"\(WORLD_SIZE=2, RANK=0, MASTER_ADDR=127\.0\.0\.1, MASTER_PORT={port}\); start the other "
        r"processes \(RANK=1\).*D2LCORE_DIST_TIMEOUT", out), out + err


def test_rank1_without_rank0_names_the_launch() -> None:
    port = _free_port()
    out, err = _finish(_launch(1, port))
    assert f"rank 1 connecting to rank 0 at 127.0.0.1:{port}" in err
    assert re.search(
        rf"rank 1 could not reach rank 0 at 127\.0\.0\.1:{port} within 2 s \(WORLD_SIZE=2, RANK=1, "
        rf"MASTER_ADDR=127\.0\.0\.1, MASTER_PORT={port}\); start the process with RANK=0", out), out + err


def test_two_rank0_processes_name_the_busy_port() -> None:
    port = _free_port()
    pair = [_launch(0, port), _launch(0, port)]  # both imported and ready
    for proc in pair:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outs = sorted(_finish(proc)[0] for proc in pair)  # whichever listened first waits, alone
    assert re.search(rf"^MASTER_PORT is busy, or two processes have RANK=0: rank 0 cannot listen "
                     rf"at 127\.0\.0\.1:{port} \(WORLD_SIZE=2, RANK=0", outs[0]), outs
    assert outs[1].startswith("the processes of this launch did not all meet: rank 0 waited 2 s"), outs


def test_rendezvous_timeout_is_read_in_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("D2LCORE_DIST_TIMEOUT", raising=False)
    assert d2l.config.dist_timeout() == 120.0
    monkeypatch.setenv("D2LCORE_DIST_TIMEOUT", " 7.5 ")
    assert d2l.config.dist_timeout() == 7.5
    for raw in ("0", "-3", "soon", "inf", "nan"):
        monkeypatch.setenv("D2LCORE_DIST_TIMEOUT", raw)
        with pytest.raises(ValueError, match=rf"D2LCORE_DIST_TIMEOUT must be a number of seconds > 0 "
                                             rf"\(e\.g\. 120\), got '{raw}'"):
            d2l.config.dist_timeout()
