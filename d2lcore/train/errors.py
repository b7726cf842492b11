"""The errors that stop :func:`d2lcore.fit` part-way and keep what the run had done."""

from __future__ import annotations

import math
from pathlib import Path

from .history import EpochStats, History

__all__ = ["TrainingError", "DivergedError", "EmptyPassError", "check_finite", "stopped"]


class TrainingError(RuntimeError):
    """An error that stopped :func:`fit` part-way, carrying what the run had done.

    ``epoch`` is the epoch that was running and ``history`` holds the epochs that finished
    before it, so a long run's numbers are not lost with the error. :func:`fit` raises it
    ``from`` the original error (a callback that raised, a loader that failed in a later epoch,
    a checkpoint that could not be written, ...) once at least one epoch has finished; the
    original is its ``__cause__``. An error before any epoch finished propagates unchanged, as
    there is nothing to keep. :class:`DivergedError` is the one raised for a NaN or inf loss.
    """

    def __init__(self, message: str, epoch: int = 0, history: History | None = None) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.history = history if history is not None else History()


class DivergedError(TrainingError, FloatingPointError):
    """The training loss became NaN or infinite. ``epoch`` is the epoch where it happened and
    ``history`` holds the epochs that finished before it (also in the first epoch)."""


class EmptyPassError(ValueError):
    """A loader that has a length (or none) but yielded no examples in a pass."""


def check_finite(stats: EpochStats, history: History) -> None:
    """Stop with :class:`DivergedError` (carrying the finished epochs) on a NaN or inf loss."""
    if not math.isfinite(stats.train_loss):
        raise DivergedError(
            f"the training loss became {stats.train_loss} in epoch {stats.epoch}; training "
            f"stopped. Try a smaller learning rate (the update overshot), check the "
            f"inputs for NaN, or use a numerically stable loss.",
            stats.epoch,
            history,
        )


def stopped(err: Exception, epoch: int, history: History, checkpoint: Path | None) -> TrainingError:
    """The :class:`TrainingError` for ``err``, which stopped epoch ``epoch`` (``checkpoint``:
    the file the finished epochs are also in, if any)."""
    kept = f"{len(history)} finished epoch(s) are in this error's .history"
    if checkpoint is not None:
        kept += f" and in {checkpoint}; fix the cause and pass d2l.Checkpoint(..., resume=True) to go on"
    first = str(err).splitlines()[0] if str(err) else ""
    return TrainingError(
        f"training stopped in epoch {epoch} by {type(err).__name__}: {first} (the {kept})",
        epoch,
        history,
    )
