"""The one training loop every chapter uses (book §3.6 ``train_ch3``, §6.6 ``train_ch6``).

:func:`fit` trains for a number of epochs and returns a :class:`History`; it reports through
a :class:`Callback` (``d2lcore.progress`` provides the live plot and the text bar), so this
module knows nothing of plotting. It never re-initialises the model's weights.

Speed: losses and correct counts are summed as tensors and read once per epoch (no host
synchronisation per batch), evaluation runs under ``torch.inference_mode``, and conv nets can
use the channels-last layout and bfloat16 autocast.
"""

from __future__ import annotations

import math
import os
import random
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from . import config, distributed, validate
from .ops.classify import num_correct

__all__ = [
    "EpochStats",
    "History",
    "Callback",
    "TrainingError",
    "DivergedError",
    "fit",
    "evaluate_accuracy",
    "evaluate_loss",
    "save_checkpoint",
    "load_checkpoint",
]

Batch = tuple[torch.Tensor, torch.Tensor]
Updater = torch.optim.Optimizer | Callable[[int], None]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class EpochStats:
    """The numbers of one finished epoch. Accuracies are ``None`` for regression, test
    numbers ``None`` without a test set."""

    epoch: int
    train_loss: float
    train_acc: float | None
    test_loss: float | None
    test_acc: float | None
    examples_per_sec: float
    seconds: float


def _loss_str(value: float) -> str:
    """Three decimals, or three significant digits for a small loss (never "0.000")."""
    return f"{value:.3f}" if value == 0 or abs(value) >= 0.01 else f"{value:.3g}"


@dataclass
class History:
    """Per-epoch statistics of a run. ``interrupted`` is true when Ctrl-C stopped it early."""

    epochs: list[EpochStats] = field(default_factory=list)
    interrupted: bool = False

    def __len__(self) -> int:
        return len(self.epochs)

    def column(self, name: str) -> list[float | None]:
        """One field across epochs, e.g. ``history.column("test_acc")``."""
        names = list(EpochStats.__dataclass_fields__)
        if name not in names:
            raise ValueError(f"name must be one of {names}, got {name!r}")
        return [getattr(e, name) for e in self.epochs]

    @property
    def final(self) -> EpochStats:
        """The last finished epoch."""
        if not self.epochs:
            raise ValueError("the history is empty: no epoch finished")
        return self.epochs[-1]

    @property
    def seconds(self) -> float:
        """Wall time of all epochs together."""
        return sum(e.seconds for e in self.epochs)

    def summary(self) -> str:
        """One line with the final numbers, as the book prints them."""
        e = self.final
        parts = [f"loss {_loss_str(e.train_loss)}"]
        if e.train_acc is not None:
            parts.append(f"train acc {e.train_acc:.3f}")
        if e.test_loss is not None and e.test_acc is None:
            parts.append(f"test loss {_loss_str(e.test_loss)}")
        if e.test_acc is not None:
            parts.append(f"test acc {e.test_acc:.3f}")
        parts.append(f"{e.examples_per_sec:,.0f} examples/sec")
        parts.append(f"{self.seconds:.1f} s in {len(self)} epochs")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"epochs": [asdict(e) for e in self.epochs], "interrupted": self.interrupted}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls([EpochStats(**e) for e in d["epochs"]], bool(d.get("interrupted", False)))


class Callback(Protocol):
    """What :func:`fit` reports to. Every method is optional."""

    def on_train_begin(self, num_epochs: int, num_batches: int, history: History) -> None: ...
    def on_batch_end(self, epoch: int, batch: int) -> None: ...
    def on_epoch_end(self, stats: EpochStats) -> None: ...
    def on_train_end(self, history: History) -> None: ...


_CALLBACK_METHODS = ("on_train_begin", "on_batch_end", "on_epoch_end", "on_train_end")


class TrainingError(RuntimeError):
    """An error that stopped :func:`fit` part-way, carrying what the run had done.

    ``epoch`` is the epoch that was running and ``history`` holds the epochs that finished
    before it, so a long run's numbers are not lost with the error. :func:`fit` raises it
    ``from`` the original error (a callback that raised, a loader that failed in a later epoch,
    a checkpoint that could not be written, ...) once at least one epoch has finished; the
    original is its ``__cause__``. An error before any epoch finished propagates unchanged, as
    there is nothing to keep. :class:`DivergedError` is the one raised for a NaN or inf loss.
    """

    def __init__(self, message: str, epoch: int = 0, history: History | None = None) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.history = history if history is not None else History()


class DivergedError(TrainingError, FloatingPointError):
    """The training loss became NaN or infinite. ``epoch`` is the epoch where it happened and
    ``history`` holds the epochs that finished before it (also in the first epoch)."""


def _call(callback: object, method: str, *args: object) -> None:
    fn = getattr(callback, method, None)
    if fn is not None:
        fn(*args)


def _is_classification(y_hat: torch.Tensor, y: torch.Tensor) -> bool:
    return y_hat.ndim == 2 and y_hat.shape[1] > 1 and not y.is_floating_point()


def _mode(net: Callable[..., Any], train: bool) -> None:
    if isinstance(net, nn.Module):
        net.train(train)


_LOADER_HINT = "pass a loader such as d2l.load_array((features, labels), batch_size)"


def _check_loader(name: str, data: object) -> None:
    if isinstance(data, (torch.Tensor, str, bytes)) or not isinstance(data, Iterable):
        raise TypeError(
            f"{name} must be an iterable of (X, y) batches, got {type(data).__name__}; "
            f"{_LOADER_HINT}"
        )
    if hasattr(data, "__len__") and len(data) == 0:  # type: ignore[arg-type]
        raise ValueError(f"{name} is empty: it yields no batches")


def _check_batch(name: str, batch: object) -> Batch:
    """Check that a batch is an ``(X, y)`` pair of tensors with one row per example in each.

    The loops call it on the first batch of each pass only, so the per-batch path stays as
    fast as a bare unpacking.
    """
    if isinstance(batch, torch.Tensor):
        what = f"a single tensor of shape {tuple(batch.shape)}"
    elif not isinstance(batch, (tuple, list)):
        what = f"a {type(batch).__name__}"
    elif len(batch) != 2:
        what = f"a {type(batch).__name__} of {len(batch)} items"
    elif not all(isinstance(t, torch.Tensor) for t in batch):
        what = f"a pair ({type(batch[0]).__name__}, {type(batch[1]).__name__})"
    else:
        X, y = batch
        if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
            raise ValueError(
                f"{name}: a batch's X and y must hold the same number of examples (their first "
                f"dimension), got shapes {tuple(X.shape)} and {tuple(y.shape)}; single examples "
                "(a Dataset) must be batched first, e.g. by torch.utils.data.DataLoader"
            )
        return X, y
    raise TypeError(
        f"{name} must yield (X, y) pairs of tensors, but its first batch is {what}; "
        f"{_LOADER_HINT}"
    )


def _check_loss_shape(l: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor) -> None:
    """A loss must give one value per example (or their mean). Checked on a pass's first batch;
    it catches the silent (n, 1) - (n,) broadcast that makes an (n, n) loss."""
    n = len(y)
    column = sorted((y_hat.ndim, y.ndim)) == [1, 2] and 1 in (y_hat.shape[-1], y.shape[-1])
    broadcast = column and n > 1 and tuple(l.shape) == (n, n)
    if l.ndim and (l.shape[0] != n or broadcast):
        raise ValueError(
            f"loss returned shape {tuple(l.shape)} for a batch of {n} examples (y_hat "
            f"{tuple(y_hat.shape)}, y {tuple(y.shape)}); it must return one loss per example or "
            "their mean. Different shapes of y_hat and y broadcast against each other: reshape "
            "y to y_hat's shape, e.g. y.reshape(y_hat.shape), as d2l.squared_loss does"
        )


def _check_lr(optimizer: torch.optim.Optimizer, allow_zero: bool) -> None:
    """Every parameter group's learning rate must be a finite number > 0 (≥ 0 with a scheduler,
    which may warm up from 0)."""
    for i, group in enumerate(optimizer.param_groups):
        lr = group.get("lr")
        if isinstance(lr, torch.Tensor):
            lr = float(lr)
        if isinstance(lr, (int, float)) and math.isfinite(lr) and (lr > 0 or (allow_zero and lr == 0)):
            continue
        bound = "≥ 0" if allow_zero else "> 0"
        raise ValueError(
            f"updater: the learning rate (param group {i}) must be a finite number {bound}, got "
            f"lr={lr!r}"
        )


def _to(X: torch.Tensor, y: torch.Tensor, device: torch.device, channels_last: bool) -> Batch:
    X = X.to(device, non_blocking=True)
    if channels_last and X.ndim == 4:
        X = X.contiguous(memory_format=torch.channels_last)
    return X, y.to(device, non_blocking=True)


def _autocast(device: torch.device, dtype: torch.dtype | None):  # noqa: ANN202
    if dtype is None:
        return torch.autocast(device.type, enabled=False)
    return torch.autocast(device.type, dtype=dtype)


def _evaluate(
    net: Callable[[torch.Tensor], torch.Tensor],
    data_iter: Iterable[Batch],
    loss: LossFn | None,
    device: torch.device,
    channels_last: bool = False,
    autocast: torch.dtype | None = None,
    name: str = "data_iter",
) -> tuple[float | None, float | None]:
    """Mean loss (when ``loss`` is given) and accuracy (for classification) over a data set
    (``name`` is the argument it came from, for messages)."""
    was_training = isinstance(net, nn.Module) and net.training
    _mode(net, False)
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    n, classification = 0, False
    try:
        with torch.inference_mode(), _autocast(device, autocast):
            for i, batch in enumerate(data_iter):
                X, y = _check_batch(name, batch) if i == 0 else batch
                X, y = _to(X, y, device, channels_last)
                y_hat = net(X)
                if loss is not None:
                    l = loss(y_hat, y)
                    if i == 0:
                        _check_loss_shape(l, y_hat, y)
                    l = l.double()
                    loss_sum += l.sum() if l.ndim else l * len(y)
                if _is_classification(y_hat, y):
                    classification = True
                    correct += num_correct(y_hat, y)
                n += len(y)
    finally:
        _mode(net, was_training)
    if n == 0:
        raise ValueError(f"{name} is empty: it yielded no examples")
    mean_loss = float(loss_sum) / n if loss is not None else None
    return mean_loss, (int(correct) / n if classification else None)


def evaluate_accuracy(
    net: Callable[[torch.Tensor], torch.Tensor],
    data_iter: Iterable[Batch],
    device: str | torch.device | None = None,
) -> float:
    """The accuracy of ``net`` on a data set (§3.6), computed under ``torch.inference_mode``
    with the model in evaluation mode (dropout off, batch-norm running statistics)."""
    _check_net(net)
    _check_loader("data_iter", data_iter)
    _, acc = _evaluate(net, data_iter, None, _net_device(net, device))
    if acc is None:
        raise ValueError(
            "evaluate_accuracy needs a classifier: net must return one score per class (n, q) "
            "and the labels must be integer classes"
        )
    return acc


def evaluate_loss(
    net: Callable[[torch.Tensor], torch.Tensor],
    data_iter: Iterable[Batch],
    loss: LossFn,
    device: str | torch.device | None = None,
) -> float:
    """The mean loss per example of ``net`` on a data set (§4.4)."""
    _check_net(net)
    _check_loader("data_iter", data_iter)
    _check_loss(loss)
    mean_loss, _ = _evaluate(net, data_iter, loss, _net_device(net, device))
    assert mean_loss is not None
    return mean_loss


def _check_net(net: object) -> None:
    if not callable(net):
        raise TypeError(f"net must be callable (an nn.Module or a function), got {type(net).__name__}")


def _check_loss(loss: object) -> None:
    if not callable(loss):
        raise TypeError(
            f"loss must be callable, got {type(loss).__name__}; pass a function loss(y_hat, y) "
            "of per-example losses, e.g. nn.CrossEntropyLoss(reduction='none')"
        )


def _net_device(net: Callable[..., Any], device: str | torch.device | None) -> torch.device:
    """``device`` when given, else the device ``net``'s parameters are on (the CPU for a
    function). A set ``D2LCORE_DEVICE`` is checked either way, so that a typo in it raises;
    it applies to :func:`d2lcore.device`, which a notebook passes as ``device=``."""
    if device is not None:
        return config.device(device)
    config._env_device()
    if isinstance(net, nn.Module):
        p = next(net.parameters(), None)
        if p is not None:
            return p.device
    return torch.device("cpu")


def _rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(
    path: str | os.PathLike[str],
    net: nn.Module,
    optimizer: torch.optim.Optimizer | None,
    history: History,
    scheduler: Any = None,
) -> None:
    """Save model, optimiser, scheduler, history and RNG states; written to a temporary file
    and renamed, so a crash never leaves a half-written checkpoint."""
    path = _checkpoint_path("path", path)
    if not isinstance(net, nn.Module):
        raise TypeError(f"net must be an nn.Module (its state_dict is saved), got {type(net).__name__}")
    _check_optimizer(optimizer)
    _check_scheduler(scheduler, checkpointed=True)
    if not isinstance(history, History):
        raise TypeError(f"history must be a d2lcore History, got {type(history).__name__}")
    _check_not_folder("path", path)
    _make_parent(path, "path")
    state = {
        "model": net.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "history": history.to_dict(),
        "rng": _rng_state(),
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def load_checkpoint(
    path: str | os.PathLike[str],
    net: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    *,
    restore_rng: bool = True,
) -> History:
    """Load a checkpoint written by :func:`save_checkpoint` (with ``weights_only=True``, which
    runs no code from the file) into ``net`` (and ``optimizer``/``scheduler``); return its
    history.

    Warns when ``optimizer`` or ``scheduler`` is given but the file holds no state for it
    (it was saved with ``None``): that state then starts afresh (momentum, Adam's moments,
    the schedule's step).
    """
    return _load_checkpoint(path, net, optimizer, scheduler, restore_rng, stacklevel=3)


def _load_checkpoint(
    path: str | os.PathLike[str],
    net: nn.Module,
    optimizer: torch.optim.Optimizer | None,
    scheduler: Any,
    restore_rng: bool,
    stacklevel: int,
) -> History:
    path = _checkpoint_path("path", path)
    if not isinstance(net, nn.Module):
        raise TypeError(
            f"net must be an nn.Module (the checkpoint's state_dict is loaded into it), got "
            f"{type(net).__name__}"
        )
    _check_optimizer(optimizer)
    _check_scheduler(scheduler, checkpointed=True)
    validate.boolean("restore_rng", restore_rng)
    _check_not_folder("path", path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as err:
        raise ValueError(
            f"{path} is not a readable d2lcore checkpoint ({type(err).__name__}: {err}); "
            "delete it to start training afresh"
        ) from None
    keys = {"model", "optimizer", "scheduler", "history", "rng"}
    if not isinstance(state, dict) or not keys <= set(state):
        raise ValueError(
            f"{path} is not a d2lcore checkpoint (expected the keys {sorted(keys)}); delete it "
            "to start training afresh"
        )
    try:
        net.load_state_dict(state["model"])
        if optimizer is not None and state["optimizer"] is not None:
            optimizer.load_state_dict(state["optimizer"])
    except (RuntimeError, ValueError, KeyError) as err:
        raise ValueError(
            f"{path} was saved from a different model or optimizer and does not fit this one "
            f"({type(err).__name__}: {str(err).splitlines()[0]}); delete it, or pass another "
            "checkpoint path, to start training afresh"
        ) from None
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    for name, given in (("optimizer", optimizer), ("scheduler", scheduler)):
        if given is not None and state[name] is None:
            warnings.warn(
                f"{path} holds no {name} state (it was saved with {name}=None), so "
                f"{type(given).__name__}'s state starts afresh (momentum, moment estimates or "
                "the schedule's step restart)",
                stacklevel=stacklevel,
            )
    try:
        history = History.from_dict(state["history"])
    except (KeyError, TypeError, AttributeError) as err:
        raise ValueError(
            f"{path} is not a d2lcore checkpoint (its history does not read: "
            f"{type(err).__name__}: {err}); delete it to start training afresh"
        ) from None
    if restore_rng:
        _set_rng_state(state["rng"])
    return history


def _checkpoint_path(name: str, path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"{name} must be a file path (str or pathlib.Path), got {path!r} ({type(path).__name__})"
        )
    return Path(path).expanduser()


def _check_not_folder(name: str, path: Path) -> None:
    if path.is_dir() or not path.name:
        raise ValueError(
            f"{name}: {path} is a folder, not a checkpoint file; pass a file path in it, e.g. "
            f"{path / 'model.pt'}"
        )


def _make_parent(path: Path, name: str) -> None:
    """Create ``path``'s folder, with a message that names the path when that is impossible."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as err:
        raise ValueError(
            f"{name}: cannot create the folder of {path}: a part of it is a file, not a folder "
            f"({err.filename}); pass a path in a folder"
        ) from err
    except OSError as err:
        raise ValueError(
            f"{name}: cannot create the folder of {path} ({type(err).__name__}: {err.strerror}); "
            "pass a path in a folder you can write to"
        ) from err


def _check_optimizer(optimizer: object) -> None:
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer (or None), got {type(optimizer).__name__}"
        )


def _check_scheduler(scheduler: object, checkpointed: bool) -> None:
    """A scheduler needs ``step()``; a checkpointed one also ``state_dict()`` and
    ``load_state_dict()``."""
    if scheduler is None:
        return
    needed = ("step", "state_dict", "load_state_dict") if checkpointed else ("step",)
    missing = [m for m in needed if not callable(getattr(scheduler, m, None))]
    if missing or isinstance(scheduler, type):
        got = f"the class {scheduler.__name__}" if isinstance(scheduler, type) else type(scheduler).__name__  # type: ignore[attr-defined]
        raise TypeError(
            f"scheduler must be a learning-rate scheduler object with "
            f"{', '.join(m + '()' for m in needed)} (e.g. torch.optim.lr_scheduler.StepLR(opt, "
            f"...)), got {got}"
        )
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        raise TypeError(
            "scheduler: ReduceLROnPlateau steps on a metric (step(val_loss)), but fit steps the "
            "scheduler after every batch with no argument; use a schedule keyed to steps (StepLR, "
            "OneCycleLR, ...), or call fit one epoch at a time and step it yourself"
        )


# --- fit: the loop, and the parts it calls ---------------------------------------------------


def fit(
    net: Callable[[torch.Tensor], torch.Tensor],
    train_iter: Iterable[Batch],
    loss: LossFn,
    num_epochs: int,
    updater: Updater,
    *,
    test_iter: Iterable[Batch] | None = None,
    test_loss: bool | None = None,
    device: str | torch.device | None = None,
    scheduler: Any = None,
    callback: Callback | Sequence[Callback] | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: bool = False,
    channels_last: bool = False,
    autocast: torch.dtype | None = None,
) -> History:
    """Train ``net`` for ``num_epochs`` epochs and return the per-epoch :class:`History`.

    - ``loss(y_hat, y)`` returns per-example losses (or their mean).
    - ``updater`` is a ``torch.optim.Optimizer`` (the mean loss is back-propagated), or a
      from-scratch update ``updater(batch_size)`` such as ``lambda n: d2lcore.sgd(params, lr,
      n)`` (the summed loss is back-propagated, as in §3.2).
    - ``test_iter``: evaluated after each epoch — accuracy for classifiers, and the mean
      ``loss`` when ``test_loss`` is true (default: for regression only).
    - ``device``: where to train; by default where ``net``'s parameters are (the CPU for a
      function). Pass ``device=d2lcore.device()`` for the best device present or the one
      ``D2LCORE_DEVICE`` names (a set ``D2LCORE_DEVICE`` is checked in any case).
    - ``scheduler``: a learning-rate scheduler stepped after every batch (so a one-cycle
      schedule is keyed to epochs × batches, not to the clock).
    - ``callback``: an object with some of :class:`Callback`'s methods (such as
      :class:`d2lcore.Progress`), or a list of them.
    - ``checkpoint``: a file written atomically after each epoch (its folder is created and
      trial-written before training, so a bad path fails at once); with ``resume=True`` an
      existing one is loaded first and training continues after its last epoch. Resuming warns
      when the file already holds more than ``num_epochs`` epochs, and when it holds no
      optimizer state for ``updater`` (saved with ``None``, or a function updater).
    - ``channels_last`` / ``autocast``: the memory layout and an autocast dtype (e.g.
      ``torch.bfloat16``) for speed.

    The first batch of each pass is checked to be an ``(X, y)`` pair of tensors with one row
    per example, and its loss to hold one value per example or their mean (the later batches
    are not checked, to keep the loop fast).

    The first call in a process runs :func:`d2lcore.tune_malloc` (glibc keeps freed memory for
    the next step instead of page-faulting it in again; ``D2LCORE_TUNE_MALLOC=0`` turns it off).

    Stops with :class:`DivergedError` when the training loss becomes NaN or infinite. Any
    other error once an epoch has finished is raised as a :class:`TrainingError` from it,
    carrying the finished epochs. Ctrl-C stops it cleanly: the history so far is returned with
    ``interrupted=True``.
    """
    _check_fit_args(net, train_iter, loss, num_epochs, updater, test_iter, test_loss, scheduler,
                    checkpoint, resume, channels_last, autocast)  # fmt: skip
    dist = distributed.context(device if device is not None else _net_device(net, None))
    callbacks = _callbacks(callback)
    run = _Run.prepare(net, loss, updater, scheduler, device, channels_last, autocast)
    checkpointer = _Checkpointer(checkpoint, run) if checkpoint is not None else None
    history = checkpointer.before_train(resume, num_epochs) if checkpointer else History()
    train_run = run  # under torchrun: the model in DDP, each rank a part of every batch
    if dist.enabled:
        train_run, train_iter, test_iter = _distribute(dist, run, train_iter, test_iter, history)
        callbacks, checkpointer = (callbacks, checkpointer) if dist.is_main else ([], None)
    _notify(callbacks, "on_train_begin", num_epochs, _num_batches(train_iter), history)
    epoch = len(history)
    try:
        for epoch in range(len(history) + 1, num_epochs + 1):
            stats = _train_epoch(train_run, train_iter, epoch, callbacks)
            if dist.enabled:
                _sum_over_ranks(stats, train_iter, test=False)
            _check_finite(stats, history)
            if test_iter is not None:
                _evaluate_epoch(run, test_iter, test_loss, stats)
                if dist.enabled:
                    _sum_over_ranks(stats, test_iter, test=True)
            history.epochs.append(stats)
            if checkpointer is not None:
                checkpointer.after_epoch(history)
            _notify(callbacks, "on_epoch_end", stats)
    except KeyboardInterrupt:
        history.interrupted = True
        warnings.warn(
            f"training interrupted; the history keeps the {len(history)} finished epoch(s)",
            stacklevel=2,
        )
    except Exception as err:
        if isinstance(err, TrainingError) or not history.epochs:
            raise
        raise _stopped(err, epoch, history, checkpointer) from err
    finally:
        _end(callbacks, history, checkpointer)
    return history


def _check_fit_args(
    net: object,
    train_iter: object,
    loss: object,
    num_epochs: object,
    updater: object,
    test_iter: object,
    test_loss: object,
    scheduler: object,
    checkpoint: object,
    resume: object,
    channels_last: object,
    autocast: object,
) -> None:
    """Every check :func:`fit` can make before it trains (callbacks are checked by
    :func:`_callbacks`, the device by :meth:`_Run.prepare`)."""
    validate.non_negative_int("num_epochs", num_epochs)
    _check_net(net)
    _check_loss(loss)
    if not (isinstance(updater, torch.optim.Optimizer) or callable(updater)):
        raise TypeError(
            "updater must be a torch.optim.Optimizer or a function updater(batch_size), got "
            f"{type(updater).__name__}"
        )
    _check_loader("train_iter", train_iter)
    if test_iter is not None:
        _check_loader("test_iter", test_iter)
    for name, data in (("train_iter", train_iter), ("test_iter", test_iter)):
        if isinstance(data, Iterator) and num_epochs > 1:  # type: ignore[operator]
            raise TypeError(
                f"{name} is a one-pass iterator ({type(data).__name__}), but fit reads it once "
                f"per epoch for {num_epochs} epochs; pass a re-iterable loader such as "
                "d2l.load_array((features, labels), batch_size)"
            )
    validate.boolean("test_loss", test_loss, optional=True)
    validate.boolean("resume", resume)
    validate.boolean("channels_last", channels_last)
    if isinstance(updater, torch.optim.Optimizer):
        _check_lr(updater, allow_zero=scheduler is not None)
        _check_optimizer_owns(updater, net)
    _check_scheduler(scheduler, checkpointed=checkpoint is not None)
    sched_opt = getattr(scheduler, "optimizer", None)
    both = isinstance(sched_opt, torch.optim.Optimizer) and isinstance(updater, torch.optim.Optimizer)
    if both and sched_opt is not updater:
        raise ValueError(
            "scheduler steps another optimizer than updater, so it would not change the "
            "learning rate fit trains with; create it from updater, e.g. "
            "torch.optim.lr_scheduler.StepLR(updater, ...)"
        )
    if autocast is not None and not (isinstance(autocast, torch.dtype) and autocast.is_floating_point):
        raise TypeError(
            f"autocast must be a floating dtype such as torch.bfloat16 (or None), got {autocast!r}"
        )
    if checkpoint is not None:
        _checkpoint_path("checkpoint", checkpoint)
    if (checkpoint is not None or resume) and not isinstance(net, nn.Module):
        raise TypeError("checkpoint/resume need net to be an nn.Module (it saves its state_dict)")
    if resume and checkpoint is None:
        raise ValueError("resume=True needs a checkpoint path to resume from")


def _check_optimizer_owns(optimizer: torch.optim.Optimizer, net: object) -> None:
    """An optimizer made for another model would train nothing: refuse it."""
    if not isinstance(net, nn.Module):
        return
    own = {id(p) for p in net.parameters()}
    if own and not any(id(p) in own for g in optimizer.param_groups for p in g["params"]):
        raise ValueError(
            "updater updates none of net's parameters (it was made for another model), so "
            "training would change nothing; create it from this model, e.g. "
            "torch.optim.SGD(net.parameters(), lr=...)"
        )


@dataclass
class _Run:
    """What every epoch needs: the model and how to update it, where, in which layout."""

    net: Callable[[torch.Tensor], torch.Tensor]
    loss: LossFn
    updater: Updater
    scheduler: Any
    device: torch.device
    channels_last: bool
    autocast: torch.dtype | None

    @property
    def optimizer(self) -> torch.optim.Optimizer | None:
        """The updater when it is a ``torch.optim.Optimizer`` (its state is checkpointed)."""
        return self.updater if isinstance(self.updater, torch.optim.Optimizer) else None

    @classmethod
    def prepare(
        cls,
        net: Callable[[torch.Tensor], torch.Tensor],
        loss: LossFn,
        updater: Updater,
        scheduler: Any,
        device: str | torch.device | None,
        channels_last: bool,
        autocast: torch.dtype | None,
    ) -> _Run:
        """Pick the device, tune malloc, and move the model there in the chosen layout."""
        dev = _net_device(net, device)
        config.tune_malloc()  # freed step memory is reused instead of page-faulted in anew
        if isinstance(net, nn.Module):
            net.to(dev)
            if channels_last:
                net.to(memory_format=torch.channels_last)
        return cls(net, loss, updater, scheduler, dev, channels_last, autocast)


def _callbacks(callback: Callback | Sequence[Callback] | None) -> list[Any]:
    """The callbacks as a list, each checked to be an object with at least one of
    :class:`Callback`'s methods (a string, a class or a stray value would be ignored)."""
    if callback is None:
        return []
    many = isinstance(callback, (list, tuple))
    callbacks = list(callback) if many else [callback]
    for i, cb in enumerate(callbacks):
        name = f"callback[{i}]" if many else "callback"
        if isinstance(cb, type):
            raise TypeError(
                f"{name} is the class {cb.__name__}, not an object of it; pass an instance, "
                f"e.g. callback={cb.__name__}()"
            )
        methods = [m for m in _CALLBACK_METHODS if hasattr(cb, m)]
        if not methods or any(not callable(getattr(cb, m)) for m in methods):
            raise TypeError(
                f"{name} must be an object with some of the methods {', '.join(_CALLBACK_METHODS)}"
                f" (such as d2l.Progress()), or a list of them, got {cb!r} ({type(cb).__name__})"
            )
    return callbacks


def _notify(callbacks: list[Any], method: str, *args: object) -> None:
    """Call ``method`` on every callback that has it (every method is optional)."""
    for cb in callbacks:
        _call(cb, method, *args)


def _num_batches(data: Iterable[Batch]) -> int:
    return len(data) if hasattr(data, "__len__") else 0  # type: ignore[arg-type]


class _Checkpointer:
    """``fit``'s checkpoint file: checked and trial-written before training, loaded when
    resuming, written after each epoch (atomically, by :func:`save_checkpoint`)."""

    def __init__(self, path: str | os.PathLike[str], run: _Run) -> None:
        self.path = _checkpoint_path("checkpoint", path)
        self.run = run

    def before_train(self, resume: bool, num_epochs: int) -> History:
        """Check that the file can be written, then return the history to continue: the
        checkpoint's when resuming from an existing file, else an empty one."""
        self._trial_write()
        if not (resume and self.path.exists()):
            return History()
        run = self.run
        history = _load_checkpoint(self.path, run.net, run.optimizer, run.scheduler,  # type: ignore[arg-type]
                                   restore_rng=True, stacklevel=4)  # fmt: skip
        history.interrupted = False
        if len(history) > num_epochs:
            warnings.warn(
                f"resume: {self.path} already holds {len(history)} epochs, more than "
                f"num_epochs={num_epochs}; nothing is trained and its {len(history)} epochs are "
                f"returned. Pass num_epochs > {len(history)} to train on.",
                stacklevel=3,
            )
        if run.optimizer is None and history.epochs:
            warnings.warn(
                f"resume: updater is a function, so {self.path} holds no optimizer state; any "
                "state the updater keeps (momentum, say) starts afresh. Pass a "
                "torch.optim.Optimizer to have its state saved and resumed.",
                stacklevel=3,
            )
        return history

    def after_epoch(self, history: History) -> None:
        run = self.run
        save_checkpoint(self.path, run.net, run.optimizer, history, run.scheduler)  # type: ignore[arg-type]

    def _trial_write(self) -> None:
        """Create the folder and write and delete a small file next to the checkpoint, so a
        path that cannot be written fails before an epoch is spent."""
        path = self.path
        _check_not_folder("checkpoint", path)
        _make_parent(path, "checkpoint")
        trial = path.with_name(f".{path.name}.{os.getpid()}.trial")
        try:
            trial.write_bytes(b"d2lcore")
        except OSError as err:
            raise ValueError(
                f"checkpoint: cannot write in the folder of {path} ({type(err).__name__}: "
                f"{err.strerror}); pass a path in a folder you can write to"
            ) from err
        finally:
            trial.unlink(missing_ok=True)


def _check_finite(stats: EpochStats, history: History) -> None:
    """Stop with :class:`DivergedError` (carrying the finished epochs) on a NaN or inf loss."""
    if not math.isfinite(stats.train_loss):
        raise DivergedError(
            f"the training loss became {stats.train_loss} in epoch {stats.epoch}; training "
            f"stopped. Try a smaller learning rate (the update overshot), check the "
            f"inputs for NaN, or use a numerically stable loss.",
            stats.epoch,
            history,
        )


def _stopped(
    err: Exception, epoch: int, history: History, checkpointer: _Checkpointer | None
) -> TrainingError:
    """The :class:`TrainingError` for ``err``, which stopped epoch ``epoch``."""
    kept = f"{len(history)} finished epoch(s) are in this error's .history"
    if checkpointer is not None:
        kept += f" and in {checkpointer.path}; fix the cause and pass resume=True to go on"
    first = str(err).splitlines()[0] if str(err) else ""
    return TrainingError(
        f"training stopped in epoch {epoch} by {type(err).__name__}: {first} (the {kept})",
        epoch,
        history,
    )


def _end(callbacks: list[Any], history: History, checkpointer: _Checkpointer | None) -> None:
    """``on_train_end`` for every callback; an error there still carries the history."""
    try:
        _notify(callbacks, "on_train_end", history)
    except Exception as err:
        if isinstance(err, TrainingError) or not history.epochs:
            raise
        raise _stopped(err, len(history), history, checkpointer) from err


def _evaluate_epoch(
    run: _Run, test_iter: Iterable[Batch], test_loss: bool | None, stats: EpochStats
) -> None:
    """Fill in ``stats``' test numbers (the loss when asked, by default for regression) and
    add the evaluation time to the epoch's."""
    want_loss = test_loss if test_loss is not None else stats.train_acc is None
    t0 = time.perf_counter()
    stats.test_loss, stats.test_acc = _evaluate(
        run.net, test_iter, run.loss if want_loss else None, run.device, run.channels_last,
        run.autocast, name="test_iter",
    )  # fmt: skip
    stats.seconds += time.perf_counter() - t0


def _train_epoch(
    run: _Run, train_iter: Iterable[Batch], epoch: int, callbacks: list[Any]
) -> EpochStats:
    """One pass over ``train_iter``. Losses and correct counts stay on the device until the
    end of the epoch (no host synchronisation per batch); only the first batch is checked."""
    net, updater, dev = run.net, run.updater, run.device
    optimizer = run.optimizer
    _mode(net, True)
    loss_sum = torch.zeros((), dtype=torch.float64, device=dev)
    correct = torch.zeros((), dtype=torch.int64, device=dev)
    n, classification = 0, False
    t0 = time.perf_counter()
    for i, batch in enumerate(train_iter):
        X, y = _check_batch("train_iter", batch) if i == 0 else batch
        X, y = _to(X, y, dev, run.channels_last)
        with _autocast(dev, run.autocast):
            y_hat = net(X)
            l = run.loss(y_hat, y)
        if i == 0:
            _check_loss_shape(l, y_hat, y)
        batch_size = len(y)
        total = l.sum() if l.ndim else l * batch_size
        grad_total, update_size = total, batch_size
        if isinstance(train_iter, distributed.ShardedLoader):  # the whole batch's mean gradient
            grad_total, update_size = total * train_iter.world_size, train_iter.global_batch_size
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)
            (grad_total / update_size).backward()
            optimizer.step()
        else:
            grad_total.backward()
            updater(update_size)  # type: ignore[operator]
        if run.scheduler is not None:
            run.scheduler.step()
        loss_sum += total.detach().double()
        if _is_classification(y_hat, y):
            classification = True
            correct += num_correct(y_hat.detach(), y)
        n += batch_size
        _notify(callbacks, "on_batch_end", epoch, i + 1)
    seconds = time.perf_counter() - t0
    if n == 0:
        raise ValueError("train_iter yielded no examples")
    return EpochStats(
        epoch=epoch,
        train_loss=float(loss_sum) / n,
        train_acc=int(correct) / n if classification else None,
        test_loss=None,
        test_acc=None,
        examples_per_sec=n / seconds if seconds > 0 else float("inf"),
        seconds=seconds,
    )


# --- Several processes under torchrun (d2lcore.distributed) ---------------------------------


def _distribute(
    dist: distributed.Context,
    run: _Run,
    train_iter: Iterable[Batch],
    test_iter: Iterable[Batch] | None,
    history: History,
) -> tuple[_Run, distributed.ShardedLoader, distributed.ShardedLoader | None]:
    """The run that trains (the model in DDP on this rank's device) and the loaders split
    across ranks. Evaluation keeps ``run``: the plain model, on this rank's part of the test
    set. Every rank has loaded the checkpoint already; they must agree on where they are."""
    if not isinstance(run.net, nn.Module):
        raise TypeError(
            f"under torchrun net must be an nn.Module (DistributedDataParallel wraps it), got "
            f"{type(run.net).__name__}"
        )
    run.device = dist.device(run.device)
    model, train, test = distributed.prepare(dist, run.net, train_iter, test_iter, run.device, len(history))
    return replace(run, net=model), train, test


def _sum_over_ranks(stats: EpochStats, data: distributed.ShardedLoader, *, test: bool) -> None:
    """Replace this rank's train (or test) numbers in ``stats`` by those over all ranks."""
    n = data.num_examples
    loss, acc = (stats.test_loss, stats.test_acc) if test else (stats.train_loss, stats.train_acc)
    loss, acc, total = distributed.global_means(loss, acc, n)
    if test:
        stats.test_loss, stats.test_acc = loss, acc
    else:
        stats.train_loss, stats.train_acc = loss, acc  # type: ignore[assignment]
        stats.examples_per_sec = total / stats.seconds if stats.seconds > 0 else float("inf")
