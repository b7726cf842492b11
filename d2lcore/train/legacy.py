"""fit's keyword arguments from before its parts (``test_loss``, ``scheduler``, ``callback``,
``checkpoint``, ``resume``, ``channels_last``, ``autocast``): they keep working for one
release, each call warning once with a ``DeprecationWarning`` that names the new form."""

from __future__ import annotations

import warnings
from typing import Any

import torch

from .. import validate
from ..precision import FastSettings
from . import callbacks as cbs
from .parts import Checkpoint, Parts

__all__ = ["NAMES", "apply"]

NAMES = ("test_loss", "scheduler", "callback", "checkpoint", "resume", "channels_last", "autocast")


def apply(parts: Parts, kwargs: dict[str, Any], stacklevel: int = 3) -> None:
    """Fold the deprecated keyword arguments ``kwargs`` into ``parts`` (an unknown name is a
    TypeError, as Python gives it; a job given both ways is a ValueError)."""
    unknown = [k for k in kwargs if k not in NAMES]
    if unknown:
        raise TypeError(f"fit() got an unexpected keyword argument {unknown[0]!r}")
    if not kwargs:
        return
    new: list[str] = []
    if "callback" in kwargs:
        callbacks = cbs.as_list(kwargs["callback"])
        parts.callbacks.extend(callbacks)
        new += [f"{type(cb).__name__}(...)" for cb in callbacks]
    if "scheduler" in kwargs and kwargs["scheduler"] is not None:
        _set(parts, "scheduler", kwargs["scheduler"])
        new.append("scheduler")
    if "test_loss" in kwargs and kwargs["test_loss"] is not None:
        validate.boolean("test_loss", kwargs["test_loss"], optional=True)
        _set(parts, "test_loss", kwargs["test_loss"])
        new.append("d2l.TestLoss()" if kwargs["test_loss"] else "d2l.TestLoss(False)")
    checkpoint, resume = kwargs.get("checkpoint"), kwargs.get("resume", False)
    validate.boolean("resume", resume)
    if resume and checkpoint is None:
        raise ValueError("resume=True needs a checkpoint path to resume from")
    if checkpoint is not None:
        _set(parts, "checkpoint", Checkpoint(checkpoint, resume))
        new.append(f"d2l.Checkpoint({str(checkpoint)!r}" + (", resume=True)" if resume else ")"))
    layout, dtype = kwargs.get("channels_last", False), kwargs.get("autocast")
    settings = FastSettings(autocast=dtype, channels_last=layout)
    check_settings(settings)
    if layout or dtype is not None:
        _set(parts, "precision", settings)
        if dtype in (None, torch.bfloat16):
            name = "float32" if dtype is None else "bfloat16"
            new.append(f"d2l.Precision({name!r}, channels_last={layout})")
        else:
            new.append(f"d2l.FastSettings(autocast={dtype}, channels_last={layout})")
    warnings.warn(
        f"fit({', '.join(f'{k}=' for k in kwargs)}) is deprecated and goes in the next release; "
        f"pass the parts instead: fit(..., parts=[{', '.join(new)}])",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def check_settings(settings: FastSettings) -> None:
    """An autocast dtype that is a floating dtype (or None), a layout that is True or False."""
    validate.boolean("channels_last", settings.channels_last)
    dtype = settings.autocast
    if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(
            f"autocast must be a floating dtype such as torch.bfloat16 (or None), got {dtype!r}"
        )


def _set(parts: Parts, slot: str, value: Any) -> None:
    if getattr(parts, slot) is not None:
        raise ValueError(
            f"fit got its {slot} twice: in parts and as the deprecated keyword argument; pass "
            "it in parts only"
        )
    setattr(parts, slot, value)
