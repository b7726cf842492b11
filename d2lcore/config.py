"""Settings decided in one place: the run mode, the data root, the device and the seed.

Nothing else in d2lcore (and no notebook) reads an environment variable: they call these
functions. Environment variables:

``D2LCORE_QUICK``  ``1``/``true`` selects the *quick* mode (small budgets, used by CI);
                   anything else, or unset, is the *full* mode (the book's settings).
``D2LCORE_DATA``   the folder that holds ``FashionMNIST/raw/``.
``D2LCORE_RESULTS`` the folder where trained sections record their results.
``D2LCORE_DEVICE`` a device name (``cpu``, ``cuda``, ``cuda:1``, ``mps``) to use by default.
``D2LCORE_TUNE_MALLOC`` ``0``/``false`` stops :func:`tune_malloc` from changing glibc's malloc.
``D2LCORE_PRECISION`` ``auto`` (bfloat16 where the device computes it natively), ``float32`` or
                   ``bfloat16``: overrides :mod:`d2lcore.precision`'s hardware choice.
``D2LCORE_DIST_TIMEOUT`` seconds the processes of a ``torchrun`` launch wait for each other to
                   meet (default 120) before :mod:`d2lcore.distributed` gives up with an error.
"""

from __future__ import annotations

import ctypes
import math
import os
import platform
import random
import sys
from numbers import Real
from pathlib import Path
from typing import Literal, TypeVar

import torch

from . import validate

__all__ = [
    "Mode",
    "mode",
    "is_quick",
    "choose",
    "epochs",
    "num_examples",
    "data_root",
    "results_dir",
    "default_cache_dir",
    "device",
    "seed",
    "requested_precision",
    "onednn_max_isa",
    "tune_malloc",
]

T = TypeVar("T")
Mode = Literal["full", "quick"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def mode() -> Mode:
    """The run mode: ``"quick"`` when ``D2LCORE_QUICK`` is true, else ``"full"``.

    Read on every call, so a test (or a reader) can switch it with ``os.environ``.
    """
    raw = os.environ.get("D2LCORE_QUICK", "").strip().lower()
    if raw in _TRUE:
        return "quick"
    if raw in _FALSE:
        return "full"
    raise ValueError(
        f"D2LCORE_QUICK={raw!r} is not understood; expected one of "
        f"{sorted(_TRUE | _FALSE - {''})} (or unset for the full mode)"
    )


def is_quick() -> bool:
    """True in the quick mode (``D2LCORE_QUICK=1``)."""
    return mode() == "quick"


def choose(full: T, quick: T) -> T:
    """Return ``full`` in the full mode and ``quick`` in the quick mode: the one switch."""
    return quick if is_quick() else full


def epochs(full: int, quick: int = 1) -> int:
    """The number of epochs to train: the book's ``full`` count, or ``min(full, quick)``."""
    validate.non_negative_int("full", full)
    validate.non_negative_int("quick", quick)
    return min(full, quick) if is_quick() else full


def num_examples(full: int, quick_fraction: float = 0.1, minimum: int = 1) -> int:
    """A data-set size: ``full`` in the full mode, ``ceil(full * quick_fraction)`` in quick.

    ``minimum`` keeps the quick size from falling below what an example needs.
    """
    validate.positive_int("full", full)
    validate.positive_int("minimum", minimum)
    if isinstance(quick_fraction, bool) or not isinstance(quick_fraction, Real):
        raise TypeError(
            f"quick_fraction must be a number in (0, 1], got {quick_fraction!r} "
            f"({type(quick_fraction).__name__})"
        )
    if not 0 < quick_fraction <= 1:
        raise ValueError(f"quick_fraction must be in (0, 1], got {quick_fraction!r}")
    if not is_quick():
        return full
    return min(full, max(minimum, math.ceil(full * quick_fraction)))


def default_cache_dir() -> Path:
    """The per-user cache folder: ``$XDG_CACHE_HOME/d2lcore`` or ``~/.cache/d2lcore``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "d2lcore"


def data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The folder that holds the data sets, decided in this order:

    1. the ``root`` argument, when given;
    2. the ``D2LCORE_DATA`` environment variable, when set and not empty (a relative path is
       relative to the launch folder, ``$PWD``, not to a notebook's folder);
    3. :func:`default_cache_dir` ``/ "data"``.
    """
    if root is not None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(
                f"root must be a folder path (str or pathlib.Path), got {root!r} "
                f"({type(root).__name__})"
            )
        if not str(root).strip():
            raise ValueError("root must be a folder path, got an empty string; pass None to use "
                             "D2LCORE_DATA or the cache folder")
        return Path(root).expanduser()
    env = _env_path("D2LCORE_DATA")
    return env if env is not None else default_cache_dir() / "data"


def _env_path(name: str) -> Path | None:
    """The folder named by the environment variable ``name`` (None when unset or blank).

    A relative path is taken relative to the folder the reader launched from (``$PWD``, which
    a Jupyter kernel inherits while its own working directory is the notebook's folder), so
    ``D2LCORE_DATA=../shared/data`` means the same folder in a script, under nbval and in
    JupyterLab.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    if path.is_absolute():
        return path
    launched = os.environ.get("PWD", "")
    base = Path(launched) if launched and os.path.isabs(launched) and os.path.isdir(launched) else Path.cwd()
    return base / path


def results_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The folder where notebooks record their training results for the results page:
    ``path``, else ``D2LCORE_RESULTS``, else :func:`default_cache_dir` ``/ "results"``."""
    if path is not None:
        return Path(path).expanduser()
    env = _env_path("D2LCORE_RESULTS")
    return env if env is not None else default_cache_dir() / "results"


def device(name: str | torch.device | None = None) -> torch.device:
    """The device to compute on: ``name`` if given, else ``D2LCORE_DEVICE``, else the best one
    present (``cuda``, then ``mps``, then ``cpu``).

    An unknown or absent device raises a ``ValueError`` that says which devices exist here.
    """
    source = "device"
    if isinstance(name, torch.device):
        name = str(name)
    if name is None:
        name = os.environ.get("D2LCORE_DEVICE", "").strip() or None
        source = "D2LCORE_DEVICE"
    if name is not None and not isinstance(name, str):
        raise TypeError(
            f"device must be a device name such as 'cpu' or 'cuda:0' (or a torch.device), got "
            f"{name!r} ({type(name).__name__})"
        )
    if name is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    available = _available_devices()
    try:
        dev = torch.device(name)
    except (RuntimeError, TypeError) as err:
        raise ValueError(
            f"{source}: {name!r} is not a device name; expected one of {available}"
        ) from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{source}: {name!r} asked for, but CUDA is not available; use one of {available}")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(f"{source}: {name!r} does not exist; this machine has {available}")
    if dev.type == "mps" and "mps" not in available:
        raise ValueError(f"{source}: {name!r} asked for, but MPS is not available; use one of {available}")
    if dev.type not in {"cpu", "cuda", "mps"}:
        raise ValueError(f"{source}: {name!r} is not supported; expected one of {available}")
    if dev.type in {"cpu", "mps"} and dev.index not in (None, 0):
        raise ValueError(
            f"{source}: {name!r} does not exist (there is one {dev.type} device); use one of "
            f"{available}"
        )
    return dev


def env_device() -> torch.device | None:
    """The device ``D2LCORE_DEVICE`` names, checked (None when unset or blank).

    Functions whose default is the model's own device (:func:`d2lcore.fit`, the evaluation
    functions) still call this, so that a typo in the variable raises instead of being
    silently ignored.
    """
    if not os.environ.get("D2LCORE_DEVICE", "").strip():
        return None
    return device()


def mps_available() -> bool:
    """True where Apple's MPS device is present (a Mac with Apple silicon and a PyTorch built
    with MPS); the one place d2lcore asks."""
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _available_devices() -> list[str]:
    names = ["cpu"]
    if torch.cuda.is_available():
        names += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if mps_available():
        names.append("mps")
    return names


PRECISIONS = ("auto", "float32", "bfloat16")


def requested_precision(default: str = "auto") -> str:
    """The precision ``D2LCORE_PRECISION`` asks for: ``"auto"``, ``"float32"`` or
    ``"bfloat16"``; ``default`` when it is unset or blank. :mod:`d2lcore.precision` turns
    ``"auto"`` into the device's fast precision.

    A value outside the three raises a ``ValueError`` that names the variable and the choices.
    """
    if default not in PRECISIONS:
        raise ValueError(f"default must be one of {list(PRECISIONS)}, got {default!r}")
    raw = os.environ.get("D2LCORE_PRECISION", "").strip().lower()
    if not raw:
        return default
    if raw not in PRECISIONS:
        raise ValueError(
            f"D2LCORE_PRECISION={raw!r} is not understood; expected one of {list(PRECISIONS)} "
            f"(auto: bfloat16 only where the device computes it natively), or unset it"
        )
    return raw


def onednn_max_isa() -> str | None:
    """The instruction set oneDNN is capped at by ``ONEDNN_MAX_CPU_ISA`` (or its older name
    ``DNNL_MAX_CPU_ISA``), upper-case (``"AVX2"``); None when neither is set. oneDNN reads the
    variable once, when it first runs a kernel; :mod:`d2lcore.precision` asks this to know which
    of oneDNN's kernels a CPU runs."""
    for name in ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"):
        raw = os.environ.get(name, "").strip().upper()
        if raw:
            return raw
    return None


_SEED_BOUND = 2**64  # torch.manual_seed takes a 64-bit unsigned seed


def seed(value: int = 0) -> None:
    """Seed Python's, NumPy's (when installed) and PyTorch's generators, and ask PyTorch for
    deterministic kernels where it has them, so that a run on the CPU repeats bit for bit.
    """
    validate.non_negative_int("seed", value)
    if value >= _SEED_BOUND:
        raise ValueError(
            f"seed must be an integer in [0, 2**64 - 1] (PyTorch's seed range), got {value!r}"
        )
    random.seed(value)
    torch.manual_seed(value)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy ships with torch's usual installs
        pass
    else:
        np.random.seed(value % 2**32)
    _deterministic_algorithms()


def _deterministic_algorithms() -> None:
    """``torch.use_deterministic_algorithms(True, warn_only=True)``, without its cost on a CPU.

    The public call imports ``torch._inductor`` to set the compiler's flag too, which takes
    seconds (a third of a quick notebook's budget). Eager CPU and GPU kernels only need the
    core flag; the compiler's is set as well once ``torch._inductor`` is loaded or a GPU is
    present.
    """
    core = getattr(torch._C, "_set_deterministic_algorithms", None)
    if core is None or "torch._inductor.config" in sys.modules or torch.cuda.is_available():
        torch.use_deterministic_algorithms(True, warn_only=True)
    else:
        core(True, warn_only=True)


# glibc's mallopt(3) parameters, and the values tune_malloc sets.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD = 32 * 1024 * 1024  # the largest glibc accepts on 64-bit machines
_TRIM_THRESHOLD = 1024 * 1024 * 1024
_malloc_tuned: bool | None = None  # decided once per process


def tune_malloc() -> bool:
    """Let glibc's ``malloc`` keep freed memory for reuse, so that training steps stop
    page-faulting. Called by :func:`d2lcore.fit`; safe to call any number of times.

    PyTorch's CPU tensors come from ``malloc``. With glibc's defaults, a large block is mapped
    fresh from the kernel and unmapped when freed, and free memory at the top of the heap is
    handed back, so each step's activations arrive as new zero-filled pages: LeNet at batch
    256 took about 2,400 page faults per step, a third of its time. This raises the mmap
    threshold to 32 MiB (glibc's maximum) and the trim threshold to 1 GiB, so the memory a
    step frees serves the next one. Peak memory does not grow; the process just gives freed
    memory back to the system later.

    Returns ``True`` when the settings are in effect, ``False`` where they do not apply (not
    Linux with glibc) or ``D2LCORE_TUNE_MALLOC`` is ``0``/``false``.
    """
    global _malloc_tuned
    if _malloc_tuned is None:
        _malloc_tuned = _apply_malloc_tuning()
    return _malloc_tuned


def _apply_malloc_tuning() -> bool:
    setting = os.environ.get("D2LCORE_TUNE_MALLOC", "").strip().lower()
    if setting in _FALSE - {""}:
        return False
    if setting and setting not in _TRUE:
        raise ValueError(
            f"D2LCORE_TUNE_MALLOC must be 1/true/yes/on or 0/false/no/off, got {setting!r}"
        )
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # pragma: no cover - glibc always has both
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # mallopt returns 1 on success, 0 when glibc rejects the value.
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    )


# The variables torchrun sets in every process it starts (read by d2lcore.distributed).
TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def launcher_env() -> dict[str, str]:
    """The torchrun variables (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``,
    ``MASTER_PORT``) that are set and not blank in this process; empty without torchrun.
    :mod:`d2lcore.distributed` checks them."""
    return {k: os.environ[k].strip() for k in TORCHRUN_VARIABLES if os.environ.get(k, "").strip()}


DIST_TIMEOUT = 120.0  # seconds: long enough for a slow machine to start, short enough to notice


def dist_timeout() -> float:
    """Seconds the processes of a ``torchrun`` launch wait for each other to meet (the
    rendezvous at ``MASTER_ADDR:MASTER_PORT``): ``D2LCORE_DIST_TIMEOUT``, default 120.

    A value that is not a number > 0 raises a ``ValueError`` naming the variable.
    """
    raw = os.environ.get("D2LCORE_DIST_TIMEOUT", "").strip()
    if not raw:
        return DIST_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"D2LCORE_DIST_TIMEOUT must be a number of seconds > 0 (e.g. 120), got {raw!r}; "
            "unset it for the default of 120 s"
        )
    return value
