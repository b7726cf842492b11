"""LeNet-5 (book §6.6): a convolutional encoder (two conv + pooling stages) and a dense block
of three fully connected layers, for 28×28 single-channel images.

The defaults are the book's model: sigmoid activations, average pooling, Xavier-uniform
weights. ``activation="relu", pool="max"`` gives the modern variant with the same shapes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import torch
from torch import nn

from .. import validate
from .pooling import AvgPool2d

__all__ = ["LeNet"]

ModuleFactory = Callable[[], nn.Module]
_ACTIVATIONS: dict[str, ModuleFactory] = {
    "sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh,
}  # fmt: skip
# AvgPool2d: nn.AvgPool2d with a faster CPU path for the 2×2 window (pooling.py)
_POOLS = {"avg": AvgPool2d, "max": nn.MaxPool2d}


def _activation(activation: str | ModuleFactory) -> ModuleFactory:
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(_ACTIVATIONS)} or a module class, "
                f"got {activation!r}"
            )
        return _ACTIVATIONS[activation]
    if isinstance(activation, nn.Module):  # an instance: calling it would run its forward
        raise TypeError(
            f"activation must be a name or a module class such as nn.ReLU, got the module "
            f"instance {activation!r}; pass the class (nn.ReLU, without parentheses)"
        )
    if not callable(activation):
        raise TypeError(
            f"activation must be a name or a module class, got {type(activation).__name__}"
        )
    return activation


class LeNet(nn.Sequential):
    """LeNet-5 as in the book (§6.6): conv(6, 5×5, pad 2) → act → pool(2) → conv(16, 5×5)
    → act → pool(2) → flatten → fc(400→120) → act → fc(120→84) → act → fc(84→classes).

    ``activation``: "sigmoid" (book), "relu", "tanh" or a module class; ``pool``: "avg" (book)
    or "max". The average pooling is :class:`d2lcore.models.pooling.AvgPool2d`, an
    ``nn.AvgPool2d`` with a faster CPU path. Weights are Xavier-uniform (as the book's
    ``train_ch6`` does), biases keep PyTorch's default; 61,706 parameters for 10 classes.
    """

    def __init__(
        self,
        activation: str | ModuleFactory = "sigmoid",
        pool: str = "avg",
        num_classes: int = 10,
    ) -> None:
        act = _activation(activation)
        if not isinstance(pool, str) or pool not in _POOLS:
            raise ValueError(f"pool must be one of {sorted(_POOLS)}, got {pool!r}")
        validate.positive_int("num_classes", num_classes)
        Pool = _POOLS[pool]
        super().__init__(
            OrderedDict(
                [
                    ("conv1", nn.Conv2d(1, 6, kernel_size=5, padding=2)),
                    ("act1", act()),
                    ("pool1", Pool(kernel_size=2, stride=2)),
                    ("conv2", nn.Conv2d(6, 16, kernel_size=5)),
                    ("act2", act()),
                    ("pool2", Pool(kernel_size=2, stride=2)),
                    ("flatten", nn.Flatten()),
                    ("fc1", nn.Linear(16 * 5 * 5, 120)),
                    ("act3", act()),
                    ("fc2", nn.Linear(120, 84)),
                    ("act4", act()),
                    ("fc3", nn.Linear(84, num_classes)),
                ]
            )
        )
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)

    def __getitem__(self, idx: int | slice) -> nn.Module:
        """A layer (``net[0]``) or, for a slice (``net[:6]``, the convolutional encoder), a
        plain ``nn.Sequential`` of those layers with their names (nn.Sequential would try to
        build a LeNet from them)."""
        if isinstance(idx, slice):
            return nn.Sequential(OrderedDict(list(self._modules.items())[idx]))
        return super().__getitem__(idx)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Classify a batch of images of shape (batch, channels, height, width).

        The input is checked by its attributes only (type, dtype, rank, channels); an image
        size the layers cannot take is explained once PyTorch has refused it, so that the
        happy path pays nothing."""
        validate.floating("X", X)
        channels = self.conv1.weight.shape[1]   # nn.Conv2d or the from-scratch Conv2D
        if X.ndim != 4 or X.shape[1] != channels:
            raise ValueError(
                f"LeNet takes images of shape (batch, {channels}, 28, 28), got {tuple(X.shape)}; "
                "add the channel dimension with X.unsqueeze(1), or convert colour images to "
                "one channel"
            )
        try:
            return super().forward(X)
        except RuntimeError:
            side = self._input_side()
            if side is None or tuple(X.shape[-2:]) == (side, side):
                raise
            raise ValueError(
                f"LeNet takes {side}×{side} images (its fc1 expects {self.fc1.in_features} "
                f"features), got {tuple(X.shape)}; resize the images to {side}×{side}, e.g. "
                f"d2l.load_fashion_mnist(batch_size, resize={side})"
            ) from None

    def _input_side(self) -> int | None:
        """The square image side whose features fill ``fc1`` exactly, found by walking the
        layers' kernel, stride and padding (so a changed ``conv1`` is followed), or ``None``."""
        try:
            return self._walk_sides()
        except (AttributeError, TypeError, ValueError, IndexError):  # layers changed beyond this
            return None

    def _walk_sides(self) -> int | None:
        layers = list(self._modules.values())
        if "flatten" not in self._modules or not isinstance(self.fc1, nn.Linear):
            return None
        body = layers[: list(self._modules).index("flatten")]
        for side in range(1, 513):
            h, c = side, self.conv1.weight.shape[1]
            for layer in body:
                k = getattr(layer, "kernel_size", None)
                if k is None:
                    continue
                k, s, p = (v if isinstance(v, int) else v[0] for v in
                           (k, getattr(layer, "stride", 1) or k, getattr(layer, "padding", 0)))  # fmt: skip
                h = (h + 2 * p - k) // s + 1
                weight = getattr(layer, "weight", None)
                if weight is not None and weight.ndim == 4:
                    c = weight.shape[0]
                if h < 1:
                    break
            if h >= 1 and c * h * h == self.fc1.in_features:
                return side
        return None
