"""GoogLeNet (§7.4; Szegedy et al. 2015): Inception blocks of four parallel paths concatenated
along the channels, nine of them stacked in five stages, then global average pooling."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .. import validate
from . import scaffold
from .scaffold import SMALL_STEM, ImageClassifier, init_weights, scale

__all__ = ["Inception", "GoogLeNet", "INCEPTION_CONFIGS", "GOOGLENET_STAGES"]

#: The nine Inception blocks of the book (§7.4) as (c1, (c2a, c2b), (c3a, c3b), c4), in stage
#: order: two in stage 3, five in stage 4, two in stage 5.
INCEPTION_CONFIGS: tuple[tuple[int, tuple[int, int], tuple[int, int], int], ...] = (
    (64, (96, 128), (16, 32), 32),
    (128, (128, 192), (32, 96), 64),
    (192, (96, 208), (16, 48), 64),
    (160, (112, 224), (24, 64), 64),
    (128, (128, 256), (24, 64), 64),
    (112, (144, 288), (32, 64), 64),
    (256, (160, 320), (32, 128), 128),
    (256, (160, 320), (32, 128), 128),
    (384, (192, 384), (48, 128), 128),
)
#: How many of :data:`INCEPTION_CONFIGS` each of the stages b3, b4 and b5 stacks.
GOOGLENET_STAGES = (2, 5, 2)


class Inception(nn.Module):
    """The Inception block (§7.4): four parallel paths on the same input — a 1×1 conv; a 1×1
    then a 3×3 conv; a 1×1 then a 5×5 conv; a 3×3 max-pool then a 1×1 conv — each with ReLU,
    padded so the height and width are kept, concatenated along the channels
    (``c1 + c2[1] + c3[1] + c4`` output channels)."""

    def __init__(self, in_channels: int, c1: int, c2: Sequence[int], c3: Sequence[int], c4: int) -> None:
        super().__init__()
        for name, pair in (("c2", c2), ("c3", c3)):
            if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise TypeError(
                    f"{name} must be a pair (reduce_channels, out_channels) such as (96, 128): "
                    f"a 1×1 conv then a {'3×3' if name == 'c2' else '5×5'} conv, got {pair!r}"
                )
        for name, v in (("in_channels", in_channels), ("c1", c1), ("c2[0]", c2[0]), ("c2[1]", c2[1]),
                        ("c3[0]", c3[0]), ("c3[1]", c3[1]), ("c4", c4)):  # fmt: skip
            validate.positive_int(name, v)
        relu = lambda: nn.ReLU(inplace=True)  # noqa: E731
        self.branch1 = nn.Sequential(nn.Conv2d(in_channels, c1, kernel_size=1), relu())
        self.branch2 = nn.Sequential(
            nn.Conv2d(in_channels, c2[0], kernel_size=1), relu(),
            nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1), relu(),
        )  # fmt: skip
        self.branch3 = nn.Sequential(
            nn.Conv2d(in_channels, c3[0], kernel_size=1), relu(),
            nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2), relu(),
        )  # fmt: skip
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1),
            nn.Conv2d(in_channels, c4, kernel_size=1), relu(),
        )  # fmt: skip
        self.out_channels = c1 + c2[1] + c3[1] + c4

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(X), self.branch2(X), self.branch3(X), self.branch4(X)], dim=1)

    def spatial_size(self, size: scaffold.Size, visit: object = None) -> scaffold.Size:
        """The output height and width (see :func:`~d2lcore.models.scaffold.spatial_size`):
        the four paths run side by side, so the smallest of them."""
        sizes = [scaffold.spatial_size(b, size, visit) for b in (self.branch1, self.branch2, self.branch3, self.branch4)]  # type: ignore[arg-type]
        return min(s[0] for s in sizes), min(s[1] for s in sizes)


class GoogLeNet(ImageClassifier):
    """GoogLeNet as in the book (§7.4): stages ``b1``–``b5`` (a 7×7 stride-2 conv; a 1×1 and a
    3×3 conv; 2, 5 and 2 Inception blocks), each of b1–b4 ended by a 3×3 stride-2 max-pool,
    global average pooling and one FC layer. The book trains it on 96×96 images.

    ``width`` scales every channel count; ``small_stem=True`` uses a 3×3 stride-1 first conv
    (its max-pool kept), so a 28×28 image enters ``b2`` at 14×14. ``resolution`` is only
    checked.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, *, resolution: int = 96,
                 width: float = 1.0, small_stem: bool = False) -> None:  # fmt: skip
        super().__init__(num_classes, in_channels, width, small_stem=small_stem)
        s = lambda c: scale(c, self.width)  # noqa: E731
        pool = lambda: nn.MaxPool2d(kernel_size=3, stride=2, padding=1)  # noqa: E731
        stem = SMALL_STEM if small_stem else (7, 2, 3)  # kernel, stride, padding
        self.b1 = nn.Sequential(
            nn.Conv2d(in_channels, s(64), kernel_size=stem[0], stride=stem[1], padding=stem[2]),
            nn.ReLU(inplace=True), pool(),
        )  # fmt: skip
        self.b2 = nn.Sequential(
            nn.Conv2d(s(64), s(64), kernel_size=1), nn.ReLU(inplace=True),
            nn.Conv2d(s(64), s(192), kernel_size=3, padding=1), nn.ReLU(inplace=True), pool(),
        )  # fmt: skip
        stages: list[nn.Sequential] = []
        c_in, i = s(192), 0
        for n in GOOGLENET_STAGES:
            blocks: list[nn.Module] = []
            for c1, c2, c3, c4 in INCEPTION_CONFIGS[i : i + n]:
                block = Inception(c_in, s(c1), (s(c2[0]), s(c2[1])), (s(c3[0]), s(c3[1])), s(c4))
                blocks.append(block)
                c_in = block.out_channels
            i += n
            stages.append(nn.Sequential(*blocks))
        self.b3 = nn.Sequential(*stages[0], pool())
        self.b4 = nn.Sequential(*stages[1], pool())
        self.b5 = nn.Sequential(*stages[2], nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
        self.fc = nn.Linear(c_in, num_classes)
        self.setup(("b1", "b2", "b3", "b4", "b5"), resolution)
        init_weights(self)

    def forward_unchecked(self, X: torch.Tensor) -> torch.Tensor:
        return self.fc(self.b5(self.b4(self.b3(self.b2(self.b1(X))))))
