"""The one training loop every chapter uses (book §3.6 ``train_ch3``, §6.6 ``train_ch6``).

:func:`fit` trains for a number of epochs and returns a :class:`~d2lcore.train.History`; it
reports through callbacks, so it knows nothing of plotting, and it never re-initialises the
model's weights. Losses and correct counts are summed on the device and read once per epoch,
and conv nets can use the channels-last layout and bfloat16 autocast.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn

from .. import config
from ..precision import channels_last_hazards
from . import callbacks as cbs
from . import checks, legacy
from . import strategy as strategies
from .checks import Batch
from .errors import EmptyPassError, TrainingError, check_finite, stopped
from .evaluate import LossFn, Meter, measure, net_device, set_mode, to_device
from .evaluate import autocast as autocast_to
from .history import EpochStats, History
from .parts import sort as sort_parts
from .strategy import Strategy

__all__ = ["fit", "Updater"]

Updater = torch.optim.Optimizer | Callable[[int], None]


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
    def prepare(cls, net: Callable[[torch.Tensor], torch.Tensor], loss: LossFn, updater: Updater,
                scheduler: Any, device: str | torch.device | None, channels_last: bool,
                dtype: torch.dtype | None) -> _Run:  # fmt: skip
        """Pick the device, tune malloc, and move the model there in the chosen layout."""
        dev = net_device(net, device)
        config.tune_malloc()  # freed step memory is reused instead of page-faulted in anew
        if isinstance(net, nn.Module):
            net.to(dev)
            hazards = channels_last_hazards(net, dev) if channels_last else []
            if hazards:
                warnings.warn(
                    "fit: channels-last is off for this model on this CPU: oneDNN's AVX2 kernels "
                    "compute a wrong weight gradient for a channels-last 1×1 stride-2 convolution "
                    f"with fewer than 8 input channels ({', '.join(hazards)}); it trains in the "
                    "NCHW layout instead (right, a little slower). Widen the layer to 8 or more "
                    "input channels to keep channels-last.", RuntimeWarning, stacklevel=3)
                channels_last = False
            if channels_last:
                net.to(memory_format=torch.channels_last)
        return cls(net, loss, updater, scheduler, dev, channels_last, dtype)


def fit(
    net: Callable[[torch.Tensor], torch.Tensor],
    train_iter: Iterable[Batch],
    loss: LossFn,
    num_epochs: int,
    updater: Updater,
    *,
    test_iter: Iterable[Batch] | None = None,
    device: str | torch.device | None = None,
    parts: Any = None,
    **deprecated: Any,
) -> History:
    """Train ``net`` for ``num_epochs`` epochs and return the per-epoch :class:`History`.

    - ``loss(y_hat, y)`` returns per-example losses (or their mean).
    - ``updater`` is a ``torch.optim.Optimizer`` (the mean loss is back-propagated), or a
      from-scratch update ``updater(batch_size)`` such as ``lambda n: d2lcore.sgd(params, lr,
      n)`` (the summed loss is back-propagated, as in §3.2).
    - ``test_iter``: evaluated after each epoch — accuracy for classifiers, and the mean
      ``loss`` for regression (or with the part :class:`TestLoss`).
    - ``device``: where to train; by default where ``net``'s parameters are (the CPU for a
      function). Pass ``device=d2lcore.device()`` for the best device present or the one
      ``D2LCORE_DEVICE`` names (a set ``D2LCORE_DEVICE`` is checked in any case).
    - ``parts``: a list of the parts that do one job each (:mod:`d2lcore.train.parts`):
      callbacks such as :class:`d2lcore.Progress`; :class:`Checkpoint` (``path``, written
      atomically after each epoch, and ``resume=True`` to go on from it); a precision policy
      :class:`d2lcore.Precision` (autocast dtype and memory layout, resolved on the training
      device) or its :class:`d2lcore.FastSettings`; a learning-rate scheduler, stepped after
      every batch (a one-cycle schedule is keyed to epochs × batches); :class:`TestLoss`.
      Without parts, fit computes in float32 in the NCHW layout and reports nothing.

    The keyword arguments ``test_loss``, ``scheduler``, ``callback``, ``checkpoint``,
    ``resume``, ``channels_last`` and ``autocast`` still work for one release, with a
    ``DeprecationWarning`` naming the part that replaces them.

    The first batch of each pass is checked to be an ``(X, y)`` pair of tensors with one row
    per example, and its loss to hold one value per example or their mean (the later batches
    are not checked, to keep the loop fast). Under torchrun, a strategy
    (:mod:`d2lcore.train.strategy`) splits every minibatch across the processes.

    The first call in a process runs :func:`d2lcore.tune_malloc` (glibc keeps freed memory for
    the next step instead of page-faulting it in again; ``D2LCORE_TUNE_MALLOC=0`` turns it off).

    Stops with :class:`DivergedError` when the training loss becomes NaN or infinite. Any
    other error once an epoch has finished is raised as a :class:`TrainingError` from it,
    carrying the finished epochs. Ctrl-C stops it cleanly: the history so far is returned with
    ``interrupted=True``.
    """
    p = sort_parts(parts)
    legacy.apply(p, deprecated)
    checks.fit_args(net, train_iter, loss, num_epochs, updater, test_iter, p.test_loss, p.scheduler,
                    checkpointed=p.checkpoint is not None)  # fmt: skip
    if p.checkpoint is not None and not isinstance(net, nn.Module):
        raise TypeError("checkpoint/resume need net to be an nn.Module (it saves its state_dict)")
    strategy = strategies.choose(device if device is not None else net_device(net, None))
    settings = p.settings(net_device(net, device))
    legacy.check_settings(settings)
    run = _Run.prepare(net, loss, updater, p.scheduler, device, settings.channels_last, settings.autocast)
    ckpt = p.checkpoint
    history = ckpt.before_train(run.net, run.optimizer, run.scheduler, num_epochs) if ckpt else History()  # type: ignore[arg-type]
    history.precision = "float32" if run.autocast is None else str(run.autocast).removeprefix("torch.")
    run.device = strategy.device(run.device)
    model, train_iter, test_iter = strategy.setup(run.net, run.device, train_iter, test_iter, len(history))
    train_run = replace(run, net=model)  # evaluation keeps the plain model
    callbacks, ckpt = strategy.gate(p.callbacks, ckpt)
    cbs.notify(callbacks, "on_train_begin", num_epochs, _num_batches(train_iter), history)
    ckpt_path = ckpt.file if ckpt is not None else None
    epoch = len(history)
    try:
        for epoch in range(len(history) + 1, num_epochs + 1):
            stats = _train_epoch(train_run, strategy, train_iter, epoch, callbacks)
            check_finite(stats, history)
            if test_iter is not None:
                _evaluate_epoch(run, strategy, test_iter, p.test_loss, stats, history)
            history.epochs.append(stats)
            if ckpt is not None:
                ckpt.after_epoch(run.net, run.optimizer, run.scheduler, history)  # type: ignore[arg-type]
            cbs.notify(callbacks, "on_epoch_end", stats)
    except KeyboardInterrupt:
        history.interrupted = True
        warnings.warn(
            f"training interrupted; the history keeps the {len(history)} finished epoch(s)",
            stacklevel=2,
        )
    except Exception as err:
        if isinstance(err, TrainingError) or not history.epochs:
            raise
        raise stopped(err, epoch, history, ckpt_path) from err
    finally:
        cbs.end(callbacks, history, ckpt_path)
    return history


def _num_batches(data: Iterable[Batch]) -> int:
    return len(data) if hasattr(data, "__len__") else 0  # type: ignore[arg-type]


def _evaluate_epoch(
    run: _Run, strategy: Strategy, test_iter: Iterable[Batch], test_loss: bool | None,
    stats: EpochStats, history: History,
) -> None:
    """Fill in ``stats``' test numbers (the loss when asked, by default for regression) and
    add the evaluation time to the epoch's. A test set that yields nothing stops the run with
    a :class:`TrainingError` whose history keeps this epoch's training numbers."""
    want_loss = test_loss if test_loss is not None else stats.train_acc is None
    t0 = time.perf_counter()
    try:
        meter = measure(run.net, test_iter, run.loss if want_loss else None, run.device,
                        run.channels_last, run.autocast, name="test_iter")  # fmt: skip
    except EmptyPassError as err:
        history.epochs.append(stats)
        raise TrainingError(
            f"test_iter yielded no examples after epoch {stats.epoch}, so nothing could be "
            f"evaluated; the epoch's training numbers are in this error's .history (its test "
            "numbers None). Pass a test loader that yields (X, y) batches, or test_iter=None",
            stats.epoch,
            history,
        ) from err
    strategy.reduce(meter)
    stats.test_loss, stats.test_acc = (meter.mean_loss() if want_loss else None), meter.accuracy()
    stats.seconds += time.perf_counter() - t0


def _train_epoch(run: _Run, strategy: Strategy, train_iter: Iterable[Batch], epoch: int,
                 callbacks: list[Any]) -> EpochStats:  # fmt: skip
    """One pass over ``train_iter``. Losses and correct counts stay on the device until the
    end of the epoch (no host synchronisation per batch); only the first batch is checked."""
    net, updater, dev = run.net, run.updater, run.device
    optimizer = run.optimizer
    set_mode(net, True)
    meter = Meter(dev)
    t0 = time.perf_counter()
    for i, item in enumerate(train_iter):
        X, y = checks.batch("train_iter", item) if i == 0 else item
        X, y = to_device(X, y, dev, run.channels_last)
        with autocast_to(dev, run.autocast):
            y_hat = net(X)
            l = run.loss(y_hat, y)
        if i == 0:
            checks.loss_shape(l, y_hat, y)
        batch_size = len(y)
        total = l.sum() if l.ndim else l * batch_size
        grad_total, update_size = strategy.update_size(total, batch_size)
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)
            (grad_total / update_size).backward()
            optimizer.step()
        else:
            grad_total.backward()
            updater(update_size)  # type: ignore[operator]
        if run.scheduler is not None:
            run.scheduler.step()
        meter.add(y_hat, y, total.detach().double())
        cbs.notify(callbacks, "on_batch_end", epoch, i + 1)
    seconds = time.perf_counter() - t0
    if meter.n == 0:
        raise ValueError("train_iter yielded no examples")
    strategy.reduce(meter)
    return EpochStats(
        epoch=epoch,
        train_loss=meter.mean_loss(),
        train_acc=meter.accuracy(),
        test_loss=None,
        test_acc=None,
        examples_per_sec=meter.n / seconds if seconds > 0 else float("inf"),
        seconds=seconds,
    )

