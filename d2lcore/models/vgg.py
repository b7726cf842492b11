"""VGG (§7.2; Simonyan & Zisserman 2014): repeated blocks of padded 3×3 convs and ReLU, each
block ended by a 2×2 max-pool, built from a config table; then AlexNet's classifier head."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .. import validate
from .scaffold import ImageClassifier, classifier_head, init_weights, scale

__all__ = ["VGG_CONFIGS", "vgg_block", "VGG", "vgg11"]

#: The paper's configurations as (number of convs, output channels) per block (§7.2).
VGG_CONFIGS: dict[str, tuple[tuple[int, int], ...]] = {
    "vgg11": ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)),
    "vgg13": ((2, 64), (2, 128), (2, 256), (2, 512), (2, 512)),
    "vgg16": ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512)),
    "vgg19": ((2, 64), (2, 128), (4, 256), (4, 512), (4, 512)),
}


def vgg_block(num_convs: int, in_channels: int, out_channels: int, *, batch_norm: bool = False) -> nn.Sequential:
    """``num_convs`` 3×3 convs with padding 1 (the resolution is kept) and ReLU, then a 2×2
    stride-2 max-pool that halves the height and width (§7.2). ``batch_norm`` adds BN after
    each conv (not in the book's VGG)."""
    validate.positive_int("num_convs", num_convs)
    validate.positive_int("in_channels", in_channels)
    validate.positive_int("out_channels", out_channels)
    validate.boolean("batch_norm", batch_norm)
    layers: list[nn.Module] = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(nn.ReLU(inplace=True))
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


class VGG(ImageClassifier):
    """A VGG network from a config table ``arch`` of ``(num_convs, out_channels)`` blocks,
    then two hidden FC layers with dropout and the output layer (§7.2). The book's model is
    ``VGG(VGG_CONFIGS["vgg11"])`` at ``resolution=224``: 8 convs + 3 FC layers.

    ``width`` scales the conv channels, ``hidden`` the FC layers; the FC input size follows
    from ``resolution`` (each block halves it, so 5 blocks need ≥ 32 pixels).
    """

    fixed_resolution = True

    def __init__(self, arch: Sequence[tuple[int, int]] = VGG_CONFIGS["vgg11"], num_classes: int = 10,
                 in_channels: int = 1, *, resolution: int = 224, width: float = 1.0,
                 hidden: int = 4096, dropout: float = 0.5, batch_norm: bool = False) -> None:  # fmt: skip
        super().__init__(num_classes, in_channels, width, hidden=hidden, dropout=dropout)
        if isinstance(arch, (str, bytes)) or not isinstance(arch, Sequence):
            raise TypeError(
                f"arch must be a list of (num_convs, out_channels) blocks such as "
                f"VGG_CONFIGS['vgg11'], got {arch!r} ({type(arch).__name__})"
            )
        if not arch:
            raise ValueError("arch must list at least one (num_convs, out_channels) block, got none")
        for i, block in enumerate(arch):
            if isinstance(block, (str, bytes)) or not isinstance(block, Sequence) or len(block) != 2:
                raise ValueError(
                    f"arch[{i}] must be a pair (num_convs, out_channels) such as (2, 128), "
                    f"got {block!r}"
                )
            validate.positive_int(f"arch[{i}] num_convs", block[0])
            validate.positive_int(f"arch[{i}] out_channels", block[1])
        blocks, c_in = [], in_channels
        for num_convs, out_channels in arch:
            c_out = scale(out_channels, self.width)
            blocks.append(vgg_block(num_convs, c_in, c_out, batch_norm=batch_norm))
            c_in = c_out
        self.features = nn.Sequential(*blocks)
        h, w = self.setup(("features",), resolution)
        self.classifier = classifier_head(c_in * h * w, hidden, num_classes, dropout)
        self.arch = tuple(tuple(b) for b in arch)
        init_weights(self)

    def forward_unchecked(self, X: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(X))


def vgg11(**kwargs: object) -> VGG:
    """The book's VGG-11 (§7.2); keyword arguments go to :class:`VGG`."""
    return VGG(VGG_CONFIGS["vgg11"], **kwargs)  # type: ignore[arg-type]
