"""Synthetic data with a known answer (book §3.2)."""

from __future__ import annotations

import math
from numbers import Real

import torch

from .. import validate

__all__ = ["synthetic_data"]


def synthetic_data(
    w: torch.Tensor, b: float, num_examples: int, noise: float = 0.01
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw y = Xw + b + ε with X ~ N(0, 1) and ε ~ N(0, noise²) (§3.2).

    Returns ``X`` of shape (num_examples, len(w)) and ``y`` of shape (num_examples, 1), in
    ``w``'s floating dtype. Uses PyTorch's global generator, so :func:`d2lcore.seed` fixes it.
    The data carry no autograd graph: a ``w`` (or ``b``) that requires grad is read detached,
    so the labels are plain data whatever the caller's parameters are.
    """
    validate.floating("w", w, ndim=1)
    if len(w) == 0:
        raise ValueError("w must hold at least one weight, got shape (0,)")
    if isinstance(b, torch.Tensor):
        if b.numel() != 1:
            raise ValueError(f"b must be a scalar (the bias), got a tensor of shape {tuple(b.shape)}")
        b_value = float(b.detach())
    elif isinstance(b, bool) or not isinstance(b, Real):
        raise TypeError(f"b must be a number (the bias), got {b!r} ({type(b).__name__})")
    else:
        b_value = float(b)
    w = w.detach()
    if not bool(torch.isfinite(w).all()):
        raise ValueError(f"w must hold finite numbers (no NaN or inf), got {w.tolist()[:8]}")
    if not math.isfinite(b_value):
        raise ValueError(f"b must be a finite number (no NaN or inf), got {b_value!r}")
    validate.positive_int("num_examples", num_examples)
    if isinstance(noise, bool) or not isinstance(noise, Real):
        raise TypeError(f"noise must be a number ≥ 0 (a standard deviation), got {noise!r} "
                        f"({type(noise).__name__})")
    if not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number ≥ 0 (a standard deviation), got {noise!r}")
    X = torch.normal(0.0, 1.0, (num_examples, len(w)), dtype=w.dtype)
    y = X @ w + b_value
    y += torch.normal(0.0, noise, y.shape, dtype=w.dtype)
    return X, y.reshape(-1, 1)
