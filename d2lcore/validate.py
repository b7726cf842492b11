"""Argument checks shared by every module, so that bad input gets one kind of message.

Each check raises ``ValueError`` (a wrong value) or ``TypeError`` (a wrong kind of thing)
with a message that names the argument, says what it got and what it expects. This module
imports nothing else of d2lcore.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real

import torch

__all__ = [
    "boolean",
    "positive_int",
    "non_negative_int",
    "positive_float",
    "probability",
    "tensor",
    "floating",
    "same_size",
    "generator",
    "floating_dtype",
    "device_name",
    "pair",
    "names",
]


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def boolean(name: str, value: object, *, optional: bool = False) -> bool | None:
    """Check that ``value`` is ``True`` or ``False`` (or ``None`` when ``optional``) and return
    it. A string such as ``"no"`` is refused: it is truthy, so accepting it would do the
    opposite of what it says. NumPy's bool is accepted as the bool it is."""
    if isinstance(value, bool):
        return value
    if optional and value is None:
        return None
    if type(value).__module__ == "numpy" and type(value).__name__ in ("bool_", "bool"):
        return bool(value)
    allowed = "True, False or None" if optional else "True or False"
    raise TypeError(f"{name} must be {allowed}, got {value!r} ({type(value).__name__})")


def _int_at_least(name: str, value: object, low: int) -> int:
    if not _is_int(value):
        raise TypeError(f"{name} must be an integer ≥ {low}, got {value!r} ({type(value).__name__})")
    if value < low:  # type: ignore[operator]
        raise ValueError(f"{name} must be an integer ≥ {low}, got {value!r}")
    return int(value)  # type: ignore[arg-type]


def positive_int(name: str, value: object) -> int:
    """Check that ``value`` is an integer ≥ 1 and return it."""
    return _int_at_least(name, value, 1)


def non_negative_int(name: str, value: object) -> int:
    """Check that ``value`` is an integer ≥ 0 and return it."""
    return _int_at_least(name, value, 0)


def positive_float(name: str, value: object) -> float:
    """Check that ``value`` is a finite real number > 0 (a learning rate, say) and return it."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number > 0, got {value!r} ({type(value).__name__})")
    if math.isnan(value) or math.isinf(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def probability(name: str, value: object, *, allow_one: bool = True) -> float:
    """Check that ``value`` is a real number in [0, 1] (or [0, 1) when ``allow_one`` is false)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number in [0, 1], got {value!r} ({type(value).__name__})")
    upper_ok = value <= 1 if allow_one else value < 1
    if math.isnan(value) or value < 0 or not upper_ok:
        interval = "[0, 1]" if allow_one else "[0, 1)"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return float(value)


def tensor(name: str, value: object, *, ndim: int | Sequence[int] | None = None) -> torch.Tensor:
    """Check that ``value`` is a tensor (of rank ``ndim``, or one of the ranks given)."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if ndim is not None:
        ranks = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if value.ndim not in ranks:
            want = " or ".join(str(r) for r in ranks)
            raise ValueError(
                f"{name} must have {want} dimensions, got shape {tuple(value.shape)} "
                f"({value.ndim} dimensions)"
            )
    return value


def floating(name: str, value: object, *, ndim: int | Sequence[int] | None = None) -> torch.Tensor:
    """Check that ``value`` is a floating-point tensor; integer images must be converted first."""
    t = tensor(name, value, ndim=ndim)
    if not t.is_floating_point():
        how = (f"{name}.float() / 255 (uint8 images hold 0–255)" if t.dtype == torch.uint8
               else f"{name}.float()")  # fmt: skip
        raise TypeError(
            f"{name} must be a floating-point tensor, got dtype {t.dtype}; convert it first: {how}"
        )
    return t


def same_size(name_a: str, a: torch.Tensor, name_b: str, b: torch.Tensor, dim: int = 0) -> None:
    """Check that ``a`` and ``b`` have the same length along ``dim`` (e.g. features and labels)."""
    if a.shape[dim] != b.shape[dim]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same size along dimension {dim}, got "
            f"{tuple(a.shape)} and {tuple(b.shape)}"
        )


def generator(name: str, value: object) -> None:
    """Check that ``value`` is a ``torch.Generator`` or ``None`` (an int is not a seed here)."""
    if value is not None and not isinstance(value, torch.Generator):
        raise TypeError(
            f"{name} must be a torch.Generator (or None), got {value!r} ({type(value).__name__}); "
            f"make one with torch.Generator().manual_seed(seed)"
        )


def device_name(name: str, value: object) -> torch.device | None:
    """``value`` (a device name such as ``'cuda:0'``, a ``torch.device`` or ``None``) as a
    ``torch.device``; a name PyTorch does not know raises a ``ValueError`` that names it, instead
    of PyTorch's list of twenty device types. ``d2lcore.device()`` also checks that the device
    is present; this only checks the name (for the from-scratch ops, which take any device)."""
    if value is None or isinstance(value, torch.device):
        return value
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a device name such as 'cpu' or 'cuda:0' (or a torch.device, or None), "
            f"got {value!r} ({type(value).__name__})"
        )
    try:
        return torch.device(value)
    except RuntimeError:
        raise ValueError(
            f"{name}: {value!r} is not a device name; use one such as 'cpu', 'cuda', 'cuda:1' or "
            f"'mps' (d2l.device() picks the best one present)"
        ) from None


def floating_dtype(name: str, value: object) -> None:
    """Check that ``value`` is a floating-point ``torch.dtype`` or ``None``."""
    if value is not None and not (isinstance(value, torch.dtype) and value.is_floating_point):
        raise TypeError(
            f"{name} must be a floating dtype such as torch.float32 (or None), got {value!r}"
        )


def pair(
    name: str, value: object, *, optional: bool = False, positive: bool = False,
    increasing: bool = False,
) -> None:
    """Check that ``value`` is a pair of finite numbers (both > 0 when ``positive``, a figure
    size in inches; ``low < high`` when ``increasing``, axis limits), or ``None`` when
    ``optional``."""
    if optional and value is None:
        return
    ok = (
        isinstance(value, (tuple, list)) and len(value) == 2
        and all(isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    )  # fmt: skip
    if ok and positive:
        ok = all(v > 0 for v in value)  # type: ignore[union-attr, operator]
    if ok and increasing:
        ok = value[0] < value[1]  # type: ignore[index]
    if not ok:
        want = "a pair of numbers > 0 (width, height) in inches" if positive else (
            "a pair (low, high) of finite numbers with low < high")
        raise ValueError(f"{name} must be {want}{' (or None)' if optional else ''}, got {value!r}")


def names(name: str, value: object, allowed: Sequence[str], *, optional: bool = False) -> None:
    """Check that ``value`` is a list of names, each one of ``allowed`` (or ``None`` when
    ``optional``); a lone string is refused, as it would be read letter by letter."""
    if optional and value is None:
        return
    if (
        isinstance(value, str) or not isinstance(value, Sequence)
        or any(not isinstance(v, str) or v not in allowed for v in value)
    ):  # fmt: skip
        raise ValueError(f"{name} must be a list of names from {list(allowed)}, got {value!r}")
