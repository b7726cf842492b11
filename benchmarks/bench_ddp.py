"""Data parallel on one CPU machine: LeNet (§6.6) in one process against two gloo processes.

Three configurations train the book's LeNet (batch 256, SGD lr 0.9) with ``d2lcore.fit`` on
the first ``--examples`` Fashion-MNIST training images, ``--epochs`` epochs (the first is a
warm-up; the table shows the later ones' examples/sec):

- one process, one thread;
- one process, two threads (what the two cores give one process);
- two processes of one thread each, started as torchrun would (gloo over 127.0.0.1); ``fit``
  wraps LeNet in DDP and gives each process half of every minibatch.

For the two processes it then times ``--steps`` training steps on a fixed minibatch half,
with DDP's gradient all-reduce and without it (``no_sync``), and a bare ``all_reduce`` of
LeNet's 61,706 gradients: the all-reduce share of a step is 1 − (step without) / (step with).

    .venv/bin/python benchmarks/bench_ddp.py            # about a minute on a quiet 2-core VM

Numbers on a shared machine are noisy: the table prints the load average beside them.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import socket
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

import d2lcore as d2l


def _data(examples: int) -> d2l.ArrayLoader:
    train, _ = d2l.load_fashion_mnist(256)
    return d2l.ArrayLoader(train.features[:examples], train.labels[:examples], 256,
                           convert=train.convert)  # fmt: skip


def _fit(examples: int, epochs: int) -> tuple[nn.Module, list[float]]:
    d2l.seed(0)
    net = d2l.LeNet()
    history = d2l.fit(net, _data(examples), nn.CrossEntropyLoss(), epochs,
                      torch.optim.SGD(net.parameters(), lr=0.9))  # fmt: skip
    return net, history.column("examples_per_sec")[1:]  # type: ignore[return-value]


def _timed_steps(model: nn.Module, X: torch.Tensor, y: torch.Tensor, steps: int, sync: bool) -> float:
    """Median seconds of one training step (forward, backward, SGD step) on a fixed batch."""
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    loss = nn.CrossEntropyLoss()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        if sync:
            loss(model(X), y).backward()
        else:
            with model.no_sync():  # type: ignore[operator]
                loss(model(X), y).backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _rank(rank: int, port: int, args: argparse.Namespace, out: str) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))  # fmt: skip
    torch.set_num_threads(1)
    _, rates = _fit(args.examples, args.epochs)
    # the step breakdown, on a DDP LeNet and this rank's half of one minibatch
    model = nn.parallel.DistributedDataParallel(d2l.LeNet())
    data = _data(256)
    X, y = next(iter(d2l.distributed.ShardedLoader(data, rank, 2)))
    _timed_steps(model, X, y, 5, True)  # warm-up
    with_sync = _timed_steps(model, X, y, args.steps, True)
    without = _timed_steps(model, X, y, args.steps, False)
    grads = torch.zeros(sum(p.numel() for p in model.parameters()))
    times = []
    for _ in range(args.steps):
        dist.barrier()
        t0 = time.perf_counter()
        dist.all_reduce(grads)
        times.append(time.perf_counter() - t0)
    if rank == 0:
        result = {"rates": rates, "with": with_sync, "without": without,
                  "allreduce": statistics.median(times), "numel": grads.numel()}  # fmt: skip
        torch.save(result, Path(out) / "pair.pt")
    dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--examples", type=int, default=15360, help="training images (60 batches)")
    p.add_argument("--epochs", type=int, default=3, help="the first is a warm-up")
    p.add_argument("--steps", type=int, default=30, help="timed steps for the breakdown")
    args = p.parse_args()
    for k in d2l.config.TORCHRUN_VARIABLES:
        os.environ.pop(k, None)
    rows = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        load = os.getloadavg()[0]
        _, rates = _fit(args.examples, args.epochs)
        rows.append((f"1 process × {threads} thread(s)", statistics.median(rates), load))
    with tempfile.TemporaryDirectory() as out:
        load = os.getloadavg()[0]
        mp.start_processes(_rank, (_free_port(), args, out), nprocs=2, start_method="spawn")
        pair = torch.load(Path(out) / "pair.pt", weights_only=True)
    rows.append(("2 processes × 1 thread (gloo)", statistics.median(pair["rates"]), load))
    base = rows[0][1]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"LeNet, batch 256, {args.examples} images, {args.epochs - 1} timed epoch(s); {now}; "
          f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}\n")  # fmt: skip
    print("| configuration | examples/sec | vs 1 × 1 | load average |")
    print("| --- | ---: | ---: | ---: |")
    for name, rate, load in rows:
        print(f"| {name} | {rate:,.0f} | {rate / base:.2f}× | {load:.1f} |")
    share = 1 - pair["without"] / pair["with"]
    print(f"\nTwo processes, one step on half a minibatch (128 images), rank 0, median of {args.steps}:")
    print(f"- with DDP's all-reduce {pair['with'] * 1e3:.1f} ms, without (no_sync) "
          f"{pair['without'] * 1e3:.1f} ms: the all-reduce share of a step is {share:.0%}")
    print(f"- a bare all_reduce of the {pair['numel']:,} gradients (float32): "
          f"{pair['allreduce'] * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
