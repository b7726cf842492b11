"""A drop-in ``nn.AvgPool2d`` that is faster on the CPU for the 2×2, stride-2 window LeNet uses.

PyTorch's CPU kernels for average pooling are generic loops over windows; for a 2×2 window on a
channels-last tensor with few channels (LeNet's 6), the backward pass in bfloat16 takes about as
long as both of LeNet's convolutions together. The pooling itself is trivial to express with
tensor operations that read and write whole rows:

- forward: in channels-last memory an image row is ``W × C`` contiguous numbers, so the sum of
  each 2×2 window is the sum of two adjacent rows (as two strided views), then of two adjacent
  ``C``-long pixels; bfloat16 and float16 inputs are summed in float32, as the native kernel
  does, so the result is identical to it;
- backward: every input pixel of a window receives a quarter of the window's gradient, i.e. the
  output gradient repeated twice along each spatial axis, which ``torch.cat`` / ``torch.stack``
  write as contiguous copies.

Only that case (2×2 window, stride 2, no padding, even height and width, a 4-d floating-point
CPU tensor) takes the fast path; everything else calls ``nn.AvgPool2d.forward`` unchanged. The
module *is* an ``nn.AvgPool2d`` (same arguments, ``repr`` and ``state_dict``), so a model built
with it prints and saves exactly as the book's does. ``benchmarks/README.md`` has the timings.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["AvgPool2d"]


def _is_channels_last(x: torch.Tensor) -> bool:
    # A tensor with C == 1 or H == W == 1 is both; NCHW (contiguous) wins the tie.
    return x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()


class _AvgPool2x2(torch.autograd.Function):
    """2×2 average pooling with stride 2 on an (N, C, H, W) tensor with even H and W."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor) -> torch.Tensor:
        channels_last = _is_channels_last(x)
        ctx.channels_last = channels_last  # type: ignore[attr-defined]
        if not channels_last:
            return F.avg_pool2d(x, 2, 2)
        N, C, H, W = x.shape
        h, w = H // 2, W // 2
        rows = x.permute(0, 2, 3, 1).view(N, h, 2, w, 2 * C)  # NHWC memory, rows paired
        top, bottom = rows[:, :, 0], rows[:, :, 1]
        if x.dtype in (torch.bfloat16, torch.float16):
            top = top.float()  # accumulate in float32, as the native kernel does
        pairs = torch.add(top, bottom).view(N, h, w, 2, C)
        out = torch.add(pairs[..., 0, :], pairs[..., 1, :]).mul_(0.25)
        return out.to(x.dtype).permute(0, 3, 1, 2)  # (N, C, h, w), channels-last memory

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
