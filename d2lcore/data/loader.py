"""Minibatches over tensors held in memory (book §3.2, §3.3)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

import torch

from .. import validate

__all__ = ["data_iter", "ArrayLoader", "IndexedLoader", "load_array"]

Batch = tuple[torch.Tensor, torch.Tensor]


def _check_arrays(features: object, labels: object) -> None:
    """Features and labels: tensors with one row per example, as many of each, not empty."""
    validate.tensor("features", features)
    validate.tensor("labels", labels)
    for name, t in (("features", features), ("labels", labels)):
        if t.ndim == 0:  # type: ignore[union-attr]
            raise ValueError(f"{name} must have one row per example (at least 1 dimension), got a "
                             "0-dimensional tensor")
    validate.same_size("features", features, "labels", labels)  # type: ignore[arg-type]
    if len(features) == 0:  # type: ignore[arg-type]
        raise ValueError("features is empty (shape "
                         f"{tuple(features.shape)}): a loader needs at least one example")  # type: ignore[union-attr]


def data_iter(batch_size: int, features: torch.Tensor, labels: torch.Tensor) -> Iterator[Batch]:
    """The book's from-scratch reader (§3.2): shuffle the indices, then yield minibatches.

    Every example appears exactly once per pass; the last batch may be smaller. The order comes
    from Python's ``random`` (seeded by :func:`d2lcore.seed`). Arguments are checked when it is
    called, not at the first batch.
    """
    validate.positive_int("batch_size", batch_size)
    _check_arrays(features, labels)
    indices = list(range(len(features)))
    random.shuffle(indices)
    return _batches(indices, batch_size, features, labels)


def _batches(
    indices: list[int], batch_size: int, features: torch.Tensor, labels: torch.Tensor
) -> Iterator[Batch]:
    for i in range(0, len(indices), batch_size):
        batch = torch.tensor(indices[i : i + batch_size])
        yield features[batch], labels[batch]


@runtime_checkable
class IndexedLoader(Protocol):
    """A loader that exposes its index order: what lets :func:`d2lcore.fit` split each
    minibatch across processes under torchrun by index (:class:`d2lcore.distributed.ShardedLoader`)
    instead of reading every batch on every process. :class:`ArrayLoader` is one."""

    batch_size: int
    shuffle: bool

    @property
    def num_examples(self) -> int: ...
    def order(self) -> torch.Tensor: ...
    def fetch(self, indices: torch.Tensor | slice) -> Batch: ...


class ArrayLoader:
    """A re-iterable minibatch loader over in-memory tensors (what §3.3's ``load_array`` gives).

    Each pass yields every example exactly once, in a fresh order drawn from PyTorch's global
    generator when ``shuffle`` is true (so :func:`d2lcore.seed` and a checkpoint's RNG state
    fix it). Each feature batch goes through ``convert`` (what the storage needs to become
    model input, e.g. uint8 → float32 and resizing, so a data set can stay small in memory and
    grow one batch at a time), then ``transform`` (what a reader adds, e.g. random flips).
    """

    def __init__(
        self,
        features: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        *,
        shuffle: bool = True,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        convert: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        _check_arrays(features, labels)
        for name, fn in (("transform", transform), ("convert", convert)):
            if fn is not None and not callable(fn):
                raise TypeError(
                    f"{name} must be a function of a feature batch (or None), got "
                    f"{type(fn).__name__}"
                )
        shuffle = bool(validate.boolean("shuffle", shuffle))
        self.features = features
        self.labels = labels
        self.batch_size = validate.positive_int("batch_size", batch_size)
        self.shuffle = shuffle
        self.transform = transform
        self.convert = convert

    def __len__(self) -> int:
        """The number of batches in one pass."""
        return -(-len(self.features) // self.batch_size)

    @property
    def num_examples(self) -> int:
        return len(self.features)

    def order(self) -> torch.Tensor:
        """The example order of one pass: a fresh permutation from PyTorch's global generator
        when ``shuffle`` is true (the draw each pass of iteration makes), else ``0, 1, ...``."""
        n = len(self.features)
        return torch.randperm(n) if self.shuffle else torch.arange(n)

    def fetch(self, indices: torch.Tensor | slice) -> Batch:
        """The batch of the examples ``indices`` (a tensor of indices, or a slice), converted
        and transformed as iteration yields it."""
        if isinstance(indices, slice):
            X, y = self.features[indices], self.labels[indices]
        else:
            # index_select gathers rows 2-3x faster than advanced indexing (benchmarks/README.md)
            X, y = self.features.index_select(0, indices), self.labels.index_select(0, indices)
        if self.convert is not None:
            X = self.convert(X)
        if self.transform is not None:
            X = self.transform(X)
        return X, y

    def __iter__(self) -> Iterator[Batch]:
        n, b = len(self.features), self.batch_size
        order = self.order() if self.shuffle else None  # in order: slices, no gather
        for start in range(0, n, b):
            yield self.fetch(slice(start, start + b) if order is None else order[start : start + b])

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
    if not isinstance(data_arrays, (tuple, list)) or len(data_arrays) != 2:
        raise TypeError(
            "data_arrays must be a pair (features, labels) of tensors, got "
            f"{type(data_arrays).__name__}"
            + (f" of length {len(data_arrays)}" if isinstance(data_arrays, (tuple, list)) else "")
        )
    validate.boolean("is_train", is_train)
    features, labels = data_arrays
    return ArrayLoader(features, labels, batch_size, shuffle=is_train)
