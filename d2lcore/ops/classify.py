"""From-scratch pieces of softmax regression (book §3.4–3.6)."""

from __future__ import annotations

import torch

from .. import validate

__all__ = ["num_correct", "accuracy"]


def num_correct(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The number of correct predictions, as a 0-d tensor (no host synchronisation).

    ``y_hat`` holds one row of scores per example (n, q), or already the predicted classes
    (n,); ``y`` holds the true classes (n,).
    """
    validate.tensor("y_hat", y_hat, ndim=(1, 2))
    validate.tensor("y", y, ndim=1)
    validate.same_size("y_hat", y_hat, "y", y)
    if y_hat.ndim == 2:
        y_hat = y_hat.argmax(dim=1)
    return (y_hat == y.to(y_hat.dtype)).sum()


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """The fraction of correct predictions (§3.6): mean of 1[argmax ŷ⁽ⁱ⁾ = y⁽ⁱ⁾]."""
    if len(y) == 0:
        raise ValueError("accuracy of an empty batch is undefined: y has no examples")
    return float(num_correct(y_hat, y)) / len(y)
