"""From-scratch pieces of linear regression (book §3.1–3.2): the model, the loss, the update."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from .. import validate

__all__ = ["linreg", "squared_loss", "sgd"]


def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The linear regression model ŷ = Xw + b (§3.1).

    ``X`` is (n, d), ``w`` is (d,) or (d, 1), ``b`` a scalar or (1,); the result has the
    shape of ``X @ w``.
    """
    validate.floating("X", X, ndim=2)
    validate.tensor("w", w, ndim=(1, 2))
    validate.tensor("b", b)
    if w.shape[0] != X.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features (shape {tuple(X.shape)}) but w has {w.shape[0]} "
            f"weights (shape {tuple(w.shape)}); w needs one weight per column of X"
        )
    if w.ndim == 2 and w.shape[1] != 1:
        raise ValueError(
            f"w must be (d,) or (d, 1) (one output), got shape {tuple(w.shape)}"
        )
    if w.dtype != X.dtype:
        raise TypeError(f"X is {X.dtype} but w is {w.dtype}; use one dtype, e.g. w.to(X.dtype)")
    if b.ndim > 1 or b.numel() != 1:
        # a (5,) or (1, 1) bias would broadcast Xw to a matrix instead of adding one number
        raise ValueError(
            f"b must be one number: a scalar tensor or shape (1,), got shape {tuple(b.shape)}"
        )
    return X @ w + b


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The squared loss ½(ŷ − y)² per example (§3.1), not averaged.

    ``y`` is reshaped to ``y_hat``'s shape, so labels of shape (n,) and predictions of shape
    (n, 1) pair up example by example instead of broadcasting to (n, n).
    """
    validate.tensor("y_hat", y_hat)
    validate.tensor("y", y)
    if y_hat.numel() != y.numel():
        raise ValueError(
            f"y_hat and y must hold one value per example, got shapes {tuple(y_hat.shape)} "
            f"and {tuple(y.shape)}"
        )
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


@torch.no_grad()
def sgd(params: Iterable[torch.Tensor], lr: float, batch_size: int) -> None:
    """Minibatch stochastic gradient descent, in place (§3.1):

    (w, b) ← (w, b) − η/|B| · Σ_{i∈B} ∂l⁽ⁱ⁾/∂(w, b).

    The gradients must hold the *sum* of the per-example losses' gradients (call
    ``loss.sum().backward()``); they are divided by ``batch_size`` here, then zeroed.
    """
    validate.positive_float("lr", lr)
    validate.positive_int("batch_size", batch_size)
    if isinstance(params, torch.Tensor):  # iterating a tensor would give its rows
        raise TypeError("params must be a list of tensors such as [w, b], got one Tensor; "
                        "wrap it: [w]")
    for param in params:
        if param.grad is None:
            raise ValueError(
                "sgd: a parameter has no gradient; create it with requires_grad=True and call "
                "backward() on the loss before the update"
            )
        param -= lr * param.grad / batch_size
        param.grad.zero_()
