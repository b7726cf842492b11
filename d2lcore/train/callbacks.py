"""What :func:`d2lcore.fit` reports to: a :class:`Callback` is any object with some of four
methods (``d2lcore.progress`` provides the live plot and the text bar, so training knows
nothing of plotting)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from .errors import TrainingError, stopped
from .history import EpochStats, History

__all__ = ["Callback", "METHODS", "check", "as_list", "notify", "end"]


class Callback(Protocol):
    """What :func:`fit` reports to. Every method is optional."""

    def on_train_begin(self, num_epochs: int, num_batches: int, history: History) -> None: ...
    def on_batch_end(self, epoch: int, batch: int) -> None: ...
    def on_epoch_end(self, stats: EpochStats) -> None: ...
    def on_train_end(self, history: History) -> None: ...


METHODS = ("on_train_begin", "on_batch_end", "on_epoch_end", "on_train_end")


def check(name: str, cb: object, also: str = "") -> None:
    """``cb`` must be an object with at least one of :class:`Callback`'s methods (a string, a
    class or a stray value would be ignored); ``name`` is where it came from, ``also`` names
    what else that place accepts."""
    if isinstance(cb, type):
        raise TypeError(
            f"{name} is the class {cb.__name__}, not an object of it; pass an instance, "
            + (f"e.g. parts=[{cb.__name__}()]" if name.startswith("parts") else f"e.g. callback={cb.__name__}()")
        )
    methods = [m for m in METHODS if hasattr(cb, m)]
    if not methods or any(not callable(getattr(cb, m)) for m in methods):
        raise TypeError(
            f"{name} must be {also}an object with some of the methods {', '.join(METHODS)}"
            f" (such as d2l.Progress()), or a list of them, got {cb!r} ({type(cb).__name__})"
        )


def as_list(callback: Callback | Sequence[Callback] | None) -> list[Any]:
    """The callbacks as a list, each checked by :func:`check`."""
    if callback is None:
        return []
    many = isinstance(callback, (list, tuple))
    callbacks = list(callback) if many else [callback]
    for i, cb in enumerate(callbacks):
        check(f"callback[{i}]" if many else "callback", cb)
    return callbacks


def notify(callbacks: list[Any], method: str, *args: object) -> None:
    """Call ``method`` on every callback that has it (every method is optional)."""
    for cb in callbacks:
        fn = getattr(cb, method, None)
        if fn is not None:
            fn(*args)


def end(callbacks: list[Any], history: History, checkpoint: Path | None) -> None:
    """``on_train_end`` for every callback; an error there still carries the history."""
    try:
        notify(callbacks, "on_train_end", history)
    except Exception as err:
        if isinstance(err, TrainingError) or not history.epochs:
            raise
        raise stopped(err, len(history), history, checkpoint) from err
