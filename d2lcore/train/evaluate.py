"""Evaluation (book §3.6 ``evaluate_accuracy``, §4.4's loss on a data set) and the
:class:`Meter` that training and evaluation both count with.

Losses and correct counts are summed as tensors on the device and read once per pass (no
host synchronisation per batch); evaluation runs under ``torch.inference_mode`` with the model
in evaluation mode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from .. import config
from ..ops.classify import num_correct
from . import checks
from .checks import Batch
from .errors import EmptyPassError

__all__ = [
    "LossFn",
    "Meter",
    "measure",
    "evaluate",
    "evaluate_accuracy",
    "evaluate_loss",
    "net_device",
    "set_mode",
    "to_device",
    "autocast",
]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class Meter:
    """Running sums of one pass: the loss, the correct predictions (when the outputs are a
    classifier's scores) and the number of examples. The sums stay on ``device`` until read."""

    def __init__(self, device: torch.device) -> None:
        self.loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        self.correct = torch.zeros((), dtype=torch.int64, device=device)
        self.n = 0
        self.classification = False

    def add(self, y_hat: torch.Tensor, y: torch.Tensor, loss_sum: torch.Tensor | None = None) -> None:
        """Count one batch: its outputs, labels and (when given) its summed loss."""
        if loss_sum is not None:
            self.loss_sum += loss_sum
        if y_hat.ndim == 2 and y_hat.shape[1] > 1 and not y.is_floating_point():
            self.classification = True
            self.correct += num_correct(y_hat.detach(), y)
        self.n += len(y)

    def mean_loss(self) -> float:
        """The loss per example (one host synchronisation)."""
        return float(self.loss_sum) / self.n

    def accuracy(self) -> float | None:
        """The fraction predicted correctly, or None when the outputs were not a classifier's."""
        return int(self.correct) / self.n if self.classification else None


def set_mode(net: Callable[..., Any], train: bool) -> None:
    """Training or evaluation mode, for a module (a plain function has none)."""
    if isinstance(net, nn.Module):
        net.train(train)


def to_device(X: torch.Tensor, y: torch.Tensor, device: torch.device, channels_last: bool) -> Batch:
    """A batch on ``device``; 4-d images in the channels-last layout when asked."""
    X = X.to(device, non_blocking=True)
    if channels_last and X.ndim == 4:
        X = X.contiguous(memory_format=torch.channels_last)
    return X, y.to(device, non_blocking=True)


def autocast(device: torch.device, dtype: torch.dtype | None) -> torch.autocast:
    """``torch.autocast`` to ``dtype`` on ``device``'s type, or disabled for None."""
    if dtype is None:
        return torch.autocast(device.type, enabled=False)
    return torch.autocast(device.type, dtype=dtype)


def measure(
    net: Callable[[torch.Tensor], torch.Tensor],
    data_iter: Iterable[Batch],
    loss: LossFn | None,
    device: torch.device,
    channels_last: bool = False,
    dtype: torch.dtype | None = None,
    name: str = "data_iter",
) -> Meter:
    """The sums of one evaluation pass over a data set, in evaluation mode under
    ``torch.inference_mode`` (``name`` is the argument it came from, for messages)."""
    was_training = isinstance(net, nn.Module) and net.training
    set_mode(net, False)
    meter = Meter(device)
    try:
        with torch.inference_mode(), autocast(device, dtype):
            for i, item in enumerate(data_iter):
                X, y = checks.batch(name, item) if i == 0 else item
                X, y = to_device(X, y, device, channels_last)
                y_hat = net(X)
                total = None
                if loss is not None:
                    l = loss(y_hat, y)
                    if i == 0:
                        checks.loss_shape(l, y_hat, y)
                    l = l.double()
                    total = l.sum() if l.ndim else l * len(y)
                meter.add(y_hat, y, total)
    finally:
        set_mode(net, was_training)
    if meter.n == 0:
        raise EmptyPassError(f"{name} is empty: it yielded no examples")
    return meter


def evaluate(
    net: Callable[[torch.Tensor], torch.Tensor],
    data_iter: Iterable[Batch],
    loss: LossFn | None,
    device: torch.device,
    name: str = "data_iter",
) -> tuple[float | None, float | None]:
    """Mean loss (when ``loss`` is given) and accuracy (for classification) over a data set."""
    meter = measure(net, data_iter, loss, device, name=name)
    return (meter.mean_loss() if loss is not None else None), meter.accuracy()


def net_device(net: Callable[..., Any], device: str | torch.device | None) -> torch.device:
    """``device`` when given, else the device ``net``'s parameters are on (the CPU for a
    function). A set ``D2LCORE_DEVICE`` is checked either way, so that a typo in it raises;
    it applies to :func:`d2lcore.device`, which a notebook passes as ``device=``."""
    if device is not None:
        return config.device(device)
    config.env_device()
    if isinstance(net, nn.Module):
        p = next(net.parameters(), None)
        if p is not None:
            return p.device
    return torch.device("cpu")


def evaluate_accuracy(
    net: Callable[[torch.Tensor], torch.Tensor],
    data_iter: Iterable[Batch],
    device: str | torch.device | None = None,
) -> float:
    """The accuracy of ``net`` on a data set (§3.6), computed under ``torch.inference_mode``
    with the model in evaluation mode (dropout off, batch-norm running statistics)."""
    checks.net(net)
    checks.loader("data_iter", data_iter)
    _, acc = evaluate(net, data_iter, None, net_device(net, device))
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
    checks.net(net)
    checks.loader("data_iter", data_iter)
    checks.loss(loss)
    mean_loss, _ = evaluate(net, data_iter, loss, net_device(net, device))
    assert mean_loss is not None
    return mean_loss
