"""From-scratch pieces of softmax regression (book §3.4–3.6): softmax, cross-entropy, accuracy.

Scores are rows: ``O`` is (n, q) for n examples and q classes (a single example may be a
vector of length q). Labels are integer classes in [0, q).
"""

from __future__ import annotations

import torch

from .. import validate

__all__ = [
    "softmax",
    "log_softmax",
    "cross_entropy",
    "cross_entropy_logits",
    "num_correct",
    "accuracy",
]


def _scores(name: str, value: object) -> torch.Tensor:
    t = validate.floating(name, value, ndim=(1, 2))
    if t.shape[-1] == 0:
        raise ValueError(
            f"{name} must have at least one class (column), got shape {tuple(t.shape)}"
        )
    return t


def _labels(y: object, y_hat: torch.Tensor, name_hat: str) -> torch.Tensor:
    """Check that ``y`` holds one integer class in [0, q) per row of ``y_hat`` (n, q)."""
    validate.tensor("y", y, ndim=1)
    assert isinstance(y, torch.Tensor)
    if y.device != y_hat.device:
        raise ValueError(
            f"y is on device {y.device} but {name_hat} is on {y_hat.device}; put both on one "
            f"device first, e.g. y.to({name_hat}.device)"
        )
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(
            f"y must hold integer class indices (e.g. torch.int64), got dtype {y.dtype}; "
            "convert one-hot labels with y.argmax(dim=1)"
        )
    validate.same_size(name_hat, y_hat, "y", y)
    if y.dtype != torch.int64:  # uint8 would index as a mask; int8/16/32 are widened too
        y = y.long()
    q = y_hat.shape[1]
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= q):
        bad = y[(y < 0) | (y >= q)][:5].tolist()
        raise ValueError(
            f"y must hold classes in [0, {q - 1}] ({name_hat} has {q} columns), got {bad}"
        )
    return y


def softmax(X: torch.Tensor) -> torch.Tensor:
    """Row-wise softmax (§3.4, §3.6): softmax(o)_j = exp(o_j) / Σ_k exp(o_k).

    Computed as exp(o_j − max_k o_k) / Σ_k exp(o_k − max_k o_k): the same value, but no
    exponent exceeds 0, so logits of ±1000 neither overflow to inf nor give inf/inf = NaN.
    """
    X = _scores("X", X)
    shifted = X - X.amax(dim=-1, keepdim=True).detach()
    X_exp = shifted.exp()
    return X_exp / X_exp.sum(dim=-1, keepdim=True)


def log_softmax(X: torch.Tensor) -> torch.Tensor:
    """Row-wise log-softmax (§3.7): o_j − log Σ_k exp(o_k), through the stable log-sum-exp
    log Σ_k exp(o_k) = m + log Σ_k exp(o_k − m) with m = max_k o_k."""
    X = _scores("X", X)
    m = X.amax(dim=-1, keepdim=True).detach()
    shifted = X - m
    return shifted - shifted.exp().sum(dim=-1, keepdim=True).log()


def _check_probabilities(y_hat: torch.Tensor) -> None:
    """Raise when ``y_hat`` holds no distributions (logits, say): an entry below 0 or a row
    whose sum is off 1. Three reductions and one host sync per call: tens of microseconds,
    about 1% of a softmax-regression training step (batch 256, 2-core VM, 2026-12-02). NaN
    passes, so that ``fit`` reports a diverging run as divergence."""
    if y_hat.numel() == 0:
        return
    P = y_hat.detach()
    lo_row, hi_row = torch.aminmax(P.sum(dim=1, dtype=torch.float32))
    low, lo_sum, hi_sum = torch.stack([P.amin().float(), lo_row, hi_row]).tolist()
    tol = 1e-3 if P.dtype in (torch.float32, torch.float64) else 2e-2  # half precision rounds
    if low < 0 or lo_sum < 1 - tol or hi_sum > 1 + tol:
        what = (f"an entry is {low:.4g}" if low < 0
                else f"its rows sum to values in [{lo_sum:.4g}, {hi_sum:.4g}]")  # fmt: skip
        raise ValueError(
            f"cross_entropy: y_hat must hold probabilities (rows of numbers ≥ 0 that sum to 1, "
            f"e.g. softmax(O)), but {what}; for raw scores (logits) use "
            f"cross_entropy_logits(O, y)"
        )


def cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy loss per example from predicted *probabilities* (§3.4, §3.6):
    l⁽ⁱ⁾ = −log ŷ⁽ⁱ⁾_{y⁽ⁱ⁾}, picked by indexing instead of a sum with a one-hot vector.

    ``y_hat`` is (n, q) with rows that are distributions (e.g. from :func:`softmax`), ``y`` is
    (n,) integer classes. A probability that underflowed to 0 gives inf: train on logits with
    :func:`cross_entropy_logits` to avoid that. Logits given here by mistake (an entry < 0 or a
    row that does not sum to 1 within 10⁻³) raise a ``ValueError`` that names
    :func:`cross_entropy_logits`; the check reads ``y_hat`` once per call, which costs little
    next to the model that produced it.
    """
    y_hat = validate.floating("y_hat", y_hat, ndim=2)
    y = _labels(y, y_hat, "y_hat")
    _check_probabilities(y_hat)
    return -torch.log(y_hat[torch.arange(len(y), device=y_hat.device), y])


def cross_entropy_logits(O: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy loss per example from *logits* (§3.7): l⁽ⁱ⁾ = log Σ_k exp(o_k) − o_{y⁽ⁱ⁾},
    via :func:`log_softmax`, so it stays finite where ``cross_entropy(softmax(O), y)`` gives inf.

    Equals ``torch.nn.functional.cross_entropy(O, y, reduction="none")``; its gradient with
    respect to ``O`` is softmax(O) − onehot(y).
    """
    O = validate.floating("O", O, ndim=2)
    y = _labels(y, O, "O")
    return -log_softmax(O)[torch.arange(len(y), device=O.device), y]


def num_correct(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The number of correct predictions, as a 0-d tensor (no host synchronisation).

    ``y_hat`` holds one row of scores per example (n, q), or already the predicted classes
    (n,); ``y`` holds the true classes (n,). A single column of scores (n, 1) is refused: its
    argmax would be class 0 for every example.
    """
    validate.tensor("y_hat", y_hat, ndim=(1, 2))
    if y_hat.ndim == 2 and y_hat.shape[1] == 1:  # type: ignore[union-attr]
        raise ValueError(
            f"y_hat has shape {tuple(y_hat.shape)}: one column of scores makes every prediction "  # type: ignore[union-attr]
            f"class 0; pass scores (n, q) with a column per class, or the predicted classes as "
            f"(n,), e.g. y_hat.reshape(-1)"
        )
    validate.tensor("y", y, ndim=1)
    validate.same_size("y_hat", y_hat, "y", y)
    if y_hat.ndim == 2:
        y_hat = y_hat.argmax(dim=1)
    return (y_hat == y.to(y_hat.dtype)).sum()


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """The fraction of correct predictions (§3.6): mean of 1[argmax ŷ⁽ⁱ⁾ = y⁽ⁱ⁾].

    Note: the book's ``d2l.accuracy`` — and :func:`d2lcore.torch.accuracy`, its stand-in for
    ``from d2lcore import torch as d2l`` — returns the *count* of correct predictions instead
    (the book divides by ``len(y)`` itself).
    """
    if len(y) == 0:
        raise ValueError("accuracy of an empty batch is undefined: y has no examples")
    return float(num_correct(y_hat, y)) / len(y)
