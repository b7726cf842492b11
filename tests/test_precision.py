"""d2lcore.precision: bfloat16 only where the device computes it natively, float32 elsewhere."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

import d2lcore
from d2lcore import config, precision
from d2lcore import torch as book
from d2lcore.precision import FastSettings, Precision, fast_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Set what the CPU probe answers: ``probe(True)`` native bfloat16, ``probe(False)`` not."""
    monkeypatch.delenv("D2LCORE_PRECISION", raising=False)

    def answer(native: bool) -> None:
        monkeypatch.setattr(precision, "cpu_native_bf16", lambda: native)

    return answer


def test_auto_is_float32_where_the_cpu_emulates_bfloat16(probe) -> None:  # noqa: ANN001
    probe(False)
    assert fast_settings("cpu").autocast is None
    assert Precision().resolve("cpu") == FastSettings(autocast=None, channels_last=True)
    assert Precision("auto").resolve("cpu").precision == "float32"
    assert not d2lcore.native_bf16("cpu")


def test_auto_is_bfloat16_where_the_cpu_computes_it_natively(probe) -> None:  # noqa: ANN001
    probe(True)
    s = fast_settings("cpu")
    assert s.autocast is torch.bfloat16 and s.precision == "bfloat16"
    assert d2lcore.native_bf16("cpu")


def test_explicit_names_win_over_the_hardware(probe) -> None:  # noqa: ANN001
    probe(True)
    assert Precision("float32").resolve("cpu").autocast is None
    probe(False)
    assert Precision("bfloat16").resolve("cpu").autocast is torch.bfloat16
    assert Precision(channels_last=False).resolve("cpu").channels_last is False


def test_the_environment_overrides_auto(probe, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    probe(True)
    monkeypatch.setenv("D2LCORE_PRECISION", "float32")
    assert fast_settings("cpu").autocast is None
    assert Precision("bfloat16").resolve("cpu").autocast is torch.bfloat16  # explicit wins
    probe(False)
    monkeypatch.setenv("D2LCORE_PRECISION", " BFloat16 ")
    assert fast_settings("cpu").autocast is torch.bfloat16
    monkeypatch.setenv("D2LCORE_PRECISION", "auto")
    assert fast_settings("cpu").autocast is None
    monkeypatch.setenv("D2LCORE_PRECISION", "")
    assert config.requested_precision() == "auto"
    assert config.requested_precision("float32") == "float32"


@pytest.mark.parametrize("value", ["bf16", "fp32", "half", "1"])
def test_a_wrong_environment_value_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                    value: str) -> None:
    monkeypatch.setenv("D2LCORE_PRECISION", value)
    with pytest.raises(ValueError, match=r"D2LCORE_PRECISION='.+' is not understood; expected "
                                         r"one of \['auto', 'float32', 'bfloat16'\]"):
        fast_settings("cpu")


def test_wrong_arguments_are_clear_errors() -> None:
    with pytest.raises(ValueError, match=r"precision must be one of \['auto', 'float32', "
                                         r"'bfloat16'\].*got 'fp16'"):
        Precision("fp16")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="channels_last must be True, False or 'auto', got 1"):
        Precision(channels_last=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="default must be one of"):
        config.requested_precision("half")


def test_cuda_asks_the_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("D2LCORE_PRECISION", raising=False)
    monkeypatch.setattr(precision.config, "device", lambda d=None: torch.device("cuda"))
    for native in (True, False):
        monkeypatch.setattr(precision, "_cuda_native_bf16", lambda dev, n=native: n)
        s = fast_settings("cuda")
        assert s == FastSettings(torch.bfloat16 if native else None, channels_last=True)


def test_cuda_probe_asks_for_native_units_only(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []

    class NoSwitch:
        def __init__(self, device: object) -> None:
            seen.append(device)

        def __enter__(self) -> None:
            return None

        def __exit__(self, *exc: object) -> None:
            return None

    def is_bf16_supported(including_emulation: bool = True) -> bool:
        return including_emulation  # emulated only

    monkeypatch.setattr(torch.cuda, "device", NoSwitch)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", is_bf16_supported)
    assert precision._cuda_native_bf16(torch.device("cuda:1")) is False
    assert seen == [torch.device("cuda:1")]


def test_mps_computes_float32_in_nchw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("D2LCORE_PRECISION", raising=False)
    monkeypatch.setattr(precision.config, "device", lambda d=None: torch.device("mps"))
    monkeypatch.setattr(precision, "cpu_native_bf16", lambda: True)  # never asked for MPS
    assert fast_settings("mps") == FastSettings(autocast=None, channels_last=False)


def test_the_cpu_probe_asks_onednn_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    class Ops:
        def _is_mkldnn_bf16_supported(self) -> bool:
            calls.append(1)
            return True

    monkeypatch.setattr(torch.ops, "mkldnn", Ops())
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: True)
    precision.cpu_native_bf16.cache_clear()
    try:
        assert precision.cpu_native_bf16() and precision.cpu_native_bf16()
        assert calls == [1]
        precision.cpu_native_bf16.cache_clear()
        monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: False)
        assert precision.cpu_native_bf16() is False  # no oneDNN: float32
    finally:
        monkeypatch.undo()
        precision.cpu_native_bf16.cache_clear()


def _python(code: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh Python with d2lcore importable, D2LCORE_PRECISION unset, plus ``env``."""
    full = {k: v for k, v in os.environ.items() if k != "D2LCORE_PRECISION"}
    full.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full,
                          timeout=timeout)  # fmt: skip


def _run(code: str, **env: str) -> str:
    done = _python(code, **env)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_importing_d2lcore_runs_no_probe_and_the_avx2_cap_says_not_native() -> None:
    code = ("import d2lcore, d2lcore.torch\n"
            "from d2lcore.precision import cpu_native_bf16\n"
            "print(cpu_native_bf16.cache_info().currsize, cpu_native_bf16())")
    assert _run(code).split()[0] == "0"  # nothing asked at import
    # The AVX2 profile's oneDNN cap alone makes oneDNN (and so d2lcore) answer "not native".
    assert _run(code, ONEDNN_MAX_CPU_ISA="AVX2") == "0 False"


def _conv_net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(2 * 8 * 8, 3))


def _train_ch6_autocast(monkeypatch: pytest.MonkeyPatch) -> object:
    """The autocast dtype train_ch6 hands to fit (fit itself is stubbed)."""
    seen: dict[str, object] = {}

    def fake_fit(*args: object, **kwargs: object) -> d2lcore.History:
        seen.update(kwargs)
        return d2lcore.History()

    monkeypatch.setattr(book, "fit", fake_fit)
    it = d2lcore.load_array((torch.rand(4, 1, 8, 8), torch.tensor([0, 1, 2, 0])), 2)
    book.train_ch6(_conv_net(), it, it, 1, 0.1, "cpu")
    (settings,) = [p for p in seen["parts"] if isinstance(p, FastSettings)]  # type: ignore[attr-defined]
    return settings.autocast


def test_the_book_module_computes_float32_by_default(probe, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    probe(True)  # even where bfloat16 is native
    assert book.cpu_autocast is None
    assert _train_ch6_autocast(monkeypatch) is None


def test_the_book_module_opts_in_to_bfloat16(probe, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    probe(False)
    monkeypatch.setenv("D2LCORE_PRECISION", "bfloat16")
    assert _train_ch6_autocast(monkeypatch) is torch.bfloat16
    monkeypatch.setenv("D2LCORE_PRECISION", "auto")  # auto: the hardware's answer
    assert _train_ch6_autocast(monkeypatch) is None
    monkeypatch.delenv("D2LCORE_PRECISION")
    monkeypatch.setattr(book, "cpu_autocast", torch.bfloat16)
    assert _train_ch6_autocast(monkeypatch) is torch.bfloat16


# No page, benchmark or book-compatible function forces bfloat16 for speed: the dtype is named
# only in d2lcore.precision, in prose, and where a test or lesson computes in it on purpose.
_BF16_ALLOWED = {
    "d2lcore/precision.py",  # the one place that decides
    "d2lcore/ops/norm.py",  # keeps half-precision inputs' statistics in float32
    "d2lcore/train/",  # fit's docs and argument checks
    "d2lcore/models/pooling.py",  # which dtypes its kernel takes, as the probe answers
    "d2lcore/config.py",  # the names D2LCORE_PRECISION accepts
    "benchmarks/bench_ch07.py",  # --all-precisions: what forcing an emulated bfloat16 costs
}
# torch.bfloat16 / torch.float16 as a value, or Precision("bfloat16") forced in code.
_FORCED = re.compile(r"torch\.bfloat16|torch\.float16|[\"']bfloat16[\"']\s*\)")


def _code_of(path: Path) -> str:
    """A file's code: a page's code cells, or a Python file without comments and docstrings."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        text = "\n".join(re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", text, flags=re.S))
    text = re.sub(r'"""(.*?)"""', "", text, flags=re.S)
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def test_no_page_benchmark_or_book_function_forces_bfloat16() -> None:
    files = [*ROOT.glob("chapters/**/*.md"), *ROOT.glob("benchmarks/*.py"),
             *ROOT.glob("d2lcore/**/*.py"), *ROOT.glob("examples/*.py")]
    assert len(files) > 30
    offenders = [str(p.relative_to(ROOT)) for p in files
                 if not str(p.relative_to(ROOT)).startswith(tuple(_BF16_ALLOWED))
                 and _FORCED.search(_code_of(p))]
    assert offenders == [], (
        f"{offenders} name bfloat16 in code: ask d2l.fast_settings(device) (or "
        "d2l.Precision) for the precision instead, so that CPUs without native bfloat16 keep "
        "float32")


def test_the_guard_catches_a_forced_bfloat16(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("bfloat16 in prose is fine\n```{code-cell} ipython3\n"
                    "d2l.fit(net, it, loss, 1, opt, autocast=torch.bfloat16)\n```\n")
    assert _FORCED.search(_code_of(page))
    page.write_text("```{code-cell} ipython3\ns = d2l.Precision('bfloat16').resolve()\n```\n")
    assert _FORCED.search(_code_of(page))
    page.write_text("torch.bfloat16 in prose is fine\n```{code-cell} ipython3\n"
                    "s = d2l.fast_settings()  # not torch.bfloat16\n```\n")
    assert not _FORCED.search(_code_of(page))


def test_device_class_names_the_isa_and_bfloat16(probe, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    probe(False)
    assert d2lcore.device_class("cpu") == "CPU AVX2, bfloat16 emulated"
    probe(True)
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    assert d2lcore.device_class("cpu") == "CPU AVX512, bfloat16 native"


def test_history_and_results_say_which_precision_a_run_used(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("D2LCORE_QUICK", raising=False)
    torch.manual_seed(0)
    X, y = torch.rand(16, 1, 8, 8), torch.randint(0, 3, (16,))
    it = d2lcore.load_array((X, y), 8)
    seen = {}
    for dtype in (None, torch.bfloat16):  # bfloat16 on purpose: what the record says
        net = _conv_net()
        h = d2lcore.fit(net, it, nn.CrossEntropyLoss(), 1, torch.optim.SGD(net.parameters(), 0.1),
                        test_iter=it, parts=[FastSettings(autocast=dtype, channels_last=False)])
        assert h.precision == ("float32" if dtype is None else "bfloat16")
        assert d2lcore.History.from_dict(h.to_dict()).precision == h.precision
        path = d2lcore.record("7.1", f"net {h.precision}", h, directory=tmp_path, device="cpu")
        seen[h.precision] = path
    results = {r.name: r for r in d2lcore.load_results(tmp_path, mode="full")}
    assert results["net float32"].precision == "float32"
    assert results["net bfloat16"].precision == "bfloat16"
    assert results["net float32"].device_class == d2lcore.device_class("cpu")


# --- oneDNN's AVX2 fault in channels-last 1×1 stride-2 convolutions ---------------------------

_X86_ONEDNN = pytest.mark.skipif(
    not torch.backends.mkldnn.is_available() or platform.machine() not in ("x86_64", "AMD64"),
    reason="oneDNN's x86 kernels only")
_HAZARD_NET = (nn.Conv2d(4, 8, 1, stride=2), nn.Conv2d(8, 16, 1, stride=2),
               nn.Conv2d(4, 8, 3, stride=2), nn.Conv2d(4, 8, 1, stride=1))


def test_onednn_max_isa_reads_either_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    assert config.onednn_max_isa() is None
    monkeypatch.setenv("DNNL_MAX_CPU_ISA", "avx2")
    assert config.onednn_max_isa() == "AVX2"
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", " avx512_core ")
    assert config.onednn_max_isa() == "AVX512_CORE"


def test_channels_last_hazards_name_narrow_1x1_stride_2_convolutions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    net = nn.Sequential(*_HAZARD_NET)
    monkeypatch.setattr(precision, "onednn_avx2_kernels", lambda: True)
    assert precision.channels_last_hazards(net, "cpu") == ["0 (4→8, 1×1, stride (2, 2))"]
    # grouped: 16 input channels in 4 groups is 4 per group
    grouped = nn.Conv2d(16, 16, 1, stride=2, groups=4)
    assert precision.channels_last_hazards(grouped, "cpu") == ["Conv2d (16→16, 1×1, stride (2, 2))"]
    monkeypatch.setattr(precision, "onednn_avx2_kernels", lambda: False)
    assert precision.channels_last_hazards(net, "cpu") == []


@_X86_ONEDNN
def test_onednn_avx2_kernels_follow_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert precision.onednn_avx2_kernels()
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    avx512 = torch.backends.cpu.get_cpu_capability().startswith("AVX512")
    assert precision.onednn_avx2_kernels() == (not avx512)


def test_fit_trains_a_hazardous_model_in_nchw_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision, "onednn_avx2_kernels", lambda: True)
    X, y = torch.rand(8, 4, 8, 8), torch.tensor([0, 1] * 4)
    it = d2lcore.load_array((X, y), 4)

    def net() -> nn.Module:
        d2lcore.seed(0)
        return nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 8, 1, stride=2),
                             nn.Flatten(), nn.Linear(8 * 4 * 4, 2))

    def train(model: nn.Module) -> None:
        d2lcore.fit(model, it, nn.CrossEntropyLoss(), 1, torch.optim.SGD(model.parameters(), 0.1),
                    device="cpu", parts=[FastSettings(autocast=None, channels_last=True)])

    hazardous = net()
    with pytest.warns(RuntimeWarning, match=r"channels-last is off .*1 \(4→8, 1×1"):
        train(hazardous)
    # the 3×3 layer's weight tells the layouts apart (a 1×1 weight is both)
    assert hazardous[0].weight.is_contiguous()
    assert not hazardous[0].weight.is_contiguous(memory_format=torch.channels_last)
    # Without such a layer the model keeps channels-last (stride 1: not affected; the model
    # never runs a faulty kernel, even under the AVX2 profile).
    d2lcore.seed(0)
    safe = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 8, 1), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(8 * 4 * 4, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        train(safe)
    assert safe[0].weight.is_contiguous(memory_format=torch.channels_last)


@_X86_ONEDNN
def test_the_onednn_avx2_fault_is_still_there() -> None:
    """What the guard is for: under oneDNN's AVX2 kernels, a channels-last 1×1 stride-2
    convolution with 4 input channels gets a wrong weight gradient (on larger shapes the same
    kernel can corrupt the heap: a crash or a hang, which count as the fault too). When this
    test fails, oneDNN has been fixed: drop channels_last_hazards and this test."""
    code = (
        "import torch\n"
        "from torch import nn\n"
        "from d2lcore import precision\n"
        "torch.manual_seed(0)\n"
        "x = torch.randn(8, 4, 14, 14)\n"
        "a = nn.Conv2d(4, 16, 1, stride=2)\n"
        "b = nn.Conv2d(4, 16, 1, stride=2)\n"
        "b.load_state_dict(a.state_dict())\n"
        "b.to(memory_format=torch.channels_last)\n"
        "a(x).square().sum().backward()\n"
        "b(x.contiguous(memory_format=torch.channels_last)).square().sum().backward()\n"
        "err = ((a.weight.grad - b.weight.grad).abs().max() / a.weight.grad.abs().max()).item()\n"
        "print(precision.onednn_avx2_kernels(), len(precision.channels_last_hazards(b, 'cpu')), "
        "err > 1e-2)"
    )
    try:
        done = _python(code, timeout=120, ATEN_CPU_CAPABILITY="avx2", ONEDNN_MAX_CPU_ISA="AVX2")
    except subprocess.TimeoutExpired:
        return  # hung in the faulty kernel: the fault is there
    if done.returncode < 0 or "corruption" in done.stderr:
        return  # killed by a signal (segfault, abort): the fault is there
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "True 1 True", (
        "oneDNN's AVX2 kernels now get the weight gradient right: remove "
        "precision.channels_last_hazards and its use in fit, and this test")
