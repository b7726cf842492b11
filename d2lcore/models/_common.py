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


#: The largest ``resolution`` a model is built for (the book's largest is 224): building runs
#: one image through the convolutions, and 10⁶×10⁶ would ask for terabytes.
MAX_RESOLUTION = 1024


def check_args(
    num_classes: object,
    width: object,
    *,
    in_channels: object = 1,
    small_stem: object = False,
    hidden: object = None,
    dropout: object = None,
) -> float:
    """The checks every chapter-7 constructor makes, in one order: ``num_classes`` and
    ``in_channels`` positive integers, ``small_stem`` a bool, ``hidden`` (when the model has it)
    a positive integer, ``dropout`` (when it has it) a probability below 1; returns the
    checked ``width``."""
    validate.positive_int("num_classes", num_classes)
    validate.positive_int("in_channels", in_channels)
    validate.boolean("small_stem", small_stem)
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
    if resolution > MAX_RESOLUTION:
        raise ValueError(
            f"resolution must be at most {MAX_RESOLUTION} (the book's largest input is 224), "
            f"got {resolution}"
        )
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


def check_images(model: str, X: object, in_channels: int) -> None:
    """What a model's ``forward`` checks before it runs: a floating-point (batch, C, H, W)
    tensor with the model's channels. Attribute reads only (no pass over the data, no device
    synchronisation), so it costs a microsecond a batch."""
    validate.floating("X", X)
    assert isinstance(X, torch.Tensor)
    if X.ndim != 4 or X.shape[1] != in_channels:
        hint = ""
        if X.ndim == 3:
            hint = "; add the channel dimension with X.unsqueeze(1)"
        elif X.ndim == 4:
            hint = f"; build the model with in_channels={X.shape[1]}, or convert the images"
        raise ValueError(
            f"{model} takes images of shape (batch, {in_channels}, height, width), got "
            f"{tuple(X.shape)}{hint}"
        )


def explain_failure(
    model: nn.Module, X: torch.Tensor, err: Exception, resolution: int | None, fixed: bool
) -> ValueError | None:
    """A clear ``ValueError`` for a forward pass that PyTorch refused because of the images'
    size, or ``None`` when ``err`` is something else. Called only once a forward has failed,
    so that the happy path pays nothing.

    ``fixed``: the model's fully-connected layers need exactly ``resolution``² images; else
    (global average pooling) any size its strides and pools do not shrink below 1×1 works."""
    name = type(model).__name__
    msg = str(err)
    hw = tuple(X.shape[-2:])
    if "Expected more than 1 value per channel when training" in msg:
        return ValueError(
            f"{name} in training mode cannot batch-normalise a batch of {X.shape[0]} image(s) of "
            f"{hw[0]}×{hw[1]}: a layer is left with one value per channel. Use a batch of at "
            f"least 2, or call model.eval() to predict (batch norm then uses its running "
            f"statistics)"
        )
    if resolution is None:
        return None
    if fixed and hw != (resolution, resolution):
        return ValueError(
            f"{name}(resolution={resolution}) takes {resolution}×{resolution} images, got "
            f"{tuple(X.shape)}; build it with resolution={hw[0]} (square images) or resize the "
            f"images, e.g. d2l.load_fashion_mnist(batch_size, resize={resolution})"
        )
    size_words = ("too small", "can't be greater", "Output size", "non-positive", "size is too")
    if any(w in msg for w in size_words):
        return ValueError(
            f"{name} cannot take images of {hw[0]}×{hw[1]}: its strides and pools shrink them "
            f"below 1×1 (it was built for resolution={resolution}); use larger images"
            + (" or build it with small_stem=True" if not getattr(model, "small_stem", True) else "")
        )
    return None
