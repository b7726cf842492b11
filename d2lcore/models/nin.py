"""Network in Network (§7.3; Lin et al. 2013): NiN blocks (a conv followed by two 1×1 convs,
i.e. a per-pixel MLP), max-pools between them, and global average pooling instead of any
fully-connected layer."""

from __future__ import annotations

import torch
from torch import nn

from .. import validate
from .scaffold import SMALL_STEM, ImageClassifier, init_weights, scale

__all__ = ["NIN_CONFIG", "nin_block", "NiN"]

#: The book's NiN (§7.3), torchvision-style: ``(out_channels, kernel, stride, padding)`` is a
#: NiN block, ``"M"`` a 3×3 stride-2 max-pool, ``"D"`` dropout; ``None`` channels are one per
#: class (the last block's output is averaged into the class scores).
NIN_CONFIG: tuple[tuple[int | None, int, int, int] | str, ...] = (
    (96, 11, 4, 0), "M",
    (256, 5, 1, 2), "M",
    (384, 3, 1, 1), "M", "D",
    (None, 3, 1, 1),
)  # fmt: skip


def nin_block(in_channels: int, out_channels: int, kernel_size: int, stride: int, padding: int) -> nn.Sequential:
    """A ``kernel_size`` conv and two 1×1 convs, each followed by ReLU (§7.3): the 1×1 convs act
    as a fully-connected layer applied at every pixel."""
    for name, v in (("in_channels", in_channels), ("out_channels", out_channels),
                    ("kernel_size", kernel_size), ("stride", stride)):  # fmt: skip
        validate.positive_int(name, v)
    validate.non_negative_int("padding", padding)
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, kernel_size=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, kernel_size=1),
        nn.ReLU(inplace=True),
    )


class NiN(ImageClassifier):
    """NiN as in the book (§7.3): NiN blocks of 96, 256, 384 channels with 3×3 stride-2
    max-pools between them, dropout, a last NiN block with one channel per class, and global
    average pooling (no FC layer).

    ``width`` scales the hidden channels (the last block keeps ``num_classes``);
    ``small_stem=True`` uses a 3×3 stride-1 first conv instead of 11×11 stride 4, for 28×28
    images. ``resolution`` is only checked (the pooled output works at any size).
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, *, resolution: int = 224,
                 width: float = 1.0, dropout: float = 0.5, small_stem: bool = False) -> None:  # fmt: skip
        super().__init__(num_classes, in_channels, width, small_stem=small_stem, dropout=dropout)
        layers: list[nn.Module] = []
        c_in = in_channels
        for i, item in enumerate(NIN_CONFIG):
            if item == "M":
                layers.append(nn.MaxPool2d(kernel_size=3, stride=2))
            elif item == "D":
                layers.append(nn.Dropout(dropout))
            else:
                c, k, stride, padding = item
                if i == 0 and small_stem:
                    k, stride, padding = SMALL_STEM
                c_out = num_classes if c is None else scale(c, self.width)
                layers.append(nin_block(c_in, c_out, kernel_size=k, stride=stride, padding=padding))
                c_in = c_out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        self.setup(("features",), resolution)
        init_weights(self)

    def forward_unchecked(self, X: torch.Tensor) -> torch.Tensor:
        return self.flatten(self.pool(self.features(X)))
