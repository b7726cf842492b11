"""d2lcore.ops.linear (§3.1–3.2): linreg, squared_loss and sgd against hand computations,
torch's own ops (float64, hypothesis-drawn shapes) and autograd."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given, settings

import d2lcore as d2l
from tests.strategies import linreg_inputs


def test_linreg_by_hand() -> None:
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]])
    w = torch.tensor([2.0, -3.4])
    b = torch.tensor(4.2)
    expected = torch.tensor([1 * 2 - 2 * 3.4 + 4.2, 3 * 2 - 4 * 3.4 + 4.2, 3.4 + 4.2])
    assert torch.allclose(d2l.linreg(X, w, b), expected)
    assert d2l.linreg(X, w.reshape(2, 1), b).shape == (3, 1)


@settings(max_examples=60, deadline=None)
@given(linreg_inputs())
def test_linreg_matches_nn_linear(inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> None:
    X, w, b = inputs
    out = d2l.linreg(X, w, b)
    ref = F.linear(X, w.reshape(1, -1), b.reshape(1))
    assert out.shape == (X @ w).shape
    assert torch.allclose(out.reshape(-1), ref.reshape(-1), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(linreg_inputs())
def test_linreg_gradients_are_the_formula(inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> None:
    """∂(Σ ŷ)/∂w = Σ_i x⁽ⁱ⁾ and ∂(Σ ŷ)/∂b = n, from autograd."""
    X, w, b = inputs
    w = w.clone().requires_grad_(True)
    b = b.clone().requires_grad_(True)
    d2l.linreg(X, w, b).sum().backward()
    assert torch.allclose(w.grad.reshape(-1), X.sum(0), rtol=1e-12, atol=1e-12)
    assert b.grad.item() == len(X)


def test_squared_loss_by_hand() -> None:
    y_hat = torch.tensor([[1.0], [2.0], [5.0]])
    y = torch.tensor([2.0, 2.0, 1.0])  # labels as (n,) pair with predictions as (n, 1)
    loss = d2l.squared_loss(y_hat, y)
    assert loss.shape == (3, 1)
    assert loss.reshape(-1).tolist() == [0.5, 0.0, 8.0]


@settings(max_examples=60, deadline=None)
@given(linreg_inputs())
def test_squared_loss_matches_mse_and_autograd(
    inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    X, w, b = inputs
    y = X[:, 0] * 0.5 - 1.0
    y_hat = d2l.linreg(X, w, b).detach().requires_grad_(True)
    loss = d2l.squared_loss(y_hat, y)
    mse = F.mse_loss(y_hat.reshape(-1), y, reduction="none")
    assert torch.allclose(loss.reshape(-1), mse / 2, rtol=1e-12, atol=1e-12)
    loss.sum().backward()  # ∂l/∂ŷ = ŷ − y
    assert torch.allclose(y_hat.grad.reshape(-1), (y_hat.detach().reshape(-1) - y), atol=1e-12)


def test_sgd_one_step_by_hand() -> None:
    """(w, b) ← (w, b) − η/|B| Σ ∂l/∂(w, b), with the gradient computed by hand."""
    X = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], dtype=torch.float64)
    y = torch.tensor([[1.0], [0.0], [2.0]], dtype=torch.float64)
    w = torch.tensor([[0.1], [-0.2]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    lr, n = 0.03, len(X)
    residual = (X @ w + b - y).detach()  # ŷ − y
    w_expected = w.detach() - lr / n * (X.T @ residual)
    b_expected = b.detach() - lr / n * residual.sum()
    d2l.squared_loss(d2l.linreg(X, w, b), y).sum().backward()
    d2l.sgd([w, b], lr, n)
    assert torch.allclose(w.detach(), w_expected, rtol=1e-14, atol=1e-15)
    assert torch.allclose(b.detach(), b_expected, rtol=1e-14, atol=1e-15)
    assert w.grad.abs().sum() == 0 and b.grad.abs().sum() == 0  # zeroed for the next batch


@settings(max_examples=30, deadline=None)
@given(linreg_inputs())
def test_sgd_equals_torch_optim_sgd(inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> None:
    """With the summed loss, d2l.sgd is torch.optim.SGD on the mean loss."""
    X, w0, b0 = inputs
    y = X.sum(1, keepdim=True)
    ours = [w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)]
    ref = [w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)]
    d2l.squared_loss(d2l.linreg(X, *ours), y).sum().backward()
    d2l.sgd(ours, 0.01, len(X))
    opt = torch.optim.SGD(ref, lr=0.01)
    d2l.squared_loss(d2l.linreg(X, *ref), y).mean().backward()
    opt.step()
    for a, r in zip(ours, ref):
        assert torch.allclose(a.detach(), r.detach(), rtol=1e-10, atol=1e-10)


def test_sgd_accepts_a_generator_of_parameters() -> None:
    net = torch.nn.Linear(2, 1)
    before = net.weight.detach().clone()
    net(torch.ones(4, 2)).sum().backward()
    d2l.sgd(net.parameters(), 0.5, 4)
    assert torch.allclose(net.weight.detach(), before - 0.5 * torch.ones(1, 2))
