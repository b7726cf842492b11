"""Network in Network (§7.3; Lin et al. 2013): NiN blocks (a conv followed by two 1×1 convs,
i.e. a per-pixel MLP), max-pools between them, and global average pooling instead of any
fully-connected layer."""

from __future__ import annotations

import torch
from torch import nn

from .. import validate
from ._common import check_args, check_images, explain_failure, feature_shape, init_weights, scale

__all__ = ["nin_block", "NiN"]


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


class NiN(nn.Module):
    """NiN as in the book (§7.3): NiN blocks of 96, 256, 384 channels with 3×3 stride-2
    max-pools between them, dropout, a last NiN block with one channel per class, and global
    average pooling (no FC layer).

    ``width`` scales the hidden channels (the last block keeps ``num_classes``);
    ``small_stem=True`` uses a 3×3 stride-1 first conv instead of 11×11 stride 4, for 28×28
    images. ``resolution`` is only checked (the pooled output works at any size).
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        *,
        resolution: int = 224,
        width: float = 1.0,
        dropout: float = 0.5,
        small_stem: bool = False,
    ) -> None:
        super().__init__()
        w = check_args(num_classes, width, in_channels=in_channels, small_stem=small_stem,
                       dropout=dropout)  # fmt: skip
        c1, c2, c3 = (scale(c, w) for c in (96, 256, 384))
        stem = (3, 1, 1) if small_stem else (11, 4, 0)
        self.features = nn.Sequential(
            nin_block(in_channels, c1, *stem),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nin_block(c1, c2, kernel_size=5, stride=1, padding=2),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nin_block(c2, c3, kernel_size=3, stride=1, padding=1),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Dropout(dropout),
            nin_block(c3, num_classes, kernel_size=3, stride=1, padding=1),
        )
        feature_shape(self.features, in_channels, resolution, "NiN")
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        self.in_channels, self.resolution, self.small_stem = in_channels, resolution, small_stem
        init_weights(self)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_images("NiN", X, self.in_channels)
        try:
            return self.flatten(self.pool(self.features(X)))
        except (RuntimeError, ValueError) as err:
            clear = explain_failure(self, X, err, self.resolution, fixed=False)
            if clear is None:
                raise
            raise clear from None
