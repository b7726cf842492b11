"""What every chapter-7 architecture shares: width scaling and argument checks, the
Kaiming initialisation each model runs once at the end of its ``__init__``, the classifier
head of AlexNet and VGG, and :class:`ImageClassifier`, the base class that checks the images
before the forward pass.

The smallest image a model takes is computed when the model is built, by walking its layers'
kernel sizes, strides and paddings (:func:`spatial_size`, :func:`min_resolution`), so a
too-small or wrongly-sized image is refused with a clear message before PyTorch runs, and
nothing depends on the wording of PyTorch's own errors.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .. import validate

__all__ = ["ImageClassifier", "classifier_head", "spatial_size", "min_resolution"]

#: The largest ``resolution`` a model is built for (the book's largest is 224): a
#: fully-connected head for 10⁶×10⁶ images would ask for terabytes.
MAX_RESOLUTION = 1024

#: (kernel, stride, padding) of the first conv with ``small_stem=True``: a 3×3 stride-1 conv,
#: so that 28×28 images keep enough resolution for the pools that follow.
SMALL_STEM = (3, 1, 1)

Size = tuple[int, int]


def scale(channels: int, width: float) -> int:
    """``channels`` times the width multiplier, rounded, at least 1."""
    return max(1, int(round(channels * width)))


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
    checked width multiplier (a finite number > 0, 1.0 being the book's model)."""
    validate.positive_int("num_classes", num_classes)
    validate.positive_int("in_channels", in_channels)
    validate.boolean("small_stem", small_stem)
    if hidden is not None:
        validate.positive_int("hidden", hidden)
    if dropout is not None:
        validate.probability("dropout", dropout, allow_one=False)
    return validate.positive_float("width", width)


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


def classifier_head(in_features: int, hidden: int, num_classes: int, dropout: float) -> nn.Sequential:
    """AlexNet's and VGG's classifier (§7.1, §7.2): flatten, then two ``hidden``-unit
    fully-connected layers, each with ReLU and dropout, and the output layer."""
    for name, v in (("in_features", in_features), ("hidden", hidden), ("num_classes", num_classes)):
        validate.positive_int(name, v)
    validate.probability("dropout", dropout, allow_one=False)
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(in_features, hidden),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(hidden, hidden),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(hidden, num_classes),
    )


# --- the shape walk ----------------------------------------------------------------------------


def _pair(v: object) -> Size:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))  # type: ignore[index]


def _window(layer: nn.Module, size: Size) -> Size:
    """The output height and width of a conv or pooling layer (PyTorch's formula, with
    dilation and ``ceil_mode``)."""
    k = _pair(layer.kernel_size)
    s = _pair(getattr(layer, "stride", None) or k)
    p = _pair(getattr(layer, "padding", 0))
    d = _pair(getattr(layer, "dilation", 1))
    pool = hasattr(layer, "ceil_mode")  # a pool: PyTorch's pooling formula, else a conv's
    ceil = pool and bool(layer.ceil_mode)
    out = []
    for i in range(2):
        span = size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1
        if span < 0 and not pool:  # a conv's kernel larger than the padded input
            return (0, 0)
        n = (span + (s[i] - 1 if ceil else 0)) // s[i] + 1  # rounded down, as PyTorch does
        if ceil and (n - 1) * s[i] >= size[i] + p[i]:  # the last window starts in the padding
            n -= 1
        out.append(n)
    return out[0], out[1]


def spatial_size(
    module: nn.Module, size: Size, visit: Callable[[nn.Module, Size], None] | None = None
) -> Size:
    """The (height, width) that ``module`` gives for an input of ``size``, found from the
    layers' kernel sizes, strides and paddings without running them; (0, 0) once a layer has
    nothing left to slide over. ``visit(layer, size)`` is called with each layer's input size.

    Understood: ``nn.Sequential`` (layers in order), convs and pools (anything with a
    ``kernel_size``), adaptive pools, blocks with a ``spatial_size(size, visit)`` method of
    their own (parallel paths, as in Inception and Residual), and layers that keep the size
    (activations, batch norm, dropout, flatten). Any other container raises ``TypeError``:
    its layer order is not known."""
    if min(size) < 1:
        return (0, 0)
    if visit is not None:
        visit(module, size)
    own = getattr(module, "spatial_size", None)
    if callable(own):
        return own(size, visit)
    if isinstance(module, nn.Sequential):
        for layer in module:
            size = spatial_size(layer, size, visit)
            if min(size) < 1:
                return (0, 0)
        return size
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        h, w = _pair(module.output_size) if module.output_size is not None else size
        return (size[0] if h is None else h, size[1] if w is None else w)
    if hasattr(module, "kernel_size"):
        return _window(module, size)
    if next(module.children(), None) is not None:
        raise TypeError(
            f"spatial_size cannot walk a {type(module).__name__}: give it a "
            f"spatial_size(size, visit) method, or build it from nn.Sequential"
        )
    return size


def min_resolution(module: nn.Module, limit: int = MAX_RESOLUTION) -> int | None:
    """The smallest side ``s`` such that an ``s``×``s`` image keeps at least 1×1 through every
    layer of ``module`` (:func:`spatial_size`), or ``None`` when not even ``limit`` does."""
    validate.positive_int("limit", limit)
    if min(spatial_size(module, (limit, limit))) < 1:
        return None
    lo, hi = 1, limit  # sizes only grow with the input: the answer lies in [lo, hi]
    while lo < hi:
        mid = (lo + hi) // 2
        if min(spatial_size(module, (mid, mid))) >= 1:
            hi = mid
        else:
            lo = mid + 1
    return lo


# --- the base class ----------------------------------------------------------------------------


class ImageClassifier(nn.Module):
    """The base of the chapter-7 models. Its ``forward`` checks the images, then runs
    :meth:`forward_unchecked`, the architecture's own pass.

    The checks read attributes only (no pass over the data, no device synchronisation):
    a floating-point (batch, ``in_channels``, H, W) tensor; H×W equal to ``resolution``² when
    the model has a fully-connected head sized for it (``fixed_resolution``), else at least
    ``min_resolution`` on each side; and, in training mode, a batch that batch norm can
    normalise (more than one value per channel at every batch-norm layer).

    A subclass passes its common arguments to ``__init__`` (checked there), builds its layers,
    calls :meth:`setup` with the names of the attributes that form its convolutional part, in
    forward order, and ends with :func:`init_weights`."""

    #: True when fully-connected layers need exactly ``resolution``×``resolution`` images.
    fixed_resolution: bool = False
    in_channels: int
    resolution: int
    min_resolution: int
    spatial: tuple[str, ...]

    def __init__(
        self, num_classes: int, in_channels: int, width: float, *, small_stem: bool | None = None,
        hidden: int | None = None, dropout: float | None = None,
    ) -> None:  # fmt: skip
        """Check the arguments every chapter-7 model shares (:func:`check_args`); the checked
        width multiplier is ``self.width``."""
        super().__init__()
        self.width = check_args(num_classes, width, in_channels=in_channels, hidden=hidden,
                                small_stem=False if small_stem is None else small_stem,
                                dropout=dropout)  # fmt: skip
        self.in_channels = in_channels
        if small_stem is not None:
            self.small_stem = small_stem

    def setup(self, spatial: tuple[str, ...], resolution: int) -> Size:
        """Record the convolutional part (``spatial``, attribute names in forward order); check
        that ``resolution`` is one it can take; return the (H, W) it gives for
        ``resolution``² images. Initialises nothing: call :func:`init_weights` after the head
        is built."""
        name = type(self).__name__
        validate.positive_int("resolution", resolution)
        if resolution > MAX_RESOLUTION:
            raise ValueError(
                f"resolution must be at most {MAX_RESOLUTION} (the book's largest input is 224), "
                f"got {resolution}"
            )
        self.spatial, self.resolution = spatial, resolution
        smallest = min_resolution(self._body(), MAX_RESOLUTION)
        if smallest is None or resolution < smallest:
            need = f"at least {smallest}×{smallest}" if smallest else f"more than {MAX_RESOLUTION}"
            raise ValueError(
                f"resolution={resolution} is too small for {name}: its strides and pools shrink "
                f"the image below 1×1 (it needs {need}); use a larger resolution or small_stem=True"
            )
        self.min_resolution = smallest
        return spatial_size(self._body(), (resolution, resolution))

    def _body(self) -> nn.Sequential:
        """The convolutional part as one (unregistered) Sequential, to walk its shapes."""
        return nn.Sequential(*(getattr(self, n) for n in self.spatial))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Check the images (:meth:`check_images`), then classify them."""
        self.check_images(X)
        return self.forward_unchecked(X)

    def forward_unchecked(self, X: torch.Tensor) -> torch.Tensor:
        """The architecture's forward pass, without the input checks."""
        raise NotImplementedError(f"{type(self).__name__} must define forward_unchecked")

    def check_images(self, X: object) -> None:
        """Raise a clear error for images this model cannot take (see the class docstring)."""
        name = type(self).__name__
        validate.floating("X", X)
        assert isinstance(X, torch.Tensor)
        c = self.in_channels
        if X.ndim != 4 or X.shape[1] != c:
            hint = ""
            if X.ndim == 3:
                hint = "; add the channel dimension with X.unsqueeze(1)"
            elif X.ndim == 4:
                hint = f"; build the model with in_channels={X.shape[1]}, or convert the images"
            raise ValueError(
                f"{name} takes images of shape (batch, {c}, height, width), got {tuple(X.shape)}{hint}"
            )
        h, w = int(X.shape[2]), int(X.shape[3])
        r = self.resolution
        if self.fixed_resolution and (h, w) != (r, r):
            raise ValueError(
                f"{name}(resolution={r}) takes {r}×{r} images, got {tuple(X.shape)}; build it with "
                f"resolution={h} (square images) or resize the images, e.g. "
                f"d2l.load_fashion_mnist(batch_size, resize={r})"
            )
        m = self.min_resolution
        if min(h, w) < m:
            stem = " or build it with small_stem=True" if not getattr(self, "small_stem", True) else ""
            raise ValueError(
                f"{name} cannot take images of {h}×{w}: its strides and pools shrink them below "
                f"1×1 (it was built for resolution={r}); use larger images{stem}; the smallest it "
                f"takes is {m}×{m}"
            )
        if self.training and X.shape[0] == 1:
            self._check_batch_norm(h, w)

    def _check_batch_norm(self, h: int, w: int) -> None:
        """In training mode batch norm needs more than one value per channel: with a batch of
        one, every batch-norm layer must see more than 1×1."""
        sizes: list[int] = []

        def visit(layer: nn.Module, size: Size) -> None:
            if isinstance(layer, nn.modules.batchnorm._BatchNorm):
                sizes.append(size[0] * size[1])

        spatial_size(self._body(), (h, w), visit)
        if sizes and min(sizes) <= 1:
            raise ValueError(
                f"{type(self).__name__} in training mode cannot batch-normalise a batch of 1 "
                f"image(s) of {h}×{w}: a layer is left with one value per channel. Use a batch of "
                f"at least 2, or call model.eval() to predict (batch norm then uses its running "
                f"statistics)"
            )


def conv_stack(
    config: tuple[object, ...], in_channels: int, width: float, stem: tuple[int, int, int] | None = None
) -> list[nn.Module]:
    """Layers from a torchvision-style table: ``(out_channels, kernel, stride, padding)`` is a
    conv (channels scaled by ``width``) followed by ReLU, ``"M"`` a 3×3 stride-2 max-pool.
    ``stem`` replaces the first conv's (kernel, stride, padding)."""
    layers: list[nn.Module] = []
    c_in = in_channels
    for i, item in enumerate(config):
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=3, stride=2))
            continue
        c, k, s, p = item  # type: ignore[misc]
        if i == 0 and stem is not None:
            k, s, p = stem
        c_out = scale(c, width)
        layers += [nn.Conv2d(c_in, c_out, kernel_size=k, stride=s, padding=p), nn.ReLU(inplace=True)]
        c_in = c_out
    return layers

