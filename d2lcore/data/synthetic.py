"""Synthetic data with a known answer (book §3.2)."""

from __future__ import annotations

import torch

from .. import validate

__all__ = ["synthetic_data"]


def synthetic_data(
    w: torch.Tensor, b: float, num_examples: int, noise: float = 0.01
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw y = Xw + b + ε with X ~ N(0, 1) and ε ~ N(0, noise²) (§3.2).

    Returns ``X`` of shape (num_examples, len(w)) and ``y`` of shape (num_examples, 1), in
    ``w``'s floating dtype. Uses PyTorch's global generator, so :func:`d2lcore.seed` fixes it.
    """
    validate.floating("w", w, ndim=1)
    validate.positive_int("num_examples", num_examples)
    if noise < 0:
        raise ValueError(f"noise must be ≥ 0, got {noise!r}")
    X = torch.normal(0.0, 1.0, (num_examples, len(w)), dtype=w.dtype)
    y = X @ w + b
    y += torch.normal(0.0, noise, y.shape, dtype=w.dtype)
    return X, y.reshape(-1, 1)
