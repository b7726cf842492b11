"""Helpers shared by the chapter-7 architectures: width scaling, the small-input stem check,
and the one initialisation loop each model calls at the end of its ``__init__``."""

from __future__ import annotations

import torch
from torch import nn

from .. import validate


def scale(channels: int, width: float) -> int:
    """``channels`` times the width multiplier, rounded, at least 1."""
    return max(1, int(round(channels * width)))


def check_width(width: object) -> float:
    """A width multiplier is a finite number > 0 (1.0 is the book's model)."""
    return validate.positive_float("width", width)


def check_args(
    num_classes: object, width: object, *, hidden: object = None, dropout: object = None
) -> float:
    """The checks every chapter-7 constructor makes, in one order: ``num_classes`` a positive
    integer, ``hidden`` (when the model has it) a positive integer, ``dropout`` (when it has
    it) a probability below 1; returns the checked ``width``."""
    validate.positive_int("num_classes", num_classes)
    if hidden is not None:
        validate.positive_int("hidden", hidden)
    if dropout is not None:
        validate.probability("dropout", dropout, allow_one=False)
    return check_width(width)


def feature_shape(
    features: nn.Module, in_channels: int, resolution: int, model: str
) -> tuple[int, ...]:
    """The shape (C, H, W) that ``features`` gives for one ``resolution``² image; a
    ``ValueError`` names the model when the image is too small for its pools and strides."""
    validate.positive_int("in_channels", in_channels)
    validate.positive_int("resolution", resolution)
    X = torch.zeros(1, in_channels, resolution, resolution)
    was_training = features.training
    features.eval()  # a batch of one: no batch-norm statistics, and none updated
    try:
        with torch.no_grad():
            return tuple(features(X).shape[1:])
    except (RuntimeError, ValueError):
        raise ValueError(
            f"resolution={resolution} is too small for {model}: its strides and pools shrink the "
            f"image below 1×1; use a larger resolution or small_stem=True"
        ) from None
    finally:
        features.train(was_training)


def init_weights(model: nn.Module) -> None:
    """Initialise every layer once: Kaiming-normal convs and linears (He et al. 2015, for ReLU
    networks) with zero biases; batch-norm scale 1 and shift 0."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
