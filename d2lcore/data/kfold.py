"""K-fold cross-validation (book §4.4): split the training data into K disjoint folds; each
fold serves once as the validation set while the other K − 1 train the model.

Unlike the book's ``get_k_fold_data``, which drops the last ``n mod K`` examples, the folds
here cover every example: their sizes differ by at most one.
"""

from __future__ import annotations

from collections.abc import Iterator
from numbers import Integral

import torch

from .. import validate

__all__ = ["k_fold_indices", "k_fold"]

Split = tuple[torch.Tensor, torch.Tensor]


def k_fold_indices(
    n: int, k: int, *, shuffle: bool = False, generator: torch.Generator | None = None
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The K (train, valid) index pairs of K-fold cross-validation over n examples (§4.4).

    The validation folds are disjoint, their union is {0, …, n − 1}, and their sizes are
    ⌈n/k⌉ or ⌊n/k⌋; each train set is the complement of its fold. With ``shuffle`` the
    examples are permuted first (by ``generator``, else PyTorch's global generator).
    """
    validate.positive_int("n", n)
    if isinstance(k, bool) or not isinstance(k, Integral):
        raise TypeError(f"k must be an integer ≥ 2, got {k!r} ({type(k).__name__})")
    k = int(k)
    if k < 2:
        raise ValueError(f"k must be at least 2 (one fold validates, the others train), got {k}")
    if k > n:
        raise ValueError(f"k must be at most n = {n} (each fold needs an example), got k = {k}")
    validate.boolean("shuffle", shuffle)
    validate.generator("generator", generator)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    folds = order.tensor_split(k)
    pairs = []
    for i, valid in enumerate(folds):
        train = torch.cat([f for j, f in enumerate(folds) if j != i])
        pairs.append((train, valid))
    return pairs


def k_fold(
    X: torch.Tensor,
    y: torch.Tensor,
    k: int,
    *,
    shuffle: bool = False,
    generator: torch.Generator | None = None,
) -> Iterator[tuple[Split, Split]]:
    """Yield the K splits ``((X_train, y_train), (X_valid, y_valid))`` of (X, y) (§4.4).

    Use it as ``for (X_tr, y_tr), (X_va, y_va) in k_fold(X, y, 5): ...``, train on the first
    pair, validate on the second, and average the K training and validation errors.
    """
    for name, t in (("X", X), ("y", y)):
        validate.tensor(name, t)
        if t.ndim == 0:  # type: ignore[union-attr]
            raise ValueError(
                f"{name} must hold one example per row (dimension 0), got a 0-d tensor (a single "
                f"number); stack the examples into one tensor, e.g. torch.stack(examples)"
            )
    validate.same_size("X", X, "y", y)
    if len(X) == 0:
        raise ValueError("X is empty: K-fold cross-validation needs at least k examples")
    pairs = k_fold_indices(len(X), k, shuffle=shuffle, generator=generator)  # checks k now
    return (((X[tr], y[tr]), (X[va], y[va])) for tr, va in pairs)
