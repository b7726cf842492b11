"""Which precision and memory layout are fast on a device: decided from the hardware, here only.

bfloat16 autocast pays only where the device computes bfloat16 natively: a CPU whose oneDNN
reports native bfloat16 (AVX512-BF16 or AMX), or a CUDA GPU with bfloat16 units. Elsewhere
(AVX2 CPUs, where oneDNN emulates bfloat16 6–14 times slower than float32; Apple's MPS, not
measured) float32 is the fast path. Every caller that wants speed asks this module::

    s = d2l.fast_settings(device)              # FastSettings(autocast=..., channels_last=...)
    d2l.fit(..., parts=[s])                     # or parts=[d2l.Precision()]: resolved by fit

:class:`Precision` is the same decision as a value a caller can hold and change
(``Precision("float32")`` forces float32, ``Precision(channels_last=False)`` the NCHW layout).
``D2LCORE_PRECISION=auto|float32|bfloat16`` (read by
:func:`d2lcore.config.requested_precision`) overrides the hardware's answer wherever a
``Precision`` is left at its default.

The CPU probe asks oneDNN once, on first use (never at import), and caches the answer. oneDNN
honours ``ONEDNN_MAX_CPU_ISA``: with ``ONEDNN_MAX_CPU_ISA=AVX2`` (the AVX2 profile of
``make test-avx2``) it reports no native bfloat16, as on an AVX2-only CPU.
"""

from __future__ import annotations

import functools
import platform
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from . import config

__all__ = [
    "FastSettings", "Precision", "fast_settings", "native_bf16", "cpu_native_bf16", "device_class",
    "onednn_avx2_kernels", "channels_last_hazards",
]  # fmt: skip

PrecisionName = Literal["auto", "float32", "bfloat16"]
_NAMES = ("auto", "float32", "bfloat16")
_DTYPES: dict[str, torch.dtype | None] = {"float32": None, "bfloat16": torch.bfloat16}


@functools.cache
def cpu_native_bf16() -> bool:
    """True where this CPU computes bfloat16 natively in oneDNN (AVX512-BF16 or AMX).

    Asked once per process and cached. The question goes through a private PyTorch op
    (``torch.ops.mkldnn._is_mkldnn_bf16_supported``), looked up guarded: where a release moves
    it, or PyTorch has no oneDNN, the answer is False (float32, always correct).
    """
    if not torch.backends.mkldnn.is_available():
        return False
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except Exception:  # noqa: BLE001 - AttributeError/RuntimeError when the op is missing
        return False


def _cuda_native_bf16(device: torch.device) -> bool:
    """True when the CUDA device has bfloat16 units (compute capability 8.0 and later)."""
    with torch.cuda.device(device):
        try:
            return bool(torch.cuda.is_bf16_supported(including_emulation=False))
        except TypeError:  # pragma: no cover - torch < 2.3 has no including_emulation
            return bool(torch.cuda.is_bf16_supported())


def native_bf16(device: str | torch.device | None = None) -> bool:
    """True where ``device`` (default: :func:`d2lcore.device`) computes bfloat16 natively: a CPU
    with native bfloat16 in oneDNN (:func:`cpu_native_bf16`) or a CUDA GPU with bfloat16 units.
    False on Apple's MPS (not measured) and on every other device."""
    dev = config.device(device)
    if dev.type == "cpu":
        return cpu_native_bf16()
    if dev.type == "cuda":
        return _cuda_native_bf16(dev)
    return False


def device_class(device: str | torch.device | None = None) -> str:
    """The class of hardware that decides speed and precision, for records beside each figure:
    on a CPU, PyTorch's instruction set and whether bfloat16 is native (``"CPU AVX2, bfloat16
    emulated"``, ``"CPU AVX512, bfloat16 native"``); on a GPU, its name."""
    dev = config.device(device)
    if dev.type == "cpu":
        isa = torch.backends.cpu.get_cpu_capability()
        return f"CPU {isa}, bfloat16 {'native' if cpu_native_bf16() else 'emulated'}"
    if dev.type == "cuda":
        native = "native" if _cuda_native_bf16(dev) else "emulated"
        return f"CUDA {torch.cuda.get_device_name(dev)}, bfloat16 {native}"
    return dev.type.upper()


@dataclass(frozen=True)
class FastSettings:
    """The fast settings for one device, as :func:`d2lcore.fit` takes them.

    ``autocast``: ``torch.bfloat16`` where the device computes it natively (or where it was
    asked for), ``None`` for float32. ``channels_last``: whether conv nets should use the
    channels-last memory layout.
    """

    autocast: torch.dtype | None
    channels_last: bool

    @property
    def precision(self) -> str:
        """``"bfloat16"`` or ``"float32"``: the name of the precision these settings compute in."""
        return "float32" if self.autocast is None else str(self.autocast).removeprefix("torch.")


def _check_name(name: object) -> PrecisionName:
    if not isinstance(name, str) or name not in _NAMES:
        raise ValueError(
            f"precision must be one of {list(_NAMES)} (or None for D2LCORE_PRECISION's choice), "
            f"got {name!r}"
        )
    return name  # type: ignore[return-value]


@dataclass(frozen=True)
class Precision:
    """A precision policy: ``"auto"`` (bfloat16 where the device computes it natively, else
    float32), ``"float32"`` or ``"bfloat16"``, plus the memory layout (``"auto"``, True, False).

    ``Precision()`` leaves the choice to ``D2LCORE_PRECISION`` when it is set and to the
    hardware otherwise; an explicit name wins over the variable. :meth:`resolve` turns the
    policy into the :class:`FastSettings` for one device.
    """

    name: PrecisionName | None = None
    channels_last: bool | Literal["auto"] = "auto"

    def __post_init__(self) -> None:
        if self.name is not None:
            _check_name(self.name)
        if self.channels_last != "auto" and not isinstance(self.channels_last, bool):
            raise ValueError(
                f"channels_last must be True, False or 'auto', got {self.channels_last!r}"
            )

    def resolve(self, device: str | torch.device | None = None) -> FastSettings:
        """The autocast dtype and layout this policy gives on ``device`` (default:
        :func:`d2lcore.device`)."""
        dev = config.device(device)
        name = self.name if self.name is not None else config.requested_precision()
        if name == "auto":
            name = "bfloat16" if native_bf16(dev) else "float32"
        layout = self.channels_last
        if layout == "auto":
            layout = _fast_layout(dev)
        return FastSettings(autocast=_DTYPES[name], channels_last=bool(layout))


def _fast_layout(device: torch.device) -> bool:
    """Channels-last where it is measured to pay (benchmarks/README.md): CPUs with oneDNN (both
    CPU classes) and CUDA GPUs; NCHW on MPS and on CPUs without oneDNN."""
    if device.type == "cpu":
        return torch.backends.mkldnn.is_available()
    return device.type == "cuda"


def fast_settings(device: str | torch.device | None = None) -> FastSettings:
    """The fast settings for ``device``: ``Precision().resolve(device)``, i.e. bfloat16 autocast
    where the device computes it natively (or ``D2LCORE_PRECISION`` says so), float32 elsewhere,
    and the memory layout measured fastest there."""
    return Precision().resolve(device)


#: oneDNN's instruction-set caps below AVX-512 (``ONEDNN_MAX_CPU_ISA``)
_BELOW_AVX512 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2")


def onednn_avx2_kernels() -> bool:
    """True where oneDNN runs its AVX2 (or older) kernels on this CPU: an x86 CPU without
    AVX-512 (PyTorch's own capability stops below AVX512), or oneDNN capped there by
    ``ONEDNN_MAX_CPU_ISA`` (the AVX2 profile). False on other machines (ARM, no oneDNN)."""
    if not torch.backends.mkldnn.is_available():
        return False
    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686", "x86"):
        return False
    cap = config.onednn_max_isa()
    if cap is not None and cap in _BELOW_AVX512:
        return True
    return not torch.backends.cpu.get_cpu_capability().startswith("AVX512")


def channels_last_hazards(net: object, device: str | torch.device | None = None) -> list[str]:
    """The layers of ``net`` that compute a wrong gradient in the channels-last layout on
    ``device``; empty where there are none (then channels-last is safe there).

    oneDNN's AVX2 kernels (an AVX2-only CPU, most laptops; or ``ONEDNN_MAX_CPU_ISA=AVX2``)
    compute the *weight gradient* of a channels-last 1×1 convolution with stride 2 wrongly
    when it has fewer than 8 input channels per group (PyTorch 2.14, oneDNN 3.x: errors up to
    the gradient's own size; forward and input gradient are right; 3×3, stride 1 and stride 3
    are right; AVX-512 kernels are right). ResNet's downsampling shortcut on a narrow model is
    such a layer. ``tests/test_precision.py`` checks that the fault is still there, so this
    guard goes when oneDNN fixes it.
    """
    dev = config.device(device)
    if dev.type != "cpu" or not isinstance(net, nn.Module) or not onednn_avx2_kernels():
        return []
    found = []
    for name, m in net.named_modules():
        if (isinstance(m, nn.Conv2d) and tuple(m.kernel_size) == (1, 1) and 2 in tuple(m.stride)
                and m.in_channels // m.groups < 8):
            found.append(f"{name or type(m).__name__} ({m.in_channels}→{m.out_channels}, 1×1, "
                         f"stride {tuple(m.stride)})")
    return found
