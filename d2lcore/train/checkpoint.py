"""Checkpoints: the model's, optimiser's and scheduler's states, the history and the random
generators' states in one file, written atomically and loaded without running code from it
(``weights_only=True``), so that a run can stop and go on exactly where it was."""

from __future__ import annotations

import os
import random
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .. import validate
from . import checks
from .history import History

__all__ = [
    "save_checkpoint",
    "load_checkpoint",
    "rng_state",
    "set_rng_state",
    "atomic_save",
    "checkpoint_path",
    "check_not_folder",
    "make_parent",
    "read_checkpoint",
    "restore",
    "same_scheduler",
]

_KEYS = {"model", "optimizer", "scheduler", "history", "rng"}


def rng_state() -> dict[str, Any]:
    """The states of PyTorch's (CPU and every CUDA device's) and Python's generators."""
    state: dict[str, Any] = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned (a checkpoint stores Python's tuple as lists)."""
    torch.set_rng_state(state["torch"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def atomic_save(obj: object, path: Path) -> None:
    """``torch.save`` to a temporary file next to ``path``, then rename it over ``path``: a
    crash never leaves a half-written file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def checkpoint_path(name: str, path: object) -> Path:
    """``path`` as a ``Path`` (``~`` expanded); a TypeError naming ``name`` for a non-path."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"{name} must be a file path (str or pathlib.Path), got {path!r} ({type(path).__name__})"
        )
    return Path(path).expanduser()


def check_not_folder(name: str, path: Path) -> None:
    if path.is_dir() or not path.name:
        raise ValueError(
            f"{name}: {path} is a folder, not a checkpoint file; pass a file path in it, e.g. "
            f"{path / 'model.pt'}"
        )


def make_parent(path: Path, name: str) -> None:
    """Create ``path``'s folder, with a message that names the path when that is impossible."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as err:
        raise ValueError(
            f"{name}: cannot create the folder of {path}: a part of it is a file, not a folder "
            f"({err.filename}); pass a path in a folder"
        ) from err
    except OSError as err:
        raise ValueError(
            f"{name}: cannot create the folder of {path} ({type(err).__name__}: {err.strerror}); "
            "pass a path in a folder you can write to"
        ) from err


def save_checkpoint(
    path: str | os.PathLike[str],
    net: nn.Module,
    optimizer: torch.optim.Optimizer | None,
    history: History,
    scheduler: Any = None,
) -> None:
    """Save model, optimiser, scheduler, history and RNG states; written to a temporary file
    and renamed, so a crash never leaves a half-written checkpoint."""
    path = checkpoint_path("path", path)
    if not isinstance(net, nn.Module):
        raise TypeError(f"net must be an nn.Module (its state_dict is saved), got {type(net).__name__}")
    checks.optimizer(optimizer)
    checks.scheduler(scheduler, checkpointed=True)
    if not isinstance(history, History):
        raise TypeError(f"history must be a d2lcore History, got {type(history).__name__}")
    check_not_folder("path", path)
    make_parent(path, "path")
    state = {
        "model": net.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "scheduler_class": _class_name(scheduler) if scheduler is not None else None,
        "history": history.to_dict(),
        "rng": rng_state(),
    }
    atomic_save(state, path)


def load_checkpoint(
    path: str | os.PathLike[str],
    net: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    *,
    restore_rng: bool = True,
) -> History:
    """Load a checkpoint written by :func:`save_checkpoint` (with ``weights_only=True``, which
    runs no code from the file) into ``net`` (and ``optimizer``/``scheduler``); return its
    history.

    Warns when ``optimizer`` or ``scheduler`` is given but the file holds no state for it
    (it was saved with ``None``): that state then starts afresh (momentum, Adam's moments,
    the schedule's step).
    """
    return _load(path, net, optimizer, scheduler, restore_rng, stacklevel=3)


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint's dictionary, read without running code from the file (a file that is no
    d2lcore checkpoint raises a ValueError that says to delete it)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as err:
        raise ValueError(
            f"{path} is not a readable d2lcore checkpoint ({type(err).__name__}: {err}); "
            "delete it to start training afresh"
        ) from None
    if not isinstance(state, dict) or not _KEYS <= set(state):
        raise ValueError(
            f"{path} is not a d2lcore checkpoint (expected the keys {sorted(_KEYS)}); delete it "
            "to start training afresh"
        )
    return state


def _class_name(obj: object) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def same_scheduler(path: Path, scheduler: Any, state: dict[str, Any]) -> None:
    """The checkpoint's scheduler state must come from ``scheduler``'s class: another class's
    state loads without complaint and fails at its first step (StepLR's lacks OneCycleLR's
    ``max_lr``). Older checkpoints, without the class's name, are compared by their keys."""
    saved, given = state.get("scheduler_class"), _class_name(scheduler)
    if saved is None:
        theirs, ours = set(state["scheduler"]), set(scheduler.state_dict())
        if theirs == ours:
            return
        what = (f"another class's scheduler (its state has {sorted(theirs - ours)}, not "
                f"{sorted(ours - theirs)})")  # fmt: skip
    elif saved == given:
        return
    else:
        what = f"a {saved.rsplit('.', 1)[-1]} scheduler ({saved} != {given})"
    raise ValueError(
        f"{path} holds the state of {what}, but scheduler is a {type(scheduler).__name__}; a "
        "schedule's state only fits its own class. Pass the scheduler the checkpoint was written "
        "with, or start afresh (resume=False, or another checkpoint path)"
    )


def _load(
    path: str | os.PathLike[str],
    net: nn.Module,
    optimizer: torch.optim.Optimizer | None,
    scheduler: Any,
    restore_rng: bool,
    stacklevel: int,
) -> History:
    path = checkpoint_path("path", path)
    if not isinstance(net, nn.Module):
        raise TypeError(
            f"net must be an nn.Module (the checkpoint's state_dict is loaded into it), got "
            f"{type(net).__name__}"
        )
    checks.optimizer(optimizer)
    checks.scheduler(scheduler, checkpointed=True)
    validate.boolean("restore_rng", restore_rng)
    check_not_folder("path", path)
    return restore(path, read_checkpoint(path), net, optimizer, scheduler, restore_rng, stacklevel + 1)


def restore(path: Path, state: dict[str, Any], net: nn.Module, optimizer: torch.optim.Optimizer | None,
            scheduler: Any, restore_rng: bool, stacklevel: int) -> History:  # fmt: skip
    """Load a checkpoint's ``state`` (from :func:`read_checkpoint`) into ``net``,
    ``optimizer`` and ``scheduler`` (a scheduler of another class is refused before anything
    loads) and return its history; warn (at ``stacklevel``) for state that starts afresh."""
    if scheduler is not None and state["scheduler"] is not None:
        same_scheduler(path, scheduler, state)
    try:
        net.load_state_dict(state["model"])
        if optimizer is not None and state["optimizer"] is not None:
            optimizer.load_state_dict(state["optimizer"])
    except (RuntimeError, ValueError, KeyError) as err:
        raise ValueError(
            f"{path} was saved from a different model or optimizer and does not fit this one "
            f"({type(err).__name__}: {str(err).splitlines()[0]}); delete it, or pass another "
            "checkpoint path, to start training afresh"
        ) from None
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    for name, given in (("optimizer", optimizer), ("scheduler", scheduler)):
        if given is not None and state[name] is None:
            warnings.warn(
                f"{path} holds no {name} state (it was saved with {name}=None), so "
                f"{type(given).__name__}'s state starts afresh (momentum, moment estimates or "
                "the schedule's step restart)",
                stacklevel=stacklevel,
            )
    try:
        history = History.from_dict(state["history"])
    except (KeyError, TypeError, AttributeError) as err:
        raise ValueError(
            f"{path} is not a d2lcore checkpoint (its history does not read: "
            f"{type(err).__name__}: {err}); delete it to start training afresh"
        ) from None
    if restore_rng:
        set_rng_state(state["rng"])
    return history
