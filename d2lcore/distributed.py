"""Data-parallel training with ``torch.distributed`` (appendix "多 GPU 与多机训练").

Under ``torchrun --nproc-per-node=N script.py`` each of the N processes (ranks) runs the same
script; :func:`d2lcore.fit` calls :func:`context`, which reads torchrun's variables, starts the
process group when the script has not (gloo on CPUs, nccl on GPUs), and then

- wraps the model in ``DistributedDataParallel`` (:func:`wrap`): gradients are averaged
  across ranks in the backward pass, so every rank takes the same step;
- splits every minibatch of the epoch's order across the ranks (:class:`ShardedLoader`): the
  order is drawn on rank 0 exactly as a single-process :class:`~d2lcore.ArrayLoader` draws it
  (PyTorch's global generator, seeded by :func:`d2lcore.seed` and restored from a checkpoint)
  and broadcast, so all ranks share it and each example is seen once per epoch;
- sums the epoch's loss, correct counts and example counts across ranks
  (:func:`all_reduce_sum`), so every rank's ``History`` holds the global numbers.

N processes with batch size B therefore train the same model as one process with batch size
B, with each rank computing B/N of every batch. Without torchrun's variables nothing here
runs: :func:`context` returns the single-process context and ``fit`` behaves as before.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from . import config
from .data.loader import IndexedLoader

__all__ = [
    "LaunchEnv",
    "Context",
    "launch_env",
    "context",
    "is_main_process",
    "rendezvous",
    "wrap",
    "all_reduce_sum",
    "ShardedLoader",
    "shard_indices",
]

Batch = tuple[torch.Tensor, torch.Tensor]

_LAUNCH_HINT = (
    "launch with `torchrun --nproc-per-node=N script.py` (it sets all five), or unset them to "
    "train in one process"
)


@dataclass(frozen=True)
class LaunchEnv:
    """torchrun's variables, checked: this process is ``rank`` of ``world_size``, the
    ``local_rank``-th on its machine; rank 0 listens at ``master_addr:master_port``."""

    rank: int
    world_size: int
    local_rank: int
    master_addr: str
    master_port: int


def launch_env(env: Mapping[str, str] | None = None) -> LaunchEnv | None:
    """torchrun's variables from ``env`` (default: this process's, via
    :func:`d2lcore.config.launcher_env`), checked; ``None`` when none of them is set.

    Raises ``ValueError`` naming the fix when some are missing or out of range.
    """
    if env is None:
        env = config.launcher_env()
    names = config.TORCHRUN_VARIABLES
    present = [k for k in names if str(env.get(k, "")).strip()]
    if not present:
        return None
    missing = [k for k in names if k not in present]
    if missing:
        raise ValueError(
            f"torchrun's variables are incomplete: {', '.join(present)} set but "
            f"{', '.join(missing)} missing; {_LAUNCH_HINT}"
        )
    values: dict[str, int] = {}
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_PORT"):
        raw = str(env[k]).strip()
        try:
            values[k] = int(raw)
        except ValueError:
            raise ValueError(f"{k} must be an integer, got {raw!r}; {_LAUNCH_HINT}") from None
    rank, world, local, port = (values[k] for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_PORT"))
    if world < 1:
        raise ValueError(f"WORLD_SIZE must be ≥ 1, got {world}; {_LAUNCH_HINT}")
    if not 0 <= rank < world:
        raise ValueError(f"RANK must be in [0, WORLD_SIZE={world}), got {rank}; {_LAUNCH_HINT}")
    if not 0 <= local <= rank:
        raise ValueError(f"LOCAL_RANK must be in [0, RANK={rank}], got {local}; {_LAUNCH_HINT}")
    if not 0 < port < 65536:
        raise ValueError(f"MASTER_PORT must be a port number in [1, 65535], got {port}; {_LAUNCH_HINT}")
    return LaunchEnv(rank, world, local, str(env["MASTER_ADDR"]).strip(), port)


@dataclass(frozen=True)
class Context:
    """Where this process stands: ``rank`` of ``world_size`` processes (1 without torchrun).
    ``enabled`` is true when there is more than one process."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that draws progress, writes checkpoints and records results."""
        return self.rank == 0

    def device(self, dev: torch.device) -> torch.device:
        """``dev`` with this rank's GPU filled in (``cuda`` → ``cuda:LOCAL_RANK``)."""
        if self.enabled and dev.type == "cuda" and dev.index is None:
            return torch.device("cuda", torch.cuda.current_device())
        return dev


def _backend_for(device: torch.device, backend: str | None) -> str:
    if backend is None:
        backend = "nccl" if device.type == "cuda" else "gloo"
    if backend not in {"gloo", "nccl"}:
        raise ValueError(f"backend must be 'gloo' (CPUs) or 'nccl' (CUDA GPUs), got {backend!r}")
    if backend == "nccl" and not (torch.cuda.is_available() and dist.is_nccl_available()):
        raise ValueError(
            "backend 'nccl' needs CUDA GPUs, but CUDA (with NCCL) is not available in this "
            "process; use backend 'gloo' and device 'cpu' to train on CPUs, or run on a machine "
            "with GPUs"
        )
    if backend == "nccl" and device.type != "cuda":
        raise ValueError(
            f"backend 'nccl' communicates between GPUs, but the device is {str(device)!r}; use "
            "device 'cuda', or backend 'gloo' for CPUs"
        )
    return backend


def context(
    device: str | torch.device | None = None,
    *,
    backend: str | None = None,
    timeout: float = 1800.0,
) -> Context:
    """The process group this process trains in (what :func:`d2lcore.fit` calls first).

    - A group the script started itself (``torch.distributed.init_process_group``) is used
      as it is.
    - Under torchrun (its variables set, ``WORLD_SIZE`` > 1), the processes meet at
      ``MASTER_ADDR:MASTER_PORT`` (:func:`rendezvous`: rank 0 says that it waits, and every
      process gives up after ``D2LCORE_DIST_TIMEOUT`` seconds, default 120, with an error
      naming ``WORLD_SIZE``, ``RANK`` and ``MASTER_*``); the group is then started with
      ``backend`` (default: ``nccl`` for a CUDA ``device``, ``gloo`` otherwise), and a CUDA
      process uses GPU ``LOCAL_RANK``. Collective operations give up after ``timeout`` seconds.
    - Otherwise: one process, ``Context()``; nothing is started.
    """
    if dist.is_available() and dist.is_initialized():
        env = launch_env()
        rank = dist.get_rank()
        return Context(rank, dist.get_world_size(), env.local_rank if env else rank, str(dist.get_backend()))
    env = launch_env()
    if env is None or env.world_size == 1:
        return Context()
    if not dist.is_available():  # pragma: no cover - every Linux/macOS/Windows wheel has it
        raise RuntimeError(
            "torch.distributed is not available in this PyTorch build; install a build with "
            "distributed support (the pip wheels have it) to train under torchrun"
        )
    dev = config.device(device) if device is not None else torch.device("cpu")
    name = _backend_for(dev, backend)
    if dev.type == "cuda":
        count = torch.cuda.device_count()
        if env.local_rank >= count:
            raise ValueError(
                f"LOCAL_RANK={env.local_rank}, but this machine has {count} GPU(s); start at most "
                f"{count} processes per machine (`torchrun --nproc-per-node={count}`)"
            )
        torch.cuda.set_device(env.local_rank)
    store = rendezvous(env)
    store.set_timeout(datetime.timedelta(seconds=timeout))  # from here on, the collectives' wait
    dist.init_process_group(
        name, store=store, rank=env.rank, world_size=env.world_size,
        timeout=datetime.timedelta(seconds=timeout),
    )  # fmt: skip
    return Context(env.rank, env.world_size, env.local_rank, name)


def rendezvous(env: LaunchEnv, timeout: float | None = None) -> dist.Store:
    """Meet the other processes of a launch at ``MASTER_ADDR:MASTER_PORT`` and return the
    store they share (what :func:`context` starts the process group with).

    Rank 0 listens there and says (on standard error) that it waits for ``WORLD_SIZE``
    processes; the other ranks say that they connect to it. Each gives up after ``timeout``
    seconds (default :func:`d2lcore.config.dist_timeout`, i.e. ``D2LCORE_DIST_TIMEOUT``) with
    a ``RuntimeError`` that names ``WORLD_SIZE``, ``RANK`` and ``MASTER_ADDR:MASTER_PORT``; a
    port another process holds raises "MASTER_PORT is busy, or two processes have RANK=0".
    """
    seconds = config.dist_timeout() if timeout is None else timeout
    host = f"[{env.master_addr}]" if ":" in env.master_addr else env.master_addr
    where = f"{env.master_addr}:{env.master_port}"
    doing = (f"rank 0 waiting for {env.world_size} processes" if env.rank == 0
             else f"rank {env.rank} connecting to rank 0")
    print(f"d2lcore: {doing} at {where} (for up to {seconds:g} s, D2LCORE_DIST_TIMEOUT)",
          file=sys.stderr, flush=True)
    launch = (f"WORLD_SIZE={env.world_size}, RANK={env.rank}, MASTER_ADDR={env.master_addr}, "
              f"MASTER_PORT={env.master_port}")
    try:
        store, _, _ = next(dist.rendezvous(
            f"tcp://{host}:{env.master_port}", rank=env.rank, world_size=env.world_size,
            timeout=datetime.timedelta(seconds=seconds),
        ))  # fmt: skip
    except (RuntimeError, TimeoutError) as err:  # torch's DistError is a RuntimeError
        if "EADDRINUSE" in str(err) or "address already in use" in str(err).lower():
            raise RuntimeError(
                f"MASTER_PORT is busy, or two processes have RANK=0: rank 0 cannot listen at "
                f"{where} ({launch}); pick a free port (torchrun --master-port=PORT), stop the "
                "job that holds it, or give each process its own RANK"
            ) from err
        if env.rank == 0:
            what = f"rank 0 waited {seconds:g} s at {where} for {env.world_size} processes"
            others = "RANK=1" if env.world_size == 2 else f"RANK=1 to {env.world_size - 1}"
            fix = (f"start the other processes ({others}) with the same MASTER_ADDR and "
                   "MASTER_PORT, or set WORLD_SIZE to the number of processes you start")
        else:
            what = f"rank {env.rank} could not reach rank 0 at {where} within {seconds:g} s"
            fix = ("start the process with RANK=0 too, check MASTER_ADDR and MASTER_PORT (rank "
                   "0's machine and port, reachable from here), or set WORLD_SIZE to the number "
                   "of processes you start")
        raise RuntimeError(
            f"the processes of this launch did not all meet: {what} ({launch}); {fix}. "
            "D2LCORE_DIST_TIMEOUT sets the wait in seconds"
        ) from err
    return store


def is_main_process() -> bool:
    """True in rank 0 of a process group, and in a process started without torchrun; starts
    nothing. What should happen once (printing, writing files, :func:`d2lcore.record`) asks
    this first. torchrun's variables are read checked, as :func:`d2lcore.fit` reads them
    (:func:`launch_env`): a stray ``RANK=1`` without the others raises ``ValueError`` rather
    than silently making this process a non-zero rank."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0
    env = launch_env()
    return env is None or env.rank == 0


def wrap(net: nn.Module, ctx: Context, device: torch.device) -> nn.Module:
    """``net`` in ``DistributedDataParallel`` when ``ctx`` has several ranks (rank 0's weights
    are broadcast to all), else ``net`` itself. ``net`` must already be on ``device``."""
    if not ctx.enabled:
        return net
    if not isinstance(net, nn.Module):
        raise TypeError(
            f"under torchrun net must be an nn.Module (DistributedDataParallel wraps it), got "
            f"{type(net).__name__}"
        )
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(net, device_ids=ids)


def _started() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _comm_device() -> torch.device:
    """Where a tensor must be to take part in a collective: this rank's GPU with nccl."""
    return torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")


def all_reduce_sum(values: Sequence[float]) -> list[float]:
    """Each number summed over all ranks (in float64, one all-reduce); ``values`` itself in a
    single process."""
    if not _started():
        return list(values)
    t = torch.tensor([float(v) for v in values], dtype=torch.float64, device=_comm_device())
    dist.all_reduce(t)
    return t.tolist()


def shard_indices(batch: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """Rank ``rank``'s contiguous part of a batch of indices: ``world_size`` parts whose sizes
    differ by at most one, together the whole batch, in order."""
    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size must be the number of processes, an int ≥ 1, got {world_size!r}")
    if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < world_size:
        raise ValueError(
            f"rank must be an int in [0, world_size={world_size}) (ranks count from 0), got {rank!r}"
        )
    return batch.tensor_split(world_size)[rank]


class ShardedLoader:
    """An :class:`~d2lcore.ArrayLoader` (any :class:`~d2lcore.IndexedLoader`) split across
    ranks by index: each rank gathers only its own examples (``loader.fetch``).

    ``split="batch"`` (training): every epoch has the order of the single-process loader
    (drawn on rank 0 and broadcast), cut into the same minibatches, and each rank gets its
    part of every minibatch (:func:`shard_indices`); all ranks take the same number of steps.
    A final minibatch with fewer examples than ranks is left out (at most
    ``world_size - 1`` examples per epoch). ``split="data"`` (evaluation): each rank takes a
    contiguous part of the data set, in minibatches of the loader's size.

    ``global_batch_size`` is the size of the whole minibatch the last yielded part belongs to.
    """

    def __init__(self, loader: IndexedLoader, rank: int, world_size: int, *, split: str = "batch") -> None:
        if not isinstance(loader, IndexedLoader):
            raise TypeError(
                "ShardedLoader splits a d2l.ArrayLoader (what load_array and load_fashion_mnist "
                "return) across processes by index, or another d2l.IndexedLoader (order() and "
                f"fetch()), got {type(loader).__name__}; pass an ArrayLoader (fit itself splits any "
                "other loader of (X, y) batches batch by batch)"
            )
        if split not in {"batch", "data"}:
            raise ValueError(f"split must be 'batch' or 'data', got {split!r}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in [0, world_size={world_size}), got {rank}")
        first = min(loader.batch_size, loader.num_examples)
        if split == "batch" and first < world_size:
            raise ValueError(
                f"the world size ({world_size} processes) is larger than the minibatch "
                f"({first} examples): each process computes a part of every minibatch; use a "
                f"batch size of at least {world_size}, or fewer processes (--nproc-per-node)"
            )
        if split == "data" and loader.num_examples < world_size:
            raise ValueError(
                f"the world size ({world_size} processes) is larger than the evaluation set "
                f"({loader.num_examples} examples); use fewer processes (--nproc-per-node)"
            )
        self.loader, self.rank, self.world_size, self.split = loader, rank, world_size, split
        self.global_batch_size = 0
        self._num_examples: int | None = None

    def __len__(self) -> int:
        n, b = self.loader.num_examples, self.loader.batch_size
        if self.split == "data":
            mine = len(shard_indices(torch.arange(n), self.rank, self.world_size))
            return (mine + b - 1) // b
        return n // b + (1 if n % b >= self.world_size else 0)

    @property
    def num_examples(self) -> int:
        """The examples this rank sees in one pass."""
        if self._num_examples is None:
            parts = self.indices(torch.arange(self.loader.num_examples))
            self._num_examples = int(sum(len(i) for i in parts))
        return self._num_examples

    def _order(self) -> torch.Tensor:
        n = self.loader.num_examples
        if not self.loader.shuffle or self.split == "data":
            return torch.arange(n)
        if self.rank == 0:
            order = self.loader.order()  # the draw a single-process pass makes
        else:
            order = torch.empty(n, dtype=torch.int64)
        if _started():
            on_device = order.to(_comm_device())
            dist.broadcast(on_device, src=0)
            order = on_device.cpu()
        elif self.rank != 0:
            raise RuntimeError("ShardedLoader needs a started process group on ranks other than 0")
        return order

    def indices(self, order: torch.Tensor) -> Iterator[torch.Tensor]:
        """The example indices this rank takes, step by step, from an epoch's ``order``."""
        b = self.loader.batch_size
        if self.split == "data":
            mine = shard_indices(order, self.rank, self.world_size)
            for start in range(0, len(mine), b):
                self.global_batch_size = len(mine[start : start + b])
                yield mine[start : start + b]
            return
        for start in range(0, len(order), b):
            batch = order[start : start + b]
            if len(batch) < self.world_size:
                return
            self.global_batch_size = len(batch)
            yield shard_indices(batch, self.rank, self.world_size)

    def __iter__(self) -> Iterator[Batch]:
        for idx in self.indices(self._order()):
            yield self.loader.fetch(idx)

    def __repr__(self) -> str:
        return (
            f"ShardedLoader({self.loader!r}, rank={self.rank}, world_size={self.world_size}, "
            f"split={self.split!r})"
        )

