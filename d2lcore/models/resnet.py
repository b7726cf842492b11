"""ResNet (§7.6; He et al. 2016): residual blocks whose input skips two 3×3 convs and is added
before the last ReLU, and ResNet-18 built from them."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .. import validate
from . import scaffold
from .scaffold import SMALL_STEM, ImageClassifier, init_weights, scale

__all__ = ["RESNET_CONFIGS", "RESNET_CHANNELS", "Residual", "ResNet", "ResNet18"]

#: Residual blocks per stage of the ResNets built from basic (two 3×3 conv) blocks (§7.6).
RESNET_CONFIGS: dict[str, tuple[int, int, int, int]] = {
    "resnet18": (2, 2, 2, 2),
    "resnet34": (3, 4, 6, 3),
}
#: The channels of the four stages at ``width=1``.
RESNET_CHANNELS = (64, 128, 256, 512)


class Residual(nn.Module):
    """The residual block (§7.6): ``Y = ReLU(BN(conv2(ReLU(BN(conv1(X))))) + shortcut(X))``
    with two 3×3 convs of ``num_channels`` channels. ``use_1x1conv`` puts a 1×1 conv (stride
    ``strides``) on the shortcut, needed when the channels or the resolution change."""

    def __init__(self, in_channels: int, num_channels: int, use_1x1conv: bool = False, strides: int = 1) -> None:
        super().__init__()
        validate.positive_int("in_channels", in_channels)
        validate.positive_int("num_channels", num_channels)
        validate.positive_int("strides", strides)
        validate.boolean("use_1x1conv", use_1x1conv)
        if not use_1x1conv and (in_channels != num_channels or strides != 1):
            raise ValueError(
                f"use_1x1conv=False needs in_channels == num_channels and strides == 1 (the "
                f"shortcut adds X unchanged), got in_channels={in_channels}, "
                f"num_channels={num_channels}, strides={strides}; pass use_1x1conv=True"
            )
        self.conv1 = nn.Conv2d(in_channels, num_channels, kernel_size=3, padding=1, stride=strides)
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(num_channels)
        self.conv3 = nn.Conv2d(in_channels, num_channels, kernel_size=1, stride=strides) if use_1x1conv else None

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        shortcut = self.conv3(X) if self.conv3 is not None else X
        return F.relu(Y + shortcut)

    def spatial_size(self, size: scaffold.Size, visit: object = None) -> scaffold.Size:
        """The output height and width (see :func:`~d2lcore.models.scaffold.spatial_size`): the
        two convs and batch norms, side by side with the shortcut."""
        main = scaffold.spatial_size(nn.Sequential(self.conv1, self.bn1, self.conv2, self.bn2), size, visit)  # type: ignore[arg-type]
        if self.conv3 is None:
            return main
        short = scaffold.spatial_size(self.conv3, size, visit)  # type: ignore[arg-type]
        return min(main[0], short[0]), min(main[1], short[1])


def _stage(in_channels: int, num_channels: int, num_residuals: int, first_stage: bool) -> nn.Sequential:
    """``num_residuals`` residual blocks; all but the first stage halve the resolution and
    change the channels in their first block (§7.6's ``resnet_block``)."""
    blocks = []
    for i in range(num_residuals):
        if i == 0 and not first_stage:
            blocks.append(Residual(in_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blocks.append(Residual(num_channels, num_channels))
    return nn.Sequential(*blocks)


class ResNet(ImageClassifier):
    """A ResNet of four stages of residual blocks (64, 128, 256, 512 channels at ``width=1``)
    after a 7×7 stride-2 conv, BN, ReLU and 3×3 max-pool (``b1``), then global average
    pooling and one FC layer (§7.6). ``small_stem=True`` uses a 3×3 stride-1 conv without
    the max-pool, for 28×28 images. ``resolution`` is only checked."""

    def __init__(self, num_residuals: Sequence[int], num_classes: int = 10, in_channels: int = 1, *,
                 resolution: int = 96, width: float = 1.0, small_stem: bool = False) -> None:  # fmt: skip
        super().__init__(num_classes, in_channels, width, small_stem=small_stem)
        if isinstance(num_residuals, (str, bytes)) or not isinstance(num_residuals, Sequence):
            raise TypeError(
                f"num_residuals must give the number of residual blocks of each of the 4 stages, "
                f"e.g. (2, 2, 2, 2) for ResNet-18, got {num_residuals!r} "
                f"({type(num_residuals).__name__})"
            )
        if len(num_residuals) != 4:
            raise ValueError(f"num_residuals must give 4 stages, got {tuple(num_residuals)}")
        for n in num_residuals:
            validate.positive_int("num_residuals", n)
        c = [scale(x, self.width) for x in RESNET_CHANNELS]
        if small_stem:
            k, stride, padding = SMALL_STEM
            self.b1 = nn.Sequential(
                nn.Conv2d(in_channels, c[0], kernel_size=k, stride=stride, padding=padding),
                nn.BatchNorm2d(c[0]), nn.ReLU(inplace=True),
            )  # fmt: skip
        else:
            self.b1 = nn.Sequential(
                nn.Conv2d(in_channels, c[0], kernel_size=7, stride=2, padding=3),
                nn.BatchNorm2d(c[0]), nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            )  # fmt: skip
        self.b2 = _stage(c[0], c[0], num_residuals[0], first_stage=True)
        self.b3 = _stage(c[0], c[1], num_residuals[1], first_stage=False)
        self.b4 = _stage(c[1], c[2], num_residuals[2], first_stage=False)
        self.b5 = _stage(c[2], c[3], num_residuals[3], first_stage=False)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(c[3], num_classes)
        self.setup(("b1", "b2", "b3", "b4", "b5"), resolution)
        init_weights(self)

    def forward_unchecked(self, X: torch.Tensor) -> torch.Tensor:
        Y = self.b5(self.b4(self.b3(self.b2(self.b1(X)))))
        return self.fc(self.flatten(self.pool(Y)))


class ResNet18(ResNet):
    """ResNet-18 (§7.6): 2 residual blocks per stage — 4 × 2 × 2 = 16 convs, the first conv and
    the FC layer make 18 layers. Keyword arguments go to :class:`ResNet`."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, **kwargs: object) -> None:
        super().__init__(RESNET_CONFIGS["resnet18"], num_classes, in_channels, **kwargs)  # type: ignore[arg-type]
