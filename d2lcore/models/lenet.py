"""LeNet-5 (book §6.6): a convolutional encoder (two conv + pooling stages) and a dense block
of three fully connected layers, for 28×28 single-channel images.

The defaults are the book's model: sigmoid activations, average pooling, Xavier-uniform
weights. ``activation="relu", pool="max"`` gives the modern variant with the same shapes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .. import validate
from .pooling import AvgPool2d
from .scaffold import spatial_size

__all__ = ["LENET_CONFIG", "LeNet"]

#: The book's LeNet-5 (§6.6), torchvision-style: the input side, each conv stage as
#: ``(out_channels, kernel, padding)`` (followed by the activation and a 2×2 stride-2 pool),
#: then the hidden fully-connected widths (each followed by the activation).
LENET_CONFIG: dict[str, Any] = {
    "resolution": 28,
    "convs": ((6, 5, 2), (16, 5, 0)),
    "hidden": (120, 84),
}

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
        layers: list[tuple[str, nn.Module]] = []
        c_in = 1
        for i, (c, k, p) in enumerate(LENET_CONFIG["convs"], start=1):
            layers += [(f"conv{i}", nn.Conv2d(c_in, c, kernel_size=k, padding=p)), (f"act{i}", act()),
                       (f"pool{i}", Pool(kernel_size=2, stride=2))]  # fmt: skip
            c_in = c
        side = LENET_CONFIG["resolution"]
        h, w = spatial_size(nn.Sequential(OrderedDict(layers)), (side, side))
        layers.append(("flatten", nn.Flatten()))
        d_in = c_in * h * w
        for i, d in enumerate((*LENET_CONFIG["hidden"], num_classes), start=1):
            layers.append((f"fc{i}", nn.Linear(d_in, d)))
            if i <= len(LENET_CONFIG["hidden"]):
                layers.append((f"act{len(LENET_CONFIG['convs']) + i}", act()))
            d_in = d
        super().__init__(OrderedDict(layers))
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
        names = list(self._modules)
        if "flatten" not in names or not isinstance(self.fc1, nn.Linear):
            return None
        body = nn.Sequential(*list(self._modules.values())[: names.index("flatten")])
        channels = [m.weight.shape[0] for m in body.modules() if getattr(m, "weight", None) is not None
                    and m.weight.ndim == 4]  # fmt: skip
        for side in range(1, 513):
            h, w = spatial_size(body, (side, side))
            if h >= 1 and channels and channels[-1] * h * w == self.fc1.in_features:
                return side
        return None
