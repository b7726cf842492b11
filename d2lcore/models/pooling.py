"""A drop-in ``nn.AvgPool2d`` that is faster on the CPU for the 2×2, stride-2 window LeNet uses.

PyTorch's CPU kernels for average pooling are generic loops over windows; for a 2×2 window on a
channels-last tensor with few channels (LeNet's 6) they take, forward and backward together, as
long as both of LeNet's convolutions. Two other ways of computing the same numbers are faster:

- forward: a 2×2 average pooling *is* a depthwise convolution (``groups=C``) whose 2×2 kernels
  all hold ¼, with stride 2 — the "pooling is a fixed convolution" view of §6.5. oneDNN runs it
  4–7 times faster than the pooling kernel on LeNet's first pooling in channels-last layout
  (1.5 times in NCHW float32). It accumulates bfloat16 in float32, as the pooling kernel does,
  and ¼ is exact, so bfloat16 results are bit-identical to it;
- backward: every input pixel of a window receives a quarter of the window's gradient, i.e. the
  output gradient repeated twice along each spatial axis, which ``torch.cat`` / ``torch.stack``
  write as contiguous copies (the convolution's own backward, a transposed convolution, is
  slow in bfloat16).

Only that case (2×2 window, stride 2, no padding, even height and width, a 4-d floating-point
CPU tensor) takes the fast path; everything else calls ``nn.AvgPool2d.forward`` unchanged. The
forward is the convolution for float32 and bfloat16 where PyTorch has oneDNN (with bfloat16
support) and no dispatch mode such as ``FlopCounterMode`` is watching, and the native pooling
kernel otherwise. The module *is* an ``nn.AvgPool2d`` (same arguments, ``repr`` and
``state_dict``), so a model built with it prints and saves exactly as the book's does.
``benchmarks/README.md`` has the timings.

Two of the questions the fast path asks have no public PyTorch API: whether a dispatch mode is
active (``torch.utils._python_dispatch``) and whether oneDNN supports bfloat16 on this CPU
(:func:`d2lcore.precision.cpu_native_bf16`). Each is looked up when first needed, inside a
``try``, and cached: should a PyTorch release move one, the convolution path is skipped (for
every dtype, or for bfloat16) and the native pooling kernel runs; importing d2lcore never
depends on them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..precision import cpu_native_bf16

__all__ = ["AvgPool2d", "fast_pooling"]


@functools.cache
def _dispatch_mode_probe() -> Callable[[], bool] | None:
    """PyTorch's private ``is_in_torch_dispatch_mode``, or ``None`` where it is gone."""
    try:
        from torch.utils._python_dispatch import is_in_torch_dispatch_mode
    except Exception:  # noqa: BLE001 - moved or renamed in some release: no fast path
        return None
    return is_in_torch_dispatch_mode if callable(is_in_torch_dispatch_mode) else None


def _no_dispatch_mode() -> bool:
    """True when no dispatch mode (``FlopCounterMode``, a tracer) is active; False when one
    is, or when this PyTorch cannot tell (then the pooling op itself runs, which is correct
    either way)."""
    probe = _dispatch_mode_probe()
    return probe is not None and not probe()


def _is_channels_last(x: torch.Tensor) -> bool:
    # A tensor with C == 1 or H == W == 1 is both; NCHW (contiguous) wins the tie.
    return x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()


@functools.cache
def _onednn_dtypes() -> frozenset[torch.dtype]:
    """The dtypes whose convolutions oneDNN runs fast on this CPU (empty without oneDNN)."""
    if not torch.backends.mkldnn.is_available():
        return frozenset()
    dtypes = {torch.float32}
    if cpu_native_bf16():
        dtypes.add(torch.bfloat16)
    return frozenset(dtypes)


def _pool_as_convolution(x: torch.Tensor) -> torch.Tensor:
    """2×2, stride-2 average pooling as a depthwise convolution with weights ¼."""
    C = x.shape[1]
    weight = x.new_full((C, 1, 2, 2), 0.25)
    if torch.is_autocast_enabled("cpu"):
        # Under autocast F.conv2d would cast float32 to bfloat16; pooling keeps its dtype.
        with torch.autocast("cpu", enabled=False):
            return F.conv2d(x, weight, stride=2, groups=C)
    return F.conv2d(x, weight, stride=2, groups=C)


class _AvgPool2x2(torch.autograd.Function):
    """2×2 average pooling with stride 2 on an (N, C, H, W) tensor with even H and W."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor) -> torch.Tensor:
        ctx.channels_last = _is_channels_last(x)  # type: ignore[attr-defined]
        # Under a dispatch mode (FlopCounterMode, a tracer) the pooling stays a pooling op, so
        # that d2l.count_flops and the benchmarks count no convolution FLOPs for it.
        if x.dtype in _onednn_dtypes() and _no_dispatch_mode():
            return _pool_as_convolution(x)
        return F.avg_pool2d(x, 2, 2)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> torch.Tensor:
        N, C, h, w = grad.shape
        grad = grad * 0.25
        if ctx.channels_last:  # type: ignore[attr-defined]
            g = grad.contiguous(memory_format=torch.channels_last).permute(0, 2, 3, 1)
            row = torch.cat([g, g], dim=-1)  # (N, h, w, 2C): each pixel twice along W
            full = torch.stack([row, row], dim=2)  # (N, h, 2, w, 2C): each row twice along H
            return full.view(N, 2 * h, 2 * w, C).permute(0, 3, 1, 2)
        g = grad.contiguous()
        row = torch.stack([g, g], dim=-1).view(N, C, h, 2 * w)
        return torch.stack([row, row], dim=3).view(N, C, 2 * h, 2 * w)


def _pair(value: object) -> object:
    return (value, value) if isinstance(value, int) else tuple(value)  # type: ignore[arg-type]


class AvgPool2d(nn.AvgPool2d):
    """``nn.AvgPool2d`` with a faster CPU path for 2×2 windows with stride 2 (see the module
    docstring); same arguments, same results (up to float rounding order in float32), same
    ``repr``. ``d2lcore.LeNet`` uses it for ``pool="avg"``."""

    def _fast(self, x: torch.Tensor) -> bool:
        return (
            x.dim() == 4
            and x.device.type == "cpu"
            and x.dtype.is_floating_point
            and x.shape[2] % 2 == 0
            and x.shape[3] % 2 == 0
            and x.shape[2] > 0
            and x.shape[3] > 0
            and _pair(self.kernel_size) == (2, 2)
            and _pair(self.stride) == (2, 2)  # nn.AvgPool2d stores stride=None as the kernel size
            and _pair(self.padding) == (0, 0)
            and self.divisor_override is None
        )

    def forward(self, input: torch.Tensor) -> torch.Tensor:  # noqa: A002 - nn.Module's name
        if self._fast(input):
            return _AvgPool2x2.apply(input)
        return super().forward(input)


def fast_pooling(net: nn.Module) -> int:
    """Make every exact ``nn.AvgPool2d`` of ``net`` an :class:`AvgPool2d`, in place, and return
    how many were switched.

    The switch changes the modules' class only (``m.__class__``): arguments, ``repr``,
    ``state_dict``, hooks and the module objects themselves stay, so references to them and a
    model's printout are unchanged; 2×2 windows with stride 2 then take the faster CPU path.
    Subclasses of ``nn.AvgPool2d`` are left alone (their ``forward`` may differ). What the
    book's ``train_ch6`` (``from d2lcore import torch as d2l``) does to a CPU model.
    """
    if not isinstance(net, nn.Module):
        raise TypeError(f"net must be an nn.Module, got {type(net).__name__}")
    count = 0
    for m in net.modules():
        if type(m) is nn.AvgPool2d:
            m.__class__ = AvgPool2d
            count += 1
    return count
