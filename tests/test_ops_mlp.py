"""d2lcore.ops.mlp against torch.relu / torch.sigmoid / torch.tanh / F.dropout /
nn.init.xavier_uniform_ (float64): values and gradients on hypothesis-drawn shapes, dropout
statistics, Xavier bounds and variance, and the error messages for bad input."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import d2lcore as d2l
from tests.strategies import dropout_probabilities, float_arrays

SETTINGS = settings(deadline=None, max_examples=60)

ACTIVATIONS = [
    pytest.param(d2l.relu, torch.relu, id="relu"),
    pytest.param(d2l.sigmoid, torch.sigmoid, id="sigmoid"),
    pytest.param(d2l.tanh, torch.tanh, id="tanh"),
]


# --- activations ----------------------------------------------------------------------------


@pytest.mark.parametrize(("ours", "reference"), ACTIVATIONS)
@SETTINGS
@given(X=float_arrays(bound=800.0))
def test_activation_values_and_gradients_match_torch(ours, reference, X: torch.Tensor) -> None:
    X1 = X.clone().requires_grad_(True)
    X2 = X.clone().requires_grad_(True)
    Y1, Y2 = ours(X1), reference(X2)
    assert Y1.shape == X.shape and Y1.dtype == torch.float64
    assert torch.isfinite(Y1).all()
    assert torch.allclose(Y1, Y2, rtol=1e-12, atol=1e-300)
    G = torch.randn_like(X)  # a random upstream gradient checks the whole vector-Jacobian product
    (Y1 * G).sum().backward()
    (Y2 * G).sum().backward()
    assert torch.isfinite(X1.grad).all()
    # torch differentiates sigmoid as y(1 − y) and tanh as 1 − y², which cancel in the tails
    # (absolute error ~1e-16); ours differentiates the exp(−|x|) form, so compare to that level.
    assert torch.allclose(X1.grad, X2.grad, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize(("ours", "reference"), ACTIVATIONS)
def test_activations_at_zero_and_in_the_tails(ours, reference) -> None:
    x = torch.tensor([-1e4, -40.0, -1e-8, 0.0, 1e-8, 40.0, 1e4], dtype=torch.float64)
    x.requires_grad_(True)
    y = ours(x)
    y.sum().backward()
    x2 = x.detach().clone().requires_grad_(True)
    reference(x2).sum().backward()
    assert torch.allclose(y, reference(x.detach()), rtol=1e-12, atol=1e-300)
    assert torch.allclose(x.grad, x2.grad, rtol=1e-9, atol=1e-15)


def test_activation_derivatives_at_zero() -> None:
    x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    for f, expected in [(d2l.relu, 0.0), (d2l.sigmoid, 0.25), (d2l.tanh, 1.0)]:
        (g,) = torch.autograd.grad(f(x).sum(), x)
        assert g.item() == pytest.approx(expected, abs=1e-15), f.__name__


def test_naive_formulas_overflow_where_ours_do_not() -> None:
    x = torch.tensor([-1000.0], dtype=torch.float64)
    naive_tanh = (1 - torch.exp(-2 * x)) / (1 + torch.exp(-2 * x))
    assert torch.isnan(naive_tanh).all()  # inf / inf: the reason for the rewrite
    assert d2l.tanh(x).item() == -1.0
    xs = x.clone().requires_grad_(True)
    (1 / (1 + torch.exp(-xs))).sum().backward()
    assert torch.isnan(xs.grad).all()  # 0 · inf in the naive sigmoid's backward pass
    xs.grad = None
    d2l.sigmoid(xs).sum().backward()
    assert xs.grad.item() == 0.0


# --- polynomial features and the L2 penalty ------------------------------------------------


@SETTINGS
@given(x=float_arrays(max_dims=1, bound=5.0), num_terms=st.integers(1, 12))
def test_poly_features_are_powers_over_factorials(x: torch.Tensor, num_terms: int) -> None:
    x = x.reshape(-1)
    P = d2l.poly_features(x, num_terms)
    assert P.shape == (len(x), num_terms) and P.dtype == torch.float64
    for i in range(num_terms):
        assert torch.allclose(P[:, i], x**i / math.factorial(i), rtol=1e-12, atol=1e-300)
    assert torch.equal(d2l.poly_features(x.reshape(-1, 1), num_terms), P)


@SETTINGS
@given(w=float_arrays())
def test_l2_penalty_and_its_gradient(w: torch.Tensor) -> None:
    w = w.clone().requires_grad_(True)
    penalty = d2l.l2_penalty(w)
    assert penalty.ndim == 0
    assert torch.isclose(penalty, 0.5 * torch.linalg.vector_norm(w.detach()) ** 2, rtol=1e-12)
    penalty.backward()
    assert torch.allclose(w.grad, w.detach(), rtol=1e-15)  # ∂(‖w‖²/2)/∂w = w


# --- dropout --------------------------------------------------------------------------------


@SETTINGS
@given(X=float_arrays(), p=dropout_probabilities(), seed=st.integers(0, 2**31 - 1))
def test_dropout_keeps_or_scales_every_element(X: torch.Tensor, p: float, seed: int) -> None:
    X = X.clone().requires_grad_(True)
    gen = torch.Generator().manual_seed(seed)
    Y = d2l.dropout_layer(X, p, generator=gen)
    assert Y.shape == X.shape and Y.dtype == X.dtype
    if p == 0:
        assert Y is X
        return
    if p == 1:
        assert torch.equal(Y, torch.zeros_like(X))
        Y.sum().backward()
        assert torch.equal(X.grad, torch.zeros_like(X))
        return
    # Each element is either dropped (0) or kept and scaled by 1/(1 − p).
    gen = torch.Generator().manual_seed(seed)
    keep = torch.rand(X.shape, generator=gen, dtype=X.dtype) >= p
    assert torch.equal(Y.detach(), torch.where(keep, X.detach() / (1 - p), torch.zeros_like(X)))
    Y.sum().backward()  # the gradient is the same mask: ξ / (1 − p)
    assert torch.allclose(X.grad, keep.double() / (1 - p), rtol=1e-15)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_match_torch(p: float) -> None:
    torch.manual_seed(0)
    X = torch.ones(400_000, dtype=torch.float64)
    ours = d2l.dropout_layer(X, p)
    theirs = F.dropout(X, p, training=True)
    sd = math.sqrt(p * (1 - p) / len(X))  # standard error of a kept fraction
    for Y in (ours, theirs):
        assert abs((Y == 0).double().mean().item() - p) < 5 * sd
        assert torch.allclose(Y[Y != 0], torch.full_like(Y[Y != 0], 1 / (1 - p)))
        assert abs(Y.mean().item() - 1.0) < 5 * sd / (1 - p)  # E[h′] = h
    # Both use a fresh, independent mask per element: no row or column pattern.
    M = (d2l.dropout_layer(torch.ones(400, 500, dtype=torch.float64), p) == 0).double()
    assert M.mean(0).std() < 5 * math.sqrt(p * (1 - p) / 400)
    assert M.mean(1).std() < 5 * math.sqrt(p * (1 - p) / 500)


# --- Xavier initialisation ------------------------------------------------------------------


@SETTINGS
@given(fan_in=st.integers(1, 300), fan_out=st.integers(1, 300), seed=st.integers(0, 2**31 - 1))
def test_xavier_uniform_matches_torch(fan_in: int, fan_out: int, seed: int) -> None:
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert d2l.xavier_bound(fan_in, fan_out) == pytest.approx(bound, rel=1e-15)
    W = d2l.xavier_uniform(fan_in, fan_out, dtype=torch.float64,
                           generator=torch.Generator().manual_seed(seed))  # fmt: skip
    assert W.shape == (fan_in, fan_out) and W.dtype == torch.float64
    assert W.abs().max() <= bound
    # nn.Linear stores (out, in); from the same random stream it draws the same numbers.
    ref = torch.empty(fan_out, fan_in, dtype=torch.float64)
    nn.init.xavier_uniform_(ref, generator=torch.Generator().manual_seed(seed))
    assert torch.allclose(W.reshape(-1), ref.reshape(-1), rtol=1e-12, atol=1e-15)


def test_xavier_uniform_variance_and_gain() -> None:
    a, b = 784, 256
    W = d2l.xavier_uniform(a, b, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert W.var().item() == pytest.approx(2 / (a + b), rel=0.02)  # U(−c, c) has variance c²/3
    assert W.mean().item() == pytest.approx(0.0, abs=0.002)
    G = d2l.xavier_uniform(a, b, gain=2.0, generator=torch.Generator().manual_seed(0))
    assert G.abs().max() <= 2 * math.sqrt(6 / (a + b)) and G.abs().max() > math.sqrt(6 / (a + b))


# Bad input: tests/test_bad_input.py (block OPS_MLP).
