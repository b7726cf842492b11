"""AlexNet (§7.1; Krizhevsky et al. 2012): five conv layers, two hidden fully-connected layers
with dropout, and the output layer — the book's single-GPU, one-channel version."""

from __future__ import annotations

import torch
from torch import nn

from .scaffold import (
    SMALL_STEM,
    ImageClassifier,
    classifier_head,
    conv_stack,
    init_weights,
)

__all__ = ["ALEXNET_CONFIG", "AlexNet"]

#: The book's feature extractor, torchvision-style: ``(out_channels, kernel, stride, padding)``
#: is a conv followed by ReLU, ``"M"`` a 3×3 stride-2 max-pool (§7.1).
ALEXNET_CONFIG: tuple[tuple[int, int, int, int] | str, ...] = (
    (96, 11, 4, 1), "M",
    (256, 5, 1, 2), "M",
    (384, 3, 1, 1), (384, 3, 1, 1), (256, 3, 1, 1), "M",
)  # fmt: skip


class AlexNet(ImageClassifier):
    """AlexNet as in the book (§7.1): at ``width=1`` and ``resolution=224`` it has 96, 256,
    384, 384 and 256 channels, an 11×11 stride-4 first conv and 4096-unit hidden layers.

    ``width`` scales every conv's channels, ``hidden`` the two FC layers; the FC input size
    follows from ``resolution``. ``small_stem=True`` replaces the 11×11 stride-4 conv by a 3×3
    stride-1 conv, so that 28×28 images keep enough resolution for the three max-pools.
    """

    fixed_resolution = True

    def __init__(self, num_classes: int = 10, in_channels: int = 1, *, resolution: int = 224,
                 width: float = 1.0, hidden: int = 4096, dropout: float = 0.5,
                 small_stem: bool = False) -> None:  # fmt: skip
        super().__init__(num_classes, in_channels, width, small_stem=small_stem, hidden=hidden,
                         dropout=dropout)  # fmt: skip
        stem = SMALL_STEM if small_stem else None
        self.features = nn.Sequential(*conv_stack(ALEXNET_CONFIG, in_channels, self.width, stem))
        h, w = self.setup(("features",), resolution)
        c = [m for m in self.features if isinstance(m, nn.Conv2d)][-1].out_channels
        self.classifier = classifier_head(c * h * w, hidden, num_classes, dropout)
        init_weights(self)

    def forward_unchecked(self, X: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(X))
