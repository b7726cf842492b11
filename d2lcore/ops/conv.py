"""Convolution and pooling from scratch (book §6.2–6.5).

Two kinds of code live here. The loop versions (:func:`corr2d`, :func:`corr2d_multi_in`,
:func:`corr2d_multi_in_out`) are the book's, written to be read: one output element per
iteration. :func:`conv2d` and :func:`pool2d` are vectorised: they build every input window at
once with ``Tensor.unfold`` (im2col, a strided view of the padded input) and reduce it with
one matrix product (or one ``max``/``mean``), so they are fast enough to train with and work
with autograd. :class:`Conv2D` is the layer built on :func:`conv2d`.

Shapes follow PyTorch: images are (n, c, h, w) or (c, h, w), kernels (c_o, c_i, k_h, k_w).
``padding`` is the number of rows/columns added on *each* side (PyTorch's convention), so
the book's total padding is p_h = 2·padding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from .. import validate

__all__ = [
    "corr2d",
    "corr2d_multi_in",
    "corr2d_multi_in_out",
    "corr2d_multi_in_out_1x1",
    "conv2d",
    "pool2d",
    "Conv2D",
    "conv_output_shape",
    "receptive_field",
]

IntPair = int | tuple[int, int]


def _pair(name: str, value: object, *, positive: bool) -> tuple[int, int]:
    """``value`` as (h, w): an int is used for both; each must be ≥ 1 (or ≥ 0)."""
    check = validate.positive_int if positive else validate.non_negative_int
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (h, w), got {value!r}")
        return check(f"{name}[0]", value[0]), check(f"{name}[1]", value[1])
    v = check(name, value)
    return v, v


def _check_kernel(fn: str, name: str, K: torch.Tensor) -> None:
    """A kernel with a zero-sized dimension has no weight to apply (``F.conv2d`` raises too)."""
    if K.numel() == 0:
        raise ValueError(
            f"{fn}: {name} is empty (shape {tuple(K.shape)}); a kernel needs at least one "
            f"row, column and channel"
        )


def _check_window(
    fn: str, in_hw: tuple[int, int], k: tuple[int, int], p: tuple[int, int], what: str = "kernel"
) -> None:
    padded = (in_hw[0] + 2 * p[0], in_hw[1] + 2 * p[1])
    if k[0] > padded[0] or k[1] > padded[1]:
        raise ValueError(
            f"{fn}: the {what} {k} is larger than the padded input {padded} "
            f"(input {in_hw}, padding {p} on each side); use a smaller {what} or more padding"
        )


# --- the book's loop versions (§6.2, §6.4) ---------------------------------------------------


def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Two-dimensional cross-correlation, one output element at a time (§6.2):

    Y[i, j] = Σ_a Σ_b K[a, b] · X[i + a, j + b],  Y of shape (h − k_h + 1, w − k_w + 1).
    """
    validate.floating("X", X, ndim=2)
    validate.floating("K", K, ndim=2)
    _check_kernel("corr2d", "K", K)
    h, w = K.shape
    _check_window("corr2d", tuple(X.shape), (h, w), (0, 0))  # type: ignore[arg-type]
    Y = X.new_zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=torch.result_type(X, K))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


def _check_channels(fn: str, X: torch.Tensor, K: torch.Tensor, k_dim: int) -> None:
    if X.shape[0] != K.shape[k_dim]:
        raise ValueError(
            f"{fn}: X has {X.shape[0]} input channels (shape {tuple(X.shape)}) but K has "
            f"{K.shape[k_dim]} (shape {tuple(K.shape)}); they must match"
        )


def corr2d_multi_in(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Cross-correlation over several input channels, summed (§6.4): Σ_c corr2d(X[c], K[c]).

    ``X`` is (c_i, h, w) and ``K`` is (c_i, k_h, k_w); the result is one channel.
    """
    validate.floating("X", X, ndim=3)
    validate.floating("K", K, ndim=3)
    _check_kernel("corr2d_multi_in", "K", K)
    _check_channels("corr2d_multi_in", X, K, 0)
    return sum(corr2d(x, k) for x, k in zip(X, K))  # type: ignore[return-value]


def corr2d_multi_in_out(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Several output channels (§6.4): output channel o is corr2d_multi_in(X, K[o]).

    ``X`` is (c_i, h, w), ``K`` is (c_o, c_i, k_h, k_w); the result is (c_o, h', w').
    """
    validate.floating("X", X, ndim=3)
    validate.floating("K", K, ndim=4)
    _check_kernel("corr2d_multi_in_out", "K", K)
    _check_channels("corr2d_multi_in_out", X, K, 1)
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """A 1×1 convolution is a fully connected layer applied at every pixel (§6.4):
    Y[:, i, j] = K · X[:, i, j], computed as one (c_o, c_i) × (c_i, h·w) matrix product.
    """
    validate.floating("X", X, ndim=3)
    validate.floating("K", K, ndim=4)
    _check_kernel("corr2d_multi_in_out_1x1", "K", K)
    if K.shape[2:] != (1, 1):
        raise ValueError(
            f"corr2d_multi_in_out_1x1: K must be (c_o, c_i, 1, 1), got shape {tuple(K.shape)}"
        )
    _check_channels("corr2d_multi_in_out_1x1", X, K, 1)
    c_i, h, w = X.shape
    Y = K.reshape(K.shape[0], c_i) @ X.reshape(c_i, h * w)
    return Y.reshape(K.shape[0], h, w)


# --- vectorised versions: im2col + one reduction ---------------------------------------------


def _batched(X: torch.Tensor) -> tuple[torch.Tensor, bool]:
    validate.floating("X", X, ndim=(3, 4))
    return (X, False) if X.ndim == 4 else (X.unsqueeze(0), True)


def _windows(X: torch.Tensor, k: tuple[int, int], s: tuple[int, int]) -> torch.Tensor:
    """Every k_h × k_w window of (n, c, H, W) at stride s, as a view (n, c, h', w', k_h, k_w)."""
    return X.unfold(2, k[0], s[0]).unfold(3, k[1], s[1])


_CHUNK_BYTES = 8 * 2**20  # im2col buffer per chunk of images: stays in cache, no page faults
_KEEP_BYTES = 32 * 2**20  # an im2col matrix up to this size is built once and kept for backward


def _im2col(
    X: torch.Tensor, k: tuple[int, int], s: tuple[int, int], hw: tuple[int, int]
) -> torch.Tensor:
    """im2col of a channels-last (n, H, W, c) tensor: one row per output position, holding
    its k_h·k_w·c window. ``as_strided`` makes the windows a view; ``reshape`` copies once."""
    n, _, _, c = X.shape
    sn, sH, sW, sc = X.stride()
    win = X.as_strided((n, hw[0], hw[1], k[0], k[1], c), (sn, s[0] * sH, s[1] * sW, sH, sW, sc),
                       X.storage_offset())  # fmt: skip
    return win.reshape(n * hw[0] * hw[1], k[0] * k[1] * c)


def _col2im(cols: torch.Tensor, shape: torch.Size, k: tuple[int, int], s: tuple[int, int],
            hw: tuple[int, int]) -> torch.Tensor:  # fmt: skip
    """The adjoint of :func:`_im2col`: add each window's gradient back to the pixel it came
    from. Row (m, i, j, a, b) of ``cols`` (one channel vector each) belongs to pixel
    (m, i·s_h + a, j·s_w + b); one ``index_add_`` sums the overlapping windows."""
    n, H, W, c = shape
    dev = cols.device
    rows = torch.arange(hw[0], device=dev) * s[0]
    rows = rows[:, None, None, None] + torch.arange(k[0], device=dev)[None, None, :, None]
    cols_ = torch.arange(hw[1], device=dev) * s[1]
    cols_ = cols_[None, :, None, None] + torch.arange(k[1], device=dev)[None, None, None, :]
    pixel = (rows * W + cols_).reshape(1, -1) + (torch.arange(n, device=dev) * (H * W))[:, None]
    dX = cols.new_zeros((n * H * W, c))
    dX.index_add_(0, pixel.reshape(-1), cols.reshape(-1, c))
    return dX.view(shape)


class _Im2colConv(torch.autograd.Function):
    """Y = im2col(X) · Wᵀ on channels-last X (n, H, W, c_i), W (c_o, k_h·k_w·c_i); backward
    dW = dYᵀ · im2col(X), dX = col2im(dY · W). Images are processed in chunks so the im2col
    buffer stays small and is rebuilt in the backward pass; a small one is built once, kept."""

    @staticmethod
    def forward(ctx: Any, X: torch.Tensor, Wm: torch.Tensor, k: tuple[int, int],
                s: tuple[int, int]) -> torch.Tensor:  # fmt: skip
        n, H, W, _ = X.shape
        hw = ((H - k[0]) // s[0] + 1, (W - k[1]) // s[1] + 1)
        rows = hw[0] * hw[1]
        per_image = rows * Wm.shape[1] * X.element_size()
        if n * per_image <= _KEEP_BYTES:
            cols = _im2col(X, k, s, hw)
            ctx.save_for_backward(X, Wm, cols)
            ctx.meta = (k, s, hw, n)
            return (cols @ Wm.T).view(n, hw[0], hw[1], Wm.shape[0])
        step = max(1, _CHUNK_BYTES // per_image)
        Y = X.new_empty((n, hw[0], hw[1], Wm.shape[0]))
        Y_rows = Y.view(n * rows, Wm.shape[0])
        for i in range(0, n, step):
            out = Y_rows[i * rows : (i + step) * rows]
            torch.matmul(_im2col(X[i : i + step], k, s, hw), Wm.T, out=out)
        ctx.save_for_backward(X, Wm)
        ctx.meta = (k, s, hw, step)
        return Y

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, dY: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        X, Wm, *kept = ctx.saved_tensors
        k, s, hw, step = ctx.meta
        rows = hw[0] * hw[1]
        dY_rows = dY.reshape(X.shape[0] * rows, Wm.shape[0])
        dX = torch.empty_like(X) if ctx.needs_input_grad[0] else None
        dW = torch.zeros_like(Wm) if ctx.needs_input_grad[1] else None
        for i in range(0, X.shape[0], step):
            g = dY_rows[i * rows : (i + step) * rows]
            if dW is not None:
                dW.addmm_(g.T, kept[0] if kept else _im2col(X[i : i + step], k, s, hw))
            if dX is not None:
                dX[i : i + step] = _col2im(g @ Wm, X[i : i + step].shape, k, s, hw)
        return dX, dW, None, None


def conv2d(
    X: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
) -> torch.Tensor:
    """A convolutional layer's forward pass, vectorised (§6.2–6.4), as ``F.conv2d``:

    Y[n, o, i, j] = b[o] + Σ_c Σ_a Σ_b W[o, c, a, b] · X̃[n, c, i·s_h + a, j·s_w + b],

    with X̃ the zero-padded input. im2col: the (n·h'·w', k_h·k_w·c_i) matrix of windows times
    the (k_h·k_w·c_i, c_o) weight matrix. ``X`` is (n, c_i, h, w) or (c_i, h, w). Works with
    autograd (first derivatives); the result is laid out channels-last.
    """
    X, unbatched = _batched(X)
    validate.floating("weight", weight, ndim=4)
    _check_kernel("conv2d", "weight", weight)
    s = _pair("stride", stride, positive=True)
    p = _pair("padding", padding, positive=False)
    c_o, c_i, k_h, k_w = weight.shape
    if X.shape[1] != c_i:
        raise ValueError(
            f"conv2d: X has {X.shape[1]} input channels (shape {tuple(X.shape)}) but weight "
            f"expects {c_i} (shape {tuple(weight.shape)}); they must match"
        )
    if X.dtype != weight.dtype:
        raise TypeError(f"conv2d: X is {X.dtype} but weight is {weight.dtype}; use one dtype")
    _check_window("conv2d", (X.shape[2], X.shape[3]), (k_h, k_w), p)
    if bias is not None:
        validate.tensor("bias", bias, ndim=1)
        if bias.shape[0] != c_o:
            raise ValueError(
                f"conv2d: bias has shape {tuple(bias.shape)} but weight {tuple(weight.shape)} "
                f"has {c_o} output channels; bias must be ({c_o},)"
            )
        if bias.dtype != X.dtype:  # as for weight: no silent promotion of the output
            raise TypeError(
                f"conv2d: X and weight are {X.dtype} but bias is {bias.dtype}; use one dtype, "
                f"e.g. bias.to(X.dtype)"
            )
    X = X.permute(0, 2, 3, 1)  # channels last: each window row is contiguous in c
    if p != (0, 0):
        X = F.pad(X, (0, 0, p[1], p[1], p[0], p[0]))
    Wm = weight.permute(0, 2, 3, 1).reshape(c_o, k_h * k_w * c_i)
    Y = _Im2colConv.apply(X.contiguous(), Wm, (k_h, k_w), s)  # (n, h', w', c_o)
    if bias is not None:
        Y = Y + bias
    Y = Y.permute(0, 3, 1, 2)
    return Y[0] if unbatched else Y


PoolMode = Literal["max", "avg"]


def pool2d(
    X: torch.Tensor,
    pool_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    mode: PoolMode = "max",
) -> torch.Tensor:
    """Max or average pooling over each channel separately (§6.5), as ``F.max_pool2d`` /
    ``F.avg_pool2d``: Y[…, i, j] = max (or mean) of X̃[…, i·s_h : i·s_h + p_h, …].

    ``stride`` defaults to ``pool_size`` (a 3×3 window moves by 3). Max pooling pads with −∞,
    average pooling with zeros that count in the mean. Where a window has tied maxima, max
    pooling's gradient goes to the first of them in row-major order, as ``F.max_pool2d``'s does
    on the CPU. ``X`` is (h, w), (c, h, w) or
    (n, c, h, w); the number of channels is kept.
    """
    validate.floating("X", X, ndim=(2, 3, 4))
    k = _pair("pool_size", pool_size, positive=True)
    s = k if stride is None else _pair("stride", stride, positive=True)
    p = _pair("padding", padding, positive=False)
    if mode not in ("max", "avg"):
        raise ValueError(f"pool2d: mode must be 'max' or 'avg', got {mode!r}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(
            f"pool2d: padding {p} must be at most half the pool size {k} on each side; "
            f"a window of padding only has no value to pool"
        )
    _check_window("pool2d", (X.shape[-2], X.shape[-1]), k, p, what="pool window")
    lead = X.shape[:-2]
    X4 = X.reshape(-1, 1, X.shape[-2], X.shape[-1])
    if p != (0, 0):
        X4 = F.pad(X4, (p[1], p[1], p[0], p[0]), value=-math.inf if mode == "max" else 0.0)
    win = _windows(X4, k, s).flatten(-2)                   # (n·c, 1, h', w', p_h·p_w)
    # max(-1) (not amax) so that, as in F.max_pool2d, a window with tied maxima passes its whole
    # gradient to one of them, the first in row-major order, instead of splitting it evenly
    Y = win.max(-1).values if mode == "max" else win.mean(-1)
    return Y.reshape(*lead, Y.shape[-2], Y.shape[-1])


class Conv2D(nn.Module):
    """A two-dimensional convolutional layer from scratch (§6.2): a learned kernel and bias
    applied by the vectorised :func:`conv2d`. Same arguments, parameter shapes and default
    initialisation (U(−1/√fan_in, 1/√fan_in)) as ``nn.Conv2d``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair = 1,
        padding: IntPair = 0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        c_i = validate.positive_int("in_channels", in_channels)
        c_o = validate.positive_int("out_channels", out_channels)
        validate.boolean("bias", bias)
        self.kernel_size = _pair("kernel_size", kernel_size, positive=True)
        self.stride = _pair("stride", stride, positive=True)
        self.padding = _pair("padding", padding, positive=False)
        self.weight = nn.Parameter(torch.empty(c_o, c_i, *self.kernel_size))
        self.bias = nn.Parameter(torch.empty(c_o)) if bias else None
        bound = 1 / math.sqrt(c_i * self.kernel_size[0] * self.kernel_size[1])
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return conv2d(X, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        c_o, c_i = self.weight.shape[:2]
        return (
            f"{c_i}, {c_o}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, bias={self.bias is not None}"
        )


# --- shapes and receptive fields (§6.2–6.3) --------------------------------------------------


def conv_output_shape(
    input_size: IntPair, kernel_size: IntPair, padding: IntPair = 0, stride: IntPair = 1
) -> tuple[int, int]:
    """The output (h', w') of a convolution or pooling window (§6.3):

    h' = ⌊(n_h − k_h + p_h + s_h) / s_h⌋, with p_h = 2·padding the total rows added.
    """
    n = _pair("input_size", input_size, positive=True)
    k = _pair("kernel_size", kernel_size, positive=True)
    p = _pair("padding", padding, positive=False)
    s = _pair("stride", stride, positive=True)
    _check_window("conv_output_shape", n, k, p)
    h, w = ((n[d] - k[d] + 2 * p[d] + s[d]) // s[d] for d in range(2))
    return h, w


def _kernel_stride(i: int, layer: object) -> tuple[int, int] | None:
    if isinstance(layer, nn.Module):
        if not hasattr(layer, "kernel_size"):
            return None  # activations, flatten, …: they do not widen the field
        k = _pair(f"layers[{i}].kernel_size", layer.kernel_size, positive=True)
        s = _pair(f"layers[{i}].stride", layer.stride, positive=True)
        if getattr(layer, "dilation", 1) not in (1, (1, 1)):
            raise ValueError(f"receptive_field: layers[{i}] is dilated ({layer}); not supported")
        if k[0] != k[1] or s[0] != s[1]:
            raise ValueError(
                f"receptive_field: layers[{i}] is not square ({layer}); pass (k, s) pairs"
            )
        return k[0], s[0]
    if isinstance(layer, tuple):
        if len(layer) != 2:
            raise ValueError(
                f"receptive_field: layers[{i}] must be a kernel size or (kernel, stride), "
                f"got {layer!r}"
            )
        return (validate.positive_int(f"layers[{i}] kernel", layer[0]),
                validate.positive_int(f"layers[{i}] stride", layer[1]))  # fmt: skip
    return validate.positive_int(f"layers[{i}]", layer), 1


def receptive_field(layers: Sequence[object] | nn.Module) -> list[int]:
    """The receptive field (side length, in input pixels) of one unit after each layer (§6.2).

    ``layers`` holds kernel sizes (stride 1), ``(kernel, stride)`` pairs or modules with
    ``kernel_size`` and ``stride`` (conv and pooling layers; others are skipped). With the
    jump j (input pixels between neighbouring units): r_l = r_{l−1} + (k_l − 1)·j_{l−1},
    j_l = j_{l−1}·s_l, r_0 = j_0 = 1. Two 3×3 convolutions give [3, 5].
    """
    if isinstance(layers, nn.Module):
        layers = [m for m in layers.modules() if not any(m.children())]
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise TypeError(
            f"layers must be a sequence of layers or an nn.Module, got {type(layers).__name__}"
        )
    r, j, fields = 1, 1, []
    for i, layer in enumerate(layers):
        ks = _kernel_stride(i, layer)
        if ks is None:
            continue
        r, j = r + (ks[0] - 1) * j, j * ks[1]
        fields.append(r)
    return fields
