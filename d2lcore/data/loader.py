"""Minibatches over tensors held in memory (book §3.2, §3.3)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import torch

from .. import validate

__all__ = ["data_iter", "ArrayLoader", "load_array"]

Batch = tuple[torch.Tensor, torch.Tensor]


def data_iter(batch_size: int, features: torch.Tensor, labels: torch.Tensor) -> Iterator[Batch]:
    """The book's from-scratch reader (§3.2): shuffle the indices, then yield minibatches.

    Every example appears exactly once per pass; the last batch may be smaller.
    """
    validate.positive_int("batch_size", batch_size)
    validate.tensor("features", features)
    validate.tensor("labels", labels)
    validate.same_size("features", features, "labels", labels)
    num_examples = len(features)
    if num_examples == 0:
        raise ValueError("features is empty: there is nothing to iterate over")
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch = torch.tensor(indices[i : i + batch_size])
        yield features[batch], labels[batch]


class ArrayLoader:
    """A re-iterable minibatch loader over in-memory tensors (what §3.3's ``load_array`` gives).

    Each pass yields every example exactly once, in a fresh order drawn from PyTorch's global
    generator when ``shuffle`` is true (so :func:`d2lcore.seed` and a checkpoint's RNG state
    fix it). ``transform`` is applied to each feature batch (e.g. uint8 → float, resizing),
    so a data set can stay small in memory and grow only one batch at a time.
    """

    def __init__(
        self,
        features: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        *,
        shuffle: bool = True,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        validate.tensor("features", features)
        validate.tensor("labels", labels)
        validate.same_size("features", features, "labels", labels)
        if len(features) == 0:
            raise ValueError("features is empty: a loader needs at least one example")
        self.features = features
        self.labels = labels
        self.batch_size = validate.positive_int("batch_size", batch_size)
        self.shuffle = shuffle
        self.transform = transform

    def __len__(self) -> int:
        """The number of batches in one pass."""
        return -(-len(self.features) // self.batch_size)

    @property
    def num_examples(self) -> int:
        return len(self.features)

    def __iter__(self) -> Iterator[Batch]:
        n = len(self.features)
        order = torch.randperm(n) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            if order is None:
                X = self.features[start : start + self.batch_size]
                y = self.labels[start : start + self.batch_size]
            else:
                idx = order[start : start + self.batch_size]
                X, y = self.features[idx], self.labels[idx]
            if self.transform is not None:
                X = self.transform(X)
            yield X, y

    def __repr__(self) -> str:
        return (
            f"ArrayLoader({self.num_examples} examples, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, {len(self)} batches)"
        )


def load_array(
    data_arrays: tuple[torch.Tensor, torch.Tensor], batch_size: int, is_train: bool = True
) -> ArrayLoader:
    """The book's ``load_array`` (§3.3): a loader over ``(features, labels)``, shuffled when
    training."""
    features, labels = data_arrays
    return ArrayLoader(features, labels, batch_size, shuffle=is_train)
