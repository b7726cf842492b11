"""From-scratch pieces of multilayer perceptrons (book §4.1–4.8): activation functions,
polynomial features, the L2 penalty, inverted dropout and Xavier initialisation.

Tensors follow the book's row convention: a minibatch ``X`` is (n, d) and a weight matrix
``W`` is (inputs, outputs), so a layer computes ``X @ W + b``.
"""

from __future__ import annotations

import math

import torch

from .. import validate

__all__ = [
    "relu",
    "sigmoid",
    "tanh",
    "poly_features",
    "l2_penalty",
    "dropout_layer",
    "xavier_bound",
    "xavier_uniform",
]


def relu(X: torch.Tensor) -> torch.Tensor:
    """ReLU(x) = max(x, 0), element-wise (§4.1).

    At x = 0 the derivative is taken to be 0 (the left derivative), as ``torch.relu`` does.
    """
    validate.floating("X", X)
    return torch.where(X > 0, X, torch.zeros((), dtype=X.dtype, device=X.device))


def sigmoid(X: torch.Tensor) -> torch.Tensor:
    """sigmoid(x) = 1 / (1 + exp(−x)), element-wise (§4.1).

    Written with z = exp(−|x|) ≤ 1 as 1/(1 + z) for x ≥ 0 and z/(1 + z) for x < 0 (the same
    numbers), so exp never overflows and the gradient is finite for every input.
    """
    validate.floating("X", X)
    u = torch.where(X >= 0, X, -X)  # |x|, with derivative ±1 on each side (and +1 at 0)
    z = torch.exp(-u)
    return torch.where(X >= 0, 1 / (1 + z), z / (1 + z))


def tanh(X: torch.Tensor) -> torch.Tensor:
    """tanh(x) = (1 − exp(−2x)) / (1 + exp(−2x)), element-wise (§4.1).

    Evaluated on |x| and given x's sign back (tanh is odd), so exp(−2|x|) ≤ 1 never overflows
    to inf/inf = NaN for large negative x; 1 − exp(−2u) is computed as −expm1(−2u), which
    does not cancel for small |x|.
    """
    validate.floating("X", X)
    u = torch.where(X >= 0, X, -X)
    m = torch.expm1(-2 * u)  # exp(−2u) − 1, accurate near u = 0
    t = -m / (2 + m)
    return torch.where(X >= 0, t, -t)


def poly_features(x: torch.Tensor, num_terms: int) -> torch.Tensor:
    """The book's polynomial features (§4.4): column i of the result is xⁱ / i!, i = 0 … num_terms − 1.

    Dividing by i! = Γ(i + 1) keeps high powers from producing huge values and gradients.
    ``x`` is (n,) or (n, 1); the result is (n, num_terms) in ``x``'s dtype.
    """
    validate.floating("x", x, ndim=(1, 2))
    validate.positive_int("num_terms", num_terms)
    if x.ndim == 2 and x.shape[1] != 1:
        raise ValueError(f"x must be (n,) or (n, 1), got shape {tuple(x.shape)}")
    powers = torch.arange(num_terms, dtype=x.dtype, device=x.device)
    factorials = torch.exp(torch.lgamma(powers + 1))
    return x.reshape(-1, 1) ** powers / factorials


def l2_penalty(w: torch.Tensor) -> torch.Tensor:
    """The L2 penalty ‖w‖² / 2 = Σ w_j² / 2 (§4.5); multiply it by λ and add it to the loss."""
    validate.floating("w", w)
    return (w**2).sum() / 2


def dropout_layer(
    X: torch.Tensor, p: float, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Inverted dropout (§4.6): h′ = ξ h / (1 − p), with ξ = 0 with probability p, else 1.

    Each element is dropped independently, and the kept ones are scaled so that E[h′] = h.
    ``p = 0`` returns ``X`` itself, ``p = 1`` returns zeros (as ``X * 0``, so the graph is kept).
    Apply it in training only; at test time use ``X`` unchanged.
    """
    validate.floating("X", X)
    p = validate.probability("p", p)
    validate.generator("generator", generator)
    if p == 0:
        return X
    if p == 1:
        return X * 0
    keep = torch.rand(X.shape, generator=generator, dtype=X.dtype, device=X.device) >= p
    return X * keep / (1 - p)


def xavier_bound(fan_in: int, fan_out: int, gain: float = 1.0) -> float:
    """Xavier's uniform bound (§4.8): gain · √(6 / (a + b)) for a inputs and b outputs."""
    validate.positive_int("fan_in", fan_in)
    validate.positive_int("fan_out", fan_out)
    validate.positive_float("gain", gain)
    return gain * math.sqrt(6.0 / (fan_in + fan_out))


def xavier_uniform(
    fan_in: int,
    fan_out: int,
    *,
    gain: float = 1.0,
    dtype: torch.dtype | None = None,
    device: str | torch.device | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """A weight matrix (fan_in, fan_out) drawn from U(−√(6/(a+b)), √(6/(a+b))) (§4.8).

    Its variance is 2 / (a + b), the compromise between a·Var(w) = 1 (forward pass keeps the
    variance) and b·Var(w) = 1 (backward pass keeps it). ``nn.Linear`` stores the transpose.
    """
    bound = xavier_bound(fan_in, fan_out, gain)
    validate.floating_dtype("dtype", dtype)
    validate.generator("generator", generator)
    dev = validate.device_name("device", device)
    W = torch.empty(fan_in, fan_out, dtype=dtype, device=dev)
    return W.uniform_(-bound, bound, generator=generator)
