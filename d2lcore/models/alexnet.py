"""AlexNet (§7.1; Krizhevsky et al. 2012): five conv layers, two hidden fully-connected layers
with dropout, and the output layer — the book's single-GPU, one-channel version."""

from __future__ import annotations

import torch
from torch import nn

from ._common import check_args, check_images, explain_failure, feature_shape, init_weights, scale

__all__ = ["AlexNet"]


class AlexNet(nn.Module):
    """AlexNet as in the book (§7.1): at ``width=1`` and ``resolution=224`` it has 96, 256,
    384, 384 and 256 channels, an 11×11 stride-4 first conv and 4096-unit hidden layers.

    ``width`` scales every conv's channels, ``hidden`` the two FC layers; the FC input size
    follows from ``resolution``. ``small_stem=True`` replaces the 11×11 stride-4 conv by a 3×3
    stride-1 conv, so that 28×28 images keep enough resolution for the three max-pools.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        *,
        resolution: int = 224,
        width: float = 1.0,
        hidden: int = 4096,
        dropout: float = 0.5,
        small_stem: bool = False,
    ) -> None:
        super().__init__()
        w = check_args(num_classes, width, in_channels=in_channels, small_stem=small_stem,
                       hidden=hidden, dropout=dropout)  # fmt: skip
        c1, c2, c3, c4, c5 = (scale(c, w) for c in (96, 256, 384, 384, 256))
        stem = (3, 1, 1) if small_stem else (11, 4, 1)  # kernel, stride, padding
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, kernel_size=stem[0], stride=stem[1], padding=stem[2]),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(c1, c2, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(c2, c3, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        c, h, w_ = feature_shape(self.features, in_channels, resolution, "AlexNet")
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c * h * w_, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )
        self.in_channels, self.resolution, self.small_stem = in_channels, resolution, small_stem
        init_weights(self)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_images("AlexNet", X, self.in_channels)
        try:
            return self.classifier(self.features(X))
        except (RuntimeError, ValueError) as err:
            clear = explain_failure(self, X, err, self.resolution, fixed=True)
            if clear is None:
                raise
            raise clear from None
