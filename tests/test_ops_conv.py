"""d2lcore.ops.conv (§6.2–6.5) against F.conv2d / F.max_pool2d / F.avg_pool2d in float64 on
hypothesis-drawn shapes, paddings, strides and channels: values and gradients. The book's loop
versions are checked against the vectorised ones, the shape helper against nn.Conv2d."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import d2lcore as d2l
from tests.strategies import conv_problems, pool_problems

# Per-test settings (not a global profile, which would change other modules' tests too).
conv_settings = settings(deadline=None, max_examples=60)


def _grads(out: torch.Tensor, inputs: list[torch.Tensor], seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Gradients of ⟨out, G⟩ for a fixed random G (so every output element matters)."""
    G = torch.randn(out.shape, dtype=out.dtype, generator=torch.Generator().manual_seed(seed))
    return torch.autograd.grad(out, inputs, G)


# --- the notes' worked examples ----------------------------------------------------------------


def test_corr2d_worked_example() -> None:
    X = torch.arange(9.0).reshape(3, 3)
    K = torch.arange(4.0).reshape(2, 2)
    assert torch.equal(d2l.corr2d(X, K), torch.tensor([[19.0, 25.0], [37.0, 43.0]]))


def test_corr2d_multi_in_worked_example() -> None:
    X = torch.stack([torch.arange(9.0).reshape(3, 3), torch.arange(1.0, 10.0).reshape(3, 3)])
    K = torch.stack([torch.arange(4.0).reshape(2, 2), torch.arange(1.0, 5.0).reshape(2, 2)])
    Y = d2l.corr2d_multi_in(X, K)
    assert Y[0, 0] == 56
    assert torch.equal(Y, torch.tensor([[56.0, 72.0], [104.0, 120.0]]))


# --- vectorised conv2d against F.conv2d ---------------------------------------------------------


@conv_settings
@given(conv_problems())
def test_conv2d_matches_torch_values_and_gradients(problem: dict) -> None:
    X = problem["X"].requires_grad_()
    weight = problem["weight"].requires_grad_()
    bias = problem["bias"]
    inputs = [X, weight] + ([bias.requires_grad_()] if bias is not None else [])
    s, p = problem["stride"], problem["padding"]
    Y = d2l.conv2d(X, weight, bias, s, p)
    expected = F.conv2d(X, weight, bias, s, p)
    assert Y.shape == expected.shape
    assert torch.allclose(Y, expected, rtol=1e-10, atol=1e-10)
    for ours, theirs in zip(_grads(Y, inputs), _grads(expected, inputs)):
        assert torch.allclose(ours, theirs, rtol=1e-10, atol=1e-10)


def test_conv2d_gradcheck_and_unbatched_input() -> None:
    g = torch.Generator().manual_seed(1)
    X = torch.randn(2, 3, 7, 6, dtype=torch.float64, generator=g, requires_grad=True)
    W = torch.randn(4, 3, 3, 2, dtype=torch.float64, generator=g, requires_grad=True)
    b = torch.randn(4, dtype=torch.float64, generator=g, requires_grad=True)
    assert torch.autograd.gradcheck(lambda X, W, b: d2l.conv2d(X, W, b, (2, 1), (1, 2)), (X, W, b))
    Y1 = d2l.conv2d(X[0], W, b, 2, 1)
    assert Y1.shape == (4, 4, 4)
    assert torch.allclose(Y1, F.conv2d(X[0], W, b, 2, 1))


def test_conv2d_accepts_channels_last_input() -> None:
    X = torch.randn(4, 8, 10, 10).contiguous(memory_format=torch.channels_last)
    W = torch.randn(5, 8, 3, 3)
    assert torch.allclose(d2l.conv2d(X, W, padding=1), F.conv2d(X, W, padding=1), atol=1e-4)


def test_conv2d_chunks_large_batches() -> None:
    # 64 images of 32×32 with a 5×5×3 kernel exceed one im2col chunk; chunks must line up.
    X = torch.randn(64, 3, 32, 32, dtype=torch.float64, requires_grad=True)
    W = torch.randn(4, 3, 5, 5, dtype=torch.float64, requires_grad=True)
    Y, Y2 = d2l.conv2d(X, W, padding=2), F.conv2d(X, W, padding=2)
    assert torch.allclose(Y, Y2)
    for a, b in zip(_grads(Y, [X, W]), _grads(Y2, [X, W])):
        assert torch.allclose(a, b)


# --- the loop versions against the vectorised one -----------------------------------------------


@conv_settings
@given(conv_problems(max_batch=1, max_channels=3, max_size=7))
def test_loop_versions_match_conv2d(problem: dict) -> None:
    X, W = problem["X"][0], problem["weight"]
    if X.shape[1] < W.shape[2] or X.shape[2] < W.shape[3]:
        return  # the loop versions take no padding
    Y = d2l.conv2d(X, W)
    assert torch.allclose(d2l.corr2d_multi_in_out(X, W), Y, rtol=1e-10, atol=1e-10)
    assert torch.allclose(d2l.corr2d_multi_in(X, W[0]), Y[0], rtol=1e-10, atol=1e-10)
    assert torch.allclose(d2l.corr2d(X[0], W[0, 0]), d2l.conv2d(X[:1], W[:1, :1])[0], rtol=1e-10, atol=1e-10)


def test_corr2d_has_gradients() -> None:
    X = torch.randn(5, 6, dtype=torch.float64, requires_grad=True)
    K = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(d2l.corr2d, (X, K))


@conv_settings
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 6), st.integers(1, 6))
def test_1x1_convolution_is_a_dense_layer_over_channels(c_i: int, c_o: int, h: int, w: int) -> None:
    X = torch.randn(c_i, h, w, dtype=torch.float64)
    K = torch.randn(c_o, c_i, 1, 1, dtype=torch.float64)
    Y = d2l.corr2d_multi_in_out_1x1(X, K)
    assert torch.allclose(Y, d2l.corr2d_multi_in_out(X, K), rtol=1e-10, atol=1e-12)
    assert torch.allclose(Y, F.conv2d(X, K), rtol=1e-10, atol=1e-12)


# --- pooling ------------------------------------------------------------------------------------


@conv_settings
@given(pool_problems(), st.sampled_from(["max", "avg"]))
def test_pool2d_matches_torch_values_and_gradients(problem: dict, mode: str) -> None:
    X = problem["X"].requires_grad_()
    k, s, p = problem["pool_size"], problem["stride"], problem["padding"]
    Y = d2l.pool2d(X, k, s, p, mode=mode)  # type: ignore[arg-type]
    torch_pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    expected = torch_pool(X, k, s, p)
    assert Y.shape == expected.shape
    assert Y.shape[:2] == X.shape[:2]  # each channel is pooled on its own
    assert torch.allclose(Y, expected, rtol=1e-12, atol=1e-12)
    for ours, theirs in zip(_grads(Y, [X]), _grads(expected, [X])):
        assert torch.allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@conv_settings
@given(pool_problems())
def test_max_pool_gives_a_tied_maximum_all_of_the_gradient_as_torch(problem: dict) -> None:
    """Windows full of tied maxima (values in {0, 1, 2}): F.max_pool2d routes each window's
    gradient to one of them, and so must pool2d (amax would split it evenly)."""
    X = problem["X"].detach().round().clamp(0, 2).requires_grad_()
    k, s, p = problem["pool_size"], problem["stride"], problem["padding"]
    Y, expected = d2l.pool2d(X, k, s, p), F.max_pool2d(X, k, s, p)
    ours, theirs = _grads(Y, [X])[0], _grads(expected, [X])[0]
    assert torch.allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_max_pool_tie_in_one_window() -> None:
    X = torch.ones(1, 1, 2, 2, requires_grad=True)
    d2l.pool2d(X, 2).sum().backward()
    assert X.grad.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]  # all to the first, not 0.25 each


def test_pool2d_book_example_and_default_stride() -> None:
    X = torch.arange(9.0).reshape(3, 3)
    assert torch.equal(d2l.pool2d(X, 2), torch.tensor([[4.0]]))  # stride defaults to 2
    assert torch.equal(d2l.pool2d(X, 2, stride=1), torch.tensor([[4.0, 5.0], [7.0, 8.0]]))
    assert torch.equal(d2l.pool2d(X, 2, stride=1, mode="avg"), torch.tensor([[2.0, 3.0], [5.0, 6.0]]))
    X = torch.arange(16.0).reshape(1, 1, 4, 4)
    assert torch.equal(d2l.pool2d(X, 3), nn.MaxPool2d(3)(X))  # 3×3 window → stride 3 → 1×1
    assert d2l.pool2d(X, 3).shape == (1, 1, 1, 1)
    assert torch.equal(d2l.pool2d(X, 3, padding=1, stride=2), nn.MaxPool2d(3, padding=1, stride=2)(X))


# --- shapes and receptive fields ----------------------------------------------------------------


@conv_settings
@given(
    st.integers(1, 20), st.integers(1, 20), st.integers(1, 7), st.integers(1, 7),
    st.integers(0, 3), st.integers(0, 3), st.integers(1, 4), st.integers(1, 4),
)  # fmt: skip
def test_conv_output_shape_matches_nn_conv2d(
    n_h: int, n_w: int, k_h: int, k_w: int, p_h: int, p_w: int, s_h: int, s_w: int
) -> None:
    if k_h > n_h + 2 * p_h or k_w > n_w + 2 * p_w:
        with pytest.raises(ValueError, match="larger than the padded input"):
            d2l.conv_output_shape((n_h, n_w), (k_h, k_w), (p_h, p_w), (s_h, s_w))
        return
    conv = nn.Conv2d(1, 1, (k_h, k_w), stride=(s_h, s_w), padding=(p_h, p_w), bias=False)
    with torch.no_grad():
        out = conv(torch.zeros(1, 1, n_h, n_w))
    assert d2l.conv_output_shape((n_h, n_w), (k_h, k_w), (p_h, p_w), (s_h, s_w)) == out.shape[2:]


def test_conv_output_shape_book_examples() -> None:
    assert d2l.conv_output_shape(8, 3, padding=1) == (8, 8)              # same size
    assert d2l.conv_output_shape(8, (5, 3), padding=(2, 1)) == (8, 8)
    assert d2l.conv_output_shape(8, 3, padding=1, stride=2) == (4, 4)    # halved
    assert d2l.conv_output_shape(8, (3, 5), padding=(0, 1), stride=(3, 4)) == (2, 2)


def test_receptive_field() -> None:
    assert d2l.receptive_field([3, 3]) == [3, 5]          # the notes' Conv1, Conv2
    assert d2l.receptive_field([(2, 1), (2, 1)]) == [2, 3]  # Fig. 6.2.1: 3×3 input → 1 unit
    assert d2l.receptive_field([(2, 2), (3, 1)]) == [2, 6]  # a stride widens later layers
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(2, 2, 3))
    assert d2l.receptive_field(net) == [3, 4, 8]
    assert d2l.receptive_field(d2l.LeNet()) == [5, 6, 14, 16]


# Bad input: tests/test_bad_input.py (block OPS_CONV).


# --- the from-scratch layer learns (§6.2) -------------------------------------------------------


def test_conv2d_layer_learns_the_edge_kernel() -> None:
    torch.manual_seed(0)
    X = torch.ones(6, 8)
    X[:, 2:6] = 0
    Y = d2l.corr2d(X, torch.tensor([[1.0, -1.0]]))
    layer = d2l.Conv2D(1, 1, kernel_size=(1, 2), bias=False)
    X4, Y4 = X.reshape(1, 1, 6, 8), Y.reshape(1, 1, 6, 7)
    first = None
    for _ in range(30):
        loss = ((layer(X4) - Y4) ** 2).sum()
        first = loss.item() if first is None else first
        layer.zero_grad()
        loss.backward()
        with torch.no_grad():
            layer.weight -= 3e-2 * layer.weight.grad
    assert loss.item() < 1e-3 * first
    assert torch.allclose(layer.weight.reshape(2), torch.tensor([1.0, -1.0]), atol=0.05)
