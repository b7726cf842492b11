"""The parts :func:`d2lcore.fit` takes besides the model, the data and the update (cf.
Lightning's callbacks and plugins, fastai's ``cbs``): one ``parts=[...]`` list of visible
objects, each doing one job.

- a callback (an object with some of :class:`~d2lcore.train.Callback`'s methods, such as
  :class:`d2lcore.Progress`);
- :class:`Checkpoint`: a file written after each epoch, and resuming from it;
- a precision policy, :class:`d2lcore.Precision` (resolved on the device fit trains on), or
  the settings it resolves to, :class:`d2lcore.FastSettings` (autocast dtype and layout);
- a learning-rate scheduler (``torch.optim.lr_scheduler.LRScheduler``), stepped per batch;
- :class:`TestLoss`: evaluate the mean loss on ``test_iter`` too (by default: regression).
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .. import validate
from ..precision import FastSettings, Precision
from . import callbacks as cbs
from .checkpoint import (
    check_not_folder,
    checkpoint_path,
    make_parent,
    read_checkpoint,
    restore,
    same_scheduler,
    save_checkpoint,
)
from .history import History

__all__ = ["Checkpoint", "TestLoss", "Parts", "sort", "PART_KINDS"]

PART_KINDS = ("a callback", "d2l.Checkpoint", "d2l.Precision", "d2l.FastSettings",
              "a learning-rate scheduler", "d2l.TestLoss")  # fmt: skip


@dataclass(frozen=True)
class Checkpoint:
    """fit's checkpoint: ``path`` is written atomically after each epoch (its folder is
    created and trial-written before training, so a bad path fails at once). With
    ``resume=True`` an existing file is loaded first and training continues after its last
    epoch; resuming warns where it cannot restore everything (more epochs than asked for, no
    optimizer state, another learning rate, a schedule that no scheduler goes on with) and
    refuses a scheduler of another class before anything loads."""

    path: str | os.PathLike[str]
    resume: bool = False

    def __post_init__(self) -> None:
        checkpoint_path("checkpoint", self.path)
        validate.boolean("resume", self.resume)

    @property
    def file(self) -> Path:
        """``path`` as a ``Path``, ``~`` expanded."""
        return checkpoint_path("checkpoint", self.path)

    def before_train(self, net: nn.Module, optimizer: torch.optim.Optimizer | None, scheduler: Any,
                     num_epochs: int) -> History:  # fmt: skip
        """Check that the file can be written, then return the history to continue: the
        checkpoint's when resuming from an existing file, else an empty one."""
        path = self.file
        _trial_write(path)
        if not (self.resume and path.exists()):
            return History()
        state = read_checkpoint(path)
        if scheduler is not None and state["scheduler"] is not None:
            same_scheduler(path, scheduler, state)  # before any warning about its rates
        _resume_warnings(path, optimizer, scheduler, state)
        history = restore(path, state, net, optimizer, scheduler, restore_rng=True, stacklevel=4)
        history.interrupted = False
        if len(history) > num_epochs:
            warnings.warn(
                f"resume: {path} already holds {len(history)} epochs, more than "
                f"num_epochs={num_epochs}; nothing is trained and its {len(history)} epochs are "
                f"returned. Pass num_epochs > {len(history)} to train on.",
                stacklevel=3,
            )
        if optimizer is None and history.epochs:
            warnings.warn(
                f"resume: updater is a function, so {path} holds no optimizer state; any "
                "state the updater keeps (momentum, say) starts afresh. Pass a "
                "torch.optim.Optimizer to have its state saved and resumed.",
                stacklevel=3,
            )
        return history

    def after_epoch(self, net: nn.Module, optimizer: torch.optim.Optimizer | None, scheduler: Any,
                    history: History) -> None:  # fmt: skip
        """Write the checkpoint of the epochs finished so far."""
        save_checkpoint(self.file, net, optimizer, history, scheduler)


def _trial_write(path: Path) -> None:
    """Create the folder and write and delete a small file next to the checkpoint, so a path
    that cannot be written fails before an epoch is spent."""
    check_not_folder("checkpoint", path)
    make_parent(path, "checkpoint")
    trial = path.with_name(f".{path.name}.{os.getpid()}.trial")
    try:
        trial.write_bytes(b"d2lcore")
    except OSError as err:
        raise ValueError(
            f"checkpoint: cannot write in the folder of {path} ({type(err).__name__}: "
            f"{err.strerror}); pass a path in a folder you can write to"
        ) from err
    finally:
        trial.unlink(missing_ok=True)


def _resume_warnings(path: Path, optimizer: torch.optim.Optimizer | None, scheduler: Any,
                     state: dict[str, Any]) -> None:  # fmt: skip
    """What resuming would change silently: the learning rate the checkpoint brings back
    differs from the optimizer's, or a saved schedule is dropped for want of a scheduler."""
    saved_opt = state["optimizer"]
    if optimizer is not None and isinstance(saved_opt, dict):
        for i, (ours, theirs) in enumerate(zip(optimizer.param_groups, saved_opt.get("param_groups", []))):
            key = "initial_lr" if "initial_lr" in ours and "initial_lr" in theirs else "lr"
            try:
                mine, saved = float(ours.get(key)), float(theirs.get(key))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
            if not math.isclose(mine, saved, rel_tol=1e-12, abs_tol=0.0):
                what = "initial learning rate" if key == "initial_lr" else "learning rate"
                warnings.warn(
                    f"resume: {path} was saved with the {what} {saved:g} (param group {i}), but "
                    f"updater has {key}={mine:g}; loading the optimizer's state brings back "
                    f"{saved:g}, so training goes on at the saved rate. To train at {mine:g}, "
                    "start afresh (resume=False, or another checkpoint path)",
                    stacklevel=4,
                )
                break
    if scheduler is None and state["scheduler"] is not None:
        saved_class = str(state.get("scheduler_class") or "a scheduler").rsplit(".", 1)[-1]
        warnings.warn(
            f"resume: {path} holds the state of a {saved_class} learning-rate schedule, but no "
            "scheduler was passed, so the rate stays where the checkpoint left it; pass the "
            f"same scheduler (parts=[{saved_class}(updater, ...)]) to go on with the schedule",
            stacklevel=4,
        )


@dataclass(frozen=True)
class TestLoss:
    """Have fit evaluate the mean loss on ``test_iter`` after each epoch (``TestLoss()``), or
    not (``TestLoss(False)``); without this part, only a regression's test loss is evaluated
    (a classifier's test accuracy always is)."""

    __test__ = False  # not a pytest test class
    enabled: bool = True

    def __post_init__(self) -> None:
        validate.boolean("enabled", self.enabled)


@dataclass
class Parts:
    """``parts`` sorted by job."""

    callbacks: list[Any] = field(default_factory=list)
    checkpoint: Checkpoint | None = None
    precision: Precision | FastSettings | None = None
    scheduler: Any = None
    test_loss: bool | None = None

    def settings(self, device: torch.device) -> FastSettings:
        """The autocast dtype and layout on ``device`` (float32 and NCHW without a policy)."""
        if isinstance(self.precision, Precision):
            return self.precision.resolve(device)
        return self.precision or FastSettings(autocast=None, channels_last=False)


def sort(parts: object) -> Parts:
    """``parts`` (one part or a list of them) sorted by job; each kind at most once (callbacks
    any number of times), ``None`` entries skipped (``[Checkpoint(p) if p else None]``),
    anything else refused with the kinds fit accepts."""
    if parts is None:
        return Parts()
    items = list(parts) if isinstance(parts, (list, tuple)) else [parts]
    out = Parts()
    slots = {Checkpoint: "checkpoint", Precision: "precision", FastSettings: "precision",
             TestLoss: "test_loss"}  # fmt: skip
    for i, part in enumerate(items):
        if part is None:
            continue
        name = f"parts[{i}]"
        slot = next((v for k, v in slots.items() if isinstance(part, k)), None)
        if slot is None and isinstance(part, torch.optim.lr_scheduler.LRScheduler):
            slot = "scheduler"
        if slot is None:
            cbs.check(name, part, also=f"one of {', '.join(PART_KINDS)}: ")
            out.callbacks.append(part)
            continue
        if getattr(out, slot) is not None:
            raise ValueError(f"parts holds two {slot} parts ({name} is the second); pass one")
        setattr(out, slot, part.enabled if isinstance(part, TestLoss) else part)
    return out
