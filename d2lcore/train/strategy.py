"""How :func:`d2lcore.fit` spreads one run over processes (cf. Lightning's ``Strategy``,
Accelerate's ``prepare``): the loop asks its strategy and never looks at processes itself.

- :class:`SingleProcess`: everything as it is (what fit uses without torchrun).
- :class:`DataParallel`: under torchrun, the model in ``DistributedDataParallel``, every
  minibatch split across the ranks, the epoch's sums added over the ranks, and callbacks and
  checkpoints on rank 0 only. A loader that exposes its index order
  (:class:`~d2lcore.IndexedLoader`, such as :class:`~d2lcore.ArrayLoader`) is split by index
  (:class:`~d2lcore.distributed.ShardedLoader`, each rank gathers only its part); any other
  loader of ``(X, y)`` batches is read whole on every rank from the same random state and
  each rank keeps its part of every batch (:class:`SplitBatches`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from .. import distributed
from ..data.loader import IndexedLoader
from . import checks
from .checks import Batch
from .evaluate import Meter

__all__ = ["Strategy", "SingleProcess", "DataParallel", "SplitBatches", "choose"]


class Strategy:
    """What fit's loop asks about processes. This base class is one process: every method
    returns what it is given, so a single-process run is exactly the plain loop."""

    is_main = True

    def device(self, dev: torch.device) -> torch.device:
        """The device this process trains on."""
        return dev

    def setup(self, net: Any, device: torch.device, train_iter: Iterable[Batch],
              test_iter: Iterable[Batch] | None, epochs_done: int,
              ) -> tuple[Any, Iterable[Batch], Iterable[Batch] | None]:  # fmt: skip
        """The model that trains (``net`` is on ``device``) and the loaders this process reads
        (evaluation keeps the plain model); ``epochs_done`` is where the run resumes."""
        return net, train_iter, test_iter

    def update_size(self, total: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, int]:
        """The summed loss to back-propagate and the batch size to divide it by (or to pass
        to ``updater(batch_size)``), for this process's ``batch_size`` examples."""
        return total, batch_size

    def reduce(self, meter: Meter) -> None:
        """Make ``meter``'s sums those of the whole run (all processes)."""

    def gate(self, callbacks: list[Any], checkpointer: Any) -> tuple[list[Any], Any]:
        """The callbacks and the checkpointer this process runs."""
        return callbacks, checkpointer


class SingleProcess(Strategy):
    """One process (no torchrun): the plain loop."""


class SplitBatches:
    """Any loader of ``(X, y)`` batches split across ranks batch by batch.

    Every pass starts from rank 0's random state (broadcast), so a loader that shuffles with
    PyTorch's global generator (``DataLoader(shuffle=True)`` too) yields the same batches on
    every rank; each rank keeps its contiguous part of every batch
    (:func:`~d2lcore.distributed.shard_indices`'s split). In training (``split="batch"``) a
    batch with fewer examples than ranks is left out, so that all ranks take the same steps.
    """

    def __init__(self, loader: Iterable[Batch], rank: int, world_size: int, *, split: str = "batch",
                 name: str = "train_iter") -> None:  # fmt: skip
        self.loader, self.rank, self.world_size, self.split, self.name = loader, rank, world_size, split, name
        self.global_batch_size = 0

    def __len__(self) -> int:
        return len(self.loader) if hasattr(self.loader, "__len__") else 0  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Batch]:
        _share_random_state()
        for i, item in enumerate(self.loader):
            X, y = checks.batch(self.name, item) if i == 0 else item
            if len(y) < self.world_size and (self.split == "batch" or len(y) <= self.rank):
                continue
            self.global_batch_size = len(y)
            yield X.tensor_split(self.world_size)[self.rank], y.tensor_split(self.world_size)[self.rank]


def _share_random_state() -> None:
    """PyTorch's global generator on every rank set to rank 0's state."""
    state = torch.get_rng_state()
    on = _comm_device()
    t = state.to(on)
    dist.broadcast(t, src=0)
    torch.set_rng_state(t.cpu())


def _comm_device() -> torch.device:
    return torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")


class DataParallel(Strategy):
    """Several processes under torchrun, one model replica each (DDP)."""

    def __init__(self, ctx: distributed.Context) -> None:
        self.ctx = ctx
        self.is_main = ctx.is_main
        self._train: Any = None

    def device(self, dev: torch.device) -> torch.device:
        return self.ctx.device(dev)

    def setup(self, net: Any, device: torch.device, train_iter: Iterable[Batch],
              test_iter: Iterable[Batch] | None, epochs_done: int,
              ) -> tuple[Any, Iterable[Batch], Iterable[Batch] | None]:  # fmt: skip
        """The model in DDP, the training loader split by minibatch, the test loader by data.
        Checks first that every rank resumes from the same epoch."""
        if not isinstance(net, nn.Module):
            raise TypeError(
                f"under torchrun net must be an nn.Module (DistributedDataParallel wraps it), got "
                f"{type(net).__name__}"
            )
        self._same_epoch(epochs_done)
        self._train = self._split(train_iter, "batch", "train_iter")
        test = None if test_iter is None else self._split(test_iter, "data", "test_iter")
        return distributed.wrap(net, self.ctx, device), self._train, test

    def _split(self, loader: Iterable[Batch], split: str, name: str) -> Any:
        if isinstance(loader, IndexedLoader):
            return distributed.ShardedLoader(loader, self.ctx.rank, self.ctx.world_size, split=split)
        return SplitBatches(loader, self.ctx.rank, self.ctx.world_size, split=split, name=name)

    def _same_epoch(self, epochs_done: int) -> None:
        t = torch.tensor([epochs_done, -epochs_done], dtype=torch.float64, device=_comm_device())
        dist.all_reduce(t, op=dist.ReduceOp.MAX)  # the largest and minus the smallest
        if t.tolist() != [epochs_done, -epochs_done]:
            raise RuntimeError(
                f"the ranks resumed from different epochs (this rank from {epochs_done}); every "
                "rank loads the checkpoint, so put it where every process can read it (a shared "
                "file system), or start afresh without resume"
            )

    def update_size(self, total: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, int]:
        """DDP averages gradients over ranks: scaling this rank's sum by the world size and
        dividing by the whole minibatch gives the whole minibatch's mean gradient."""
        return total * self.ctx.world_size, self._train.global_batch_size

    def reduce(self, meter: Meter) -> None:
        loss, correct, n = distributed.all_reduce_sum([float(meter.loss_sum), int(meter.correct), meter.n])
        meter.loss_sum = torch.tensor(loss, dtype=torch.float64)
        meter.correct = torch.tensor(round(correct), dtype=torch.int64)
        meter.n = round(n)

    def gate(self, callbacks: list[Any], checkpointer: Any) -> tuple[list[Any], Any]:
        """Rank 0 reports and writes checkpoints; the other ranks do neither."""
        return (callbacks, checkpointer) if self.is_main else ([], None)


def choose(device: str | torch.device) -> Strategy:
    """The strategy of this process: :class:`DataParallel` under torchrun with several
    processes (the process group is started by :func:`d2lcore.distributed.context`, with
    ``device`` choosing its backend), else :class:`SingleProcess`."""
    ctx = distributed.context(device)
    return DataParallel(ctx) if ctx.enabled else SingleProcess()
