"""The argument checks of :func:`d2lcore.fit` and the evaluation functions: each bad input
gets an error that names the argument and the fix, before any work is done."""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Iterator
from typing import Any

import torch
from torch import nn

from .. import validate

__all__ = [
    "Batch",
    "LOADER_HINT",
    "loader",
    "batch",
    "loss_shape",
    "learning_rate",
    "net",
    "loss",
    "optimizer",
    "scheduler",
    "optimizer_owns",
    "updater",
    "fit_args",
]

Batch = tuple[torch.Tensor, torch.Tensor]

LOADER_HINT = "pass a loader such as d2l.load_array((features, labels), batch_size)"


def loader(name: str, data: object) -> None:
    """``data`` must be a non-empty iterable of batches (not a tensor or a string)."""
    if isinstance(data, (torch.Tensor, str, bytes)) or not isinstance(data, Iterable):
        raise TypeError(
            f"{name} must be an iterable of (X, y) batches, got {type(data).__name__}; "
            f"{LOADER_HINT}"
        )
    if hasattr(data, "__len__") and len(data) == 0:  # type: ignore[arg-type]
        raise ValueError(f"{name} is empty: it yields no batches")


def batch(name: str, item: object) -> Batch:
    """Check that a batch is an ``(X, y)`` pair of tensors with one row per example in each.

    The loops call it on the first batch of each pass only, so the per-batch path stays as
    fast as a bare unpacking.
    """
    if isinstance(item, torch.Tensor):
        what = f"a single tensor of shape {tuple(item.shape)}"
    elif not isinstance(item, (tuple, list)):
        what = f"a {type(item).__name__}"
    elif len(item) != 2:
        what = f"a {type(item).__name__} of {len(item)} items"
    elif not all(isinstance(t, torch.Tensor) for t in item):
        what = f"a pair ({type(item[0]).__name__}, {type(item[1]).__name__})"
    else:
        X, y = item
        if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
            raise ValueError(
                f"{name}: a batch's X and y must hold the same number of examples (their first "
                f"dimension), got shapes {tuple(X.shape)} and {tuple(y.shape)}; single examples "
                "(a Dataset) must be batched first, e.g. by torch.utils.data.DataLoader"
            )
        return X, y
    raise TypeError(
        f"{name} must yield (X, y) pairs of tensors, but its first batch is {what}; "
        f"{LOADER_HINT}"
    )


def loss_shape(l: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor) -> None:
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


def learning_rate(opt: torch.optim.Optimizer, allow_zero: bool) -> None:
    """Every parameter group's learning rate must be a finite number > 0 (≥ 0 with a scheduler,
    which may warm up from 0)."""
    for i, group in enumerate(opt.param_groups):
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


def net(value: object) -> None:
    """``net`` must be callable."""
    if not callable(value):
        raise TypeError(f"net must be callable (an nn.Module or a function), got {type(value).__name__}")


def loss(value: object) -> None:
    """``loss`` must be callable."""
    if not callable(value):
        raise TypeError(
            f"loss must be callable, got {type(value).__name__}; pass a function loss(y_hat, y) "
            "of per-example losses, e.g. nn.CrossEntropyLoss(reduction='none')"
        )


def optimizer(value: object) -> None:
    """``optimizer`` must be a ``torch.optim.Optimizer`` or None."""
    if value is not None and not isinstance(value, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer (or None), got {type(value).__name__}"
        )


def scheduler(value: object, checkpointed: bool) -> None:
    """A scheduler needs ``step()``; a checkpointed one also ``state_dict()`` and
    ``load_state_dict()``."""
    if value is None:
        return
    needed = ("step", "state_dict", "load_state_dict") if checkpointed else ("step",)
    missing = [m for m in needed if not callable(getattr(value, m, None))]
    if missing or isinstance(value, type):
        got = f"the class {value.__name__}" if isinstance(value, type) else type(value).__name__  # type: ignore[attr-defined]
        raise TypeError(
            f"scheduler must be a learning-rate scheduler object with "
            f"{', '.join(m + '()' for m in needed)} (e.g. torch.optim.lr_scheduler.StepLR(opt, "
            f"...)), got {got}"
        )
    if isinstance(value, torch.optim.lr_scheduler.ReduceLROnPlateau):
        raise TypeError(
            "scheduler: ReduceLROnPlateau steps on a metric (step(val_loss)), but fit steps the "
            "scheduler after every batch with no argument; use a schedule keyed to steps (StepLR, "
            "OneCycleLR, ...), or call fit one epoch at a time and step it yourself"
        )


def optimizer_owns(opt: torch.optim.Optimizer, model: object) -> None:
    """An optimizer made for another model would train nothing: refuse it."""
    if not isinstance(model, nn.Module):
        return
    own = {id(p) for p in model.parameters()}
    if own and not any(id(p) in own for g in opt.param_groups for p in g["params"]):
        raise ValueError(
            "updater updates none of net's parameters (it was made for another model), so "
            "training would change nothing; create it from this model, e.g. "
            "torch.optim.SGD(net.parameters(), lr=...)"
        )


def updater(value: object) -> None:
    """``updater``: a ``torch.optim.Optimizer``, or a function fit can call as
    ``updater(batch_size)`` (checked by its signature, so a wrong one fails before training)."""
    if isinstance(value, torch.optim.Optimizer):
        return
    if not callable(value):
        raise TypeError(
            "updater must be a torch.optim.Optimizer or a function updater(batch_size), got "
            f"{type(value).__name__}"
        )
    try:
        signature = inspect.signature(value)
    except (TypeError, ValueError):  # a builtin without a signature: it shows when called
        return
    try:
        signature.bind(0)
    except TypeError:
        name = getattr(value, "__name__", type(value).__name__)
        raise TypeError(
            f"updater must be callable as updater(batch_size) (fit calls it with the batch size "
            f"after each backward pass), but {name}{signature} cannot take one argument; write "
            "e.g. lambda batch_size: d2l.sgd(params, lr, batch_size), or pass a "
            "torch.optim.Optimizer"
        ) from None


def fit_args(
    model: object,
    train_iter: object,
    loss_fn: object,
    num_epochs: object,
    update: object,
    test_iter: object,
    test_loss: object,
    sched: object,
    checkpointed: bool,
) -> None:
    """Every check :func:`fit` can make of its data, model and updates before it trains (the
    checkpoint and the precision policy check themselves, callbacks are checked by
    :func:`~d2lcore.train.callbacks.as_list`, the device when the run is prepared)."""
    validate.non_negative_int("num_epochs", num_epochs)
    net(model)
    loss(loss_fn)
    updater(update)
    loader("train_iter", train_iter)
    if test_iter is not None:
        loader("test_iter", test_iter)
    for name, data in (("train_iter", train_iter), ("test_iter", test_iter)):
        if isinstance(data, Iterator) and num_epochs > 1:  # type: ignore[operator]
            raise TypeError(
                f"{name} is a one-pass iterator ({type(data).__name__}), but fit reads it once "
                f"per epoch for {num_epochs} epochs; pass a re-iterable loader such as "
                "d2l.load_array((features, labels), batch_size)"
            )
    validate.boolean("test_loss", test_loss, optional=True)
    if isinstance(update, torch.optim.Optimizer):
        learning_rate(update, allow_zero=sched is not None)
        optimizer_owns(update, model)
    scheduler(sched, checkpointed=checkpointed)
    sched_opt: Any = getattr(sched, "optimizer", None)
    both = isinstance(sched_opt, torch.optim.Optimizer) and isinstance(update, torch.optim.Optimizer)
    if both and sched_opt is not update:
        raise ValueError(
            "scheduler steps another optimizer than updater, so it would not change the "
            "learning rate fit trains with; create it from updater, e.g. "
            "torch.optim.lr_scheduler.StepLR(updater, ...)"
        )
