"""d2lcore.models.pooling.AvgPool2d: a drop-in nn.AvgPool2d with a fast CPU path for 2×2
windows. It must give nn.AvgPool2d's values and gradients, in the input's memory layout, and
fall back to nn.AvgPool2d for everything else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import d2lcore as d2l
from d2lcore.models import pooling
from d2lcore.models.pooling import AvgPool2d, _AvgPool2x2
from d2lcore.precision import cpu_native_bf16

LAYOUTS = [torch.contiguous_format, torch.channels_last]
# Values and gradients against F.avg_pool2d: float64 to rounding, float32 up to the order of
# the four additions, bfloat16 bit for bit (both sum in float32 and round once).
TOL = {torch.float64: 1e-12, torch.float32: 1e-6, torch.bfloat16: 0.0}


@st.composite
def pool_inputs(draw: st.DrawFn) -> torch.Tensor:
    n = draw(st.integers(1, 3))
    c = draw(st.integers(1, 7))
    h, w = 2 * draw(st.integers(1, 6)), 2 * draw(st.integers(1, 6))
    dtype = draw(st.sampled_from(list(TOL)))
    layout = draw(st.sampled_from(LAYOUTS))
    seed = draw(st.integers(0, 2**31 - 1))
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, c, h, w, generator=g, dtype=torch.float64).to(dtype)
    return X.contiguous(memory_format=layout)


def _close(a: torch.Tensor, b: torch.Tensor, tol: float) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    torch.testing.assert_close(a.double(), b.double(), rtol=tol, atol=tol)


@settings(max_examples=150, deadline=None)
@given(pool_inputs())
def test_fast_path_matches_avg_pool2d_values_gradients_and_layout(X: torch.Tensor) -> None:
    pool = AvgPool2d(2, 2)
    assert pool._fast(X)
    Xa, Xb = X.clone().requires_grad_(), X.clone().requires_grad_()
    ours, ref = pool(Xa), F.avg_pool2d(Xb, 2, 2)
    _close(ours, ref, TOL[X.dtype])
    channels_last = X.is_contiguous(memory_format=torch.channels_last) and not X.is_contiguous()
    if channels_last:
        assert ours.is_contiguous(memory_format=torch.channels_last)
    G = torch.randn(ref.shape, dtype=torch.float64).to(X.dtype)
    ours.backward(G)
    ref.backward(G)
    assert Xa.grad is not None and Xb.grad is not None
    _close(Xa.grad, Xb.grad, TOL[X.dtype])
    # The gradient comes back in the input's layout (what the layer below expects).
    if channels_last:
        assert Xa.grad.is_contiguous(memory_format=torch.channels_last)
    else:
        assert Xa.grad.is_contiguous()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_gradcheck_and_double_backward(layout: torch.memory_format) -> None:
    X = torch.randn(2, 3, 4, 6, dtype=torch.float64).contiguous(memory_format=layout)
    X.requires_grad_()
    assert torch.autograd.gradcheck(_AvgPool2x2.apply, (X,))
    assert torch.autograd.gradgradcheck(_AvgPool2x2.apply, (X,))


def test_gradient_of_a_non_contiguous_upstream_gradient() -> None:
    # After nn.Flatten the gradient arriving at LeNet's second pool is NCHW-contiguous while
    # the pool's input is channels-last: the result must still be right, and channels-last.
    X = torch.randn(4, 16, 10, 10).contiguous(memory_format=torch.channels_last)
    Xa, Xb = X.clone().requires_grad_(), X.clone().requires_grad_()
    G = torch.randn(4, 400)
    AvgPool2d(2)(Xa).flatten(1).backward(G)
    F.avg_pool2d(Xb, 2).flatten(1).backward(G)
    torch.testing.assert_close(Xa.grad, Xb.grad)
    assert Xa.grad is not None and Xa.grad.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize(
    ("args", "shape"),
    [
        ((2, 2), (2, 3, 7, 8)),  # odd height: the native kernel drops the last row
        ((2, 2), (3, 6, 6)),  # unbatched (C, H, W)
        ((3, 2), (2, 3, 8, 8)),  # another window
        ((2, 1), (2, 3, 8, 8)),  # another stride
        ((2, 2, 1), (2, 3, 8, 8)),  # padding
        (((2, 2), (2, 2)), (2, 3, 8, 8)),  # tuples are the fast case
    ],
)
def test_other_settings_give_nn_avgpool2d(args: tuple, shape: tuple[int, ...]) -> None:
    X = torch.randn(*shape)
    ours, ref = AvgPool2d(*args), nn.AvgPool2d(*args)
    assert ours._fast(X) == (args == ((2, 2), (2, 2)))
    torch.testing.assert_close(ours(X), ref(X))


def test_divisor_override_and_integer_inputs_fall_back() -> None:
    X = torch.randn(1, 2, 4, 4)
    pool = AvgPool2d(2, 2, divisor_override=3)
    assert not pool._fast(X)
    torch.testing.assert_close(pool(X), nn.AvgPool2d(2, 2, divisor_override=3)(X))
    assert not AvgPool2d(2)._fast(torch.ones(1, 1, 4, 4, dtype=torch.int64))


def test_it_is_an_nn_avgpool2d_with_the_same_repr_and_state() -> None:
    ours, ref = AvgPool2d(kernel_size=2, stride=2), nn.AvgPool2d(kernel_size=2, stride=2)
    assert isinstance(ours, nn.AvgPool2d)
    assert repr(ours) == repr(ref) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert ours.state_dict() == {}
    assert d2l.AvgPool2d is AvgPool2d


def test_lenet_uses_it_and_matches_the_book_model_in_both_layouts() -> None:
    torch.manual_seed(0)
    net = d2l.LeNet()
    assert isinstance(net.pool1, AvgPool2d) and isinstance(net.pool2, AvgPool2d)
    book = d2l.LeNet()
    book.pool1, book.pool2 = nn.AvgPool2d(2, 2), nn.AvgPool2d(2, 2)
    book.load_state_dict(net.state_dict())
    X = torch.rand(8, 1, 28, 28)
    y = torch.randint(0, 10, (8,))
    for layout in LAYOUTS:
        for model in (net, book):
            model.zero_grad()
            model.to(memory_format=layout)
        out = net(X.contiguous(memory_format=layout))
        ref = book(X.contiguous(memory_format=layout))
        torch.testing.assert_close(out, ref)
        F.cross_entropy(out, y).backward()
        F.cross_entropy(ref, y).backward()
        for p, q in zip(net.parameters(), book.parameters()):
            torch.testing.assert_close(p.grad, q.grad)


def test_float32_and_bfloat16_forwards_run_as_a_depthwise_convolution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[torch.dtype] = []
    original = pooling._pool_as_convolution

    def spy(x: torch.Tensor) -> torch.Tensor:
        calls.append(x.dtype)
        return original(x)

    monkeypatch.setattr(pooling, "_pool_as_convolution", spy)
    for dtype in (torch.float32, torch.bfloat16, torch.float64):
        AvgPool2d(2)(torch.randn(2, 3, 4, 4, dtype=dtype))
    expected = [d for d in (torch.float32, torch.bfloat16) if d in pooling._onednn_dtypes()]
    assert calls == expected  # float64 never: oneDNN has no fast float64 convolution


@pytest.mark.parametrize("layout", LAYOUTS)
def test_without_onednn_the_forward_is_the_native_kernel(
    monkeypatch: pytest.MonkeyPatch, layout: torch.memory_format
) -> None:
    monkeypatch.setattr(pooling, "_onednn_dtypes", lambda: frozenset())
    monkeypatch.setattr(pooling, "_pool_as_convolution", _must_not_run)
    X = torch.randn(2, 6, 8, 8).contiguous(memory_format=layout).requires_grad_()
    out = AvgPool2d(2)(X)
    torch.testing.assert_close(out, F.avg_pool2d(X.detach(), 2))
    out.sum().backward()
    assert X.grad is not None
    torch.testing.assert_close(X.grad, torch.full_like(X, 0.25))


def _must_not_run(x: torch.Tensor) -> torch.Tensor:
    raise AssertionError("the convolution path ran without oneDNN")


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_autocast_leaves_the_dtype_alone_as_nn_avgpool2d_does(dtype: torch.dtype) -> None:
    # F.conv2d is on autocast's bfloat16 list; pooling is not, so a float32 input stays float32.
    X = torch.randn(2, 6, 8, 8, dtype=dtype).contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ours, ref = AvgPool2d(2)(X), nn.AvgPool2d(2)(X)
    assert ours.dtype == ref.dtype == dtype
    torch.testing.assert_close(ours, ref, rtol=TOL[dtype], atol=TOL[dtype])


def test_flop_counting_sees_a_pooling_not_a_convolution() -> None:
    # The fast forward is a convolution; d2l.count_flops and the benchmarks' GFLOP/s must not
    # count it (the native pooling counts none either).
    X = torch.randn(2, 6, 8, 8).contiguous(memory_format=torch.channels_last)
    with FlopCounterMode(display=False) as counter:
        out = AvgPool2d(2)(X)
    assert counter.get_total_flops() == 0
    torch.testing.assert_close(out, F.avg_pool2d(X, 2))


# --- private PyTorch names: looked up at call time, guarded ---------------------------------


def test_without_the_dispatch_probe_the_native_kernel_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # A PyTorch that moved torch.utils._python_dispatch: no way to see FlopCounterMode, so the
    # convolution path is skipped (the pooling op is right in every case).
    assert pooling._dispatch_mode_probe() is not None  # this PyTorch has it
    monkeypatch.setattr(pooling, "_dispatch_mode_probe", lambda: None)
    monkeypatch.setattr(pooling, "_pool_as_convolution", _must_not_run)
    X = torch.randn(2, 6, 8, 8).contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(AvgPool2d(2)(X), F.avg_pool2d(X, 2))


def test_a_missing_private_module_gives_no_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch.utils._python_dispatch", None)  # import now fails
    pooling._dispatch_mode_probe.cache_clear()
    try:
        assert pooling._dispatch_mode_probe() is None
        assert not pooling._no_dispatch_mode()
    finally:
        monkeypatch.undo()
        pooling._dispatch_mode_probe.cache_clear()
    assert pooling._dispatch_mode_probe() is not None


def test_without_the_bf16_op_bfloat16_takes_the_native_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoOps:
        def __getattr__(self, name: str) -> object:
            raise AttributeError(name)

    monkeypatch.setattr(torch.ops, "mkldnn", NoOps())
    cpu_native_bf16.cache_clear()
    pooling._onednn_dtypes.cache_clear()
    try:
        assert cpu_native_bf16() is False
        dtypes = pooling._onednn_dtypes()
        assert torch.bfloat16 not in dtypes
        assert dtypes == (frozenset({torch.float32}) if torch.backends.mkldnn.is_available()
                          else frozenset())  # fmt: skip
    finally:
        monkeypatch.undo()
        cpu_native_bf16.cache_clear()
        pooling._onednn_dtypes.cache_clear()


def test_importing_d2lcore_needs_no_private_torch_name() -> None:
    # torch's own public modules import torch.utils._python_dispatch, so the test removes the
    # one function d2lcore uses from it, as a release that moved it would.
    code = (
        "import torch, torch.utils._python_dispatch as private\n"
        "del private.is_in_torch_dispatch_mode\n"  # a release that moved it
        "import d2lcore as d2l\n"
        "from d2lcore.models import pooling\n"
        "assert pooling._dispatch_mode_probe() is None\n"
        "x = torch.rand(2, 1, 28, 28)\n"
        "assert d2l.LeNet()(x).shape == (2, 10)\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_fast_pooling_switches_exact_avgpool2d_in_place() -> None:
    class MyPool(nn.AvgPool2d):
        pass

    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.AvgPool2d(2, 2), nn.Sequential(nn.AvgPool2d(2)),
                        MyPool(2), nn.MaxPool2d(2))
    before, pool = repr(net), net[1]
    state = net.state_dict()
    assert d2l.fast_pooling(net) == 2
    assert type(net[1]) is AvgPool2d and type(net[2][0]) is AvgPool2d
    assert net[1] is pool and repr(net) == before  # the same objects, printed as before
    assert type(net[3]) is MyPool and type(net[4]) is nn.MaxPool2d  # subclasses left alone
    assert net.state_dict().keys() == state.keys()
    assert d2l.fast_pooling(net) == 0  # nothing left to switch


def test_built_from_torch_nn() -> None:
    assert d2l.built_from_torch_nn(nn.Sequential(nn.Conv2d(1, 2, 3), AvgPool2d(2), nn.Flatten()))
    assert not d2l.built_from_torch_nn(d2l.LeNet())  # a model class of its own counts as hand-written
    assert not d2l.built_from_torch_nn(nn.Sequential(nn.Linear(2, 2), d2l.BatchNorm(2, num_dims=2)))
