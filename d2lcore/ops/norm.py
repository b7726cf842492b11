"""Batch normalisation from scratch (§7.5; Ioffe & Szegedy 2015).

In training, each minibatch is standardised with its own mean and variance and the running
(moving) averages are updated; at inference the running averages are used instead:

    x̂ = (x − μ) / sqrt(σ² + ε),   y = γ ⊙ x̂ + β,
    μ_run ← (1 − m) μ_run + m μ_B,   σ²_run ← (1 − m) σ²_run + m σ²_B (unbiased).

``m`` is PyTorch's momentum (0.1); the book writes the same update with ``momentum = 0.9`` as
the weight of the old value. The statistics are taken per feature over the batch for
fully-connected inputs (n, d), and per channel over the batch, height and width for
convolutional inputs (n, c, h, w).
"""

from __future__ import annotations

import torch
from torch import nn

from .. import validate

__all__ = ["batch_norm", "BatchNorm"]

_HALF = (torch.bfloat16, torch.float16)


def batch_norm(
    X: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    moving_mean: torch.Tensor,
    moving_var: torch.Tensor,
    *,
    training: bool,
    eps: float = 1e-5,
    momentum: float = 0.1,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Batch-normalise ``X`` (n, d) or (n, c, h, w) with scale ``gamma`` and shift ``beta``
    (shape (d,) or (c,)); return ``(Y, new_moving_mean, new_moving_var)`` (§7.5).

    ``training`` uses the batch statistics (biased variance to normalise, unbiased variance for
    the running average, as ``nn.BatchNorm`` does) and returns updated running statistics;
    otherwise ``X`` is normalised with ``moving_mean``/``moving_var``, which are returned as
    they are.
    """
    validate.floating("X", X, ndim=(2, 4))
    validate.boolean("training", training)
    C = X.shape[1]
    for name, t in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean), ("moving_var", moving_var)):
        validate.tensor(name, t, ndim=1)
        if t.shape[0] != C:
            raise ValueError(f"{name} must have shape ({C},) to match X's {C} features/channels, got {tuple(t.shape)}")
        # No silent promotion of Y or of the running statistics (float64 statistics on float32
        # X, say); float32 parameters on a bfloat16/float16 X (autocast) compute in float32.
        if t.dtype != X.dtype and not (t.dtype == torch.float32 and X.dtype in _HALF):
            raise TypeError(f"X is {X.dtype} but {name} is {t.dtype}; use one dtype, e.g. {name}.to(X.dtype)")
    validate.positive_float("eps", eps)
    validate.probability("momentum", momentum)
    shape = (1, C) if X.ndim == 2 else (1, C, 1, 1)
    dims = (0,) if X.ndim == 2 else (0, 2, 3)
    if training:
        n = X.numel() // C
        if n < 2:
            raise ValueError(
                f"batch_norm in training needs more than one value per feature/channel, got X of "
                f"shape {tuple(X.shape)}; use a larger batch"
            )
        mean = X.mean(dim=dims)
        var = ((X - mean.reshape(shape)) ** 2).mean(dim=dims)      # biased: normalises
        X_hat = (X - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + eps)
        with torch.no_grad():                                       # running stats need no grad
            new_mean = (1 - momentum) * moving_mean + momentum * mean
            new_var = (1 - momentum) * moving_var + momentum * var * n / (n - 1)
    else:
        X_hat = (X - moving_mean.reshape(shape)) / torch.sqrt(moving_var.reshape(shape) + eps)
        new_mean, new_var = moving_mean, moving_var
    Y = gamma.reshape(shape) * X_hat + beta.reshape(shape)
    return Y, new_mean, new_var


class BatchNorm(nn.Module):
    """A batch-norm layer on :func:`batch_norm` (§7.5): learnable ``weight`` (γ, ones) and
    ``bias`` (β, zeros), and ``running_mean``/``running_var`` buffers updated in training mode.

    ``num_dims`` is 2 after a fully-connected layer and 4 after a conv layer. Parameter and
    buffer names match ``nn.BatchNorm1d``/``nn.BatchNorm2d``, so state dicts load both ways.
    """

    def __init__(self, num_features: int, num_dims: int, *, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        validate.positive_int("num_features", num_features)
        if isinstance(num_dims, bool) or num_dims not in (2, 4):
            raise ValueError(f"num_dims must be 2 (after a linear layer) or 4 (after a conv), got {num_dims!r}")
        self.num_features, self.num_dims = num_features, num_dims
        self.eps = validate.positive_float("eps", eps)
        self.momentum = validate.probability("momentum", momentum)
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.ndim != self.num_dims:
            raise ValueError(f"BatchNorm(num_dims={self.num_dims}) got an input of shape {tuple(X.shape)}")
        Y, mean, var = batch_norm(
            X, self.weight, self.bias, self.running_mean, self.running_var,
            training=self.training, eps=self.eps, momentum=self.momentum,
        )  # fmt: skip
        if self.training:
            self.running_mean.copy_(mean)
            self.running_var.copy_(var)
            self.num_batches_tracked += 1
        return Y

    def extra_repr(self) -> str:
        return f"{self.num_features}, num_dims={self.num_dims}, eps={self.eps}, momentum={self.momentum}"
