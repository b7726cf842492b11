"""Batch normalisation from scratch (d2lcore.ops.norm, §7.5) against torch, in float64."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from torch import nn

import d2lcore as d2l
from tests.strategies import batch_norm_problems


def _torch_reference(p: dict, training: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    mean, var = p["moving_mean"].clone(), p["moving_var"].clone()
    Y = F.batch_norm(p["X"], mean, var, p["gamma"], p["beta"], training=training,
                     momentum=p["momentum"], eps=p["eps"])  # fmt: skip
    return Y, mean, var


@settings(max_examples=60, deadline=None)
@given(batch_norm_problems())
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_torch(training: bool, p: dict) -> None:
    Y, mean, var = d2l.batch_norm(p["X"], p["gamma"], p["beta"], p["moving_mean"], p["moving_var"],
                                  training=training, eps=p["eps"], momentum=p["momentum"])  # fmt: skip
    Y_ref, mean_ref, var_ref = _torch_reference(p, training)
    torch.testing.assert_close(Y, Y_ref, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(mean, mean_ref, rtol=1e-12, atol=1e-12)   # running stats included
    torch.testing.assert_close(var, var_ref, rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(batch_norm_problems())
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradients_match_autograd_of_torch(training: bool, p: dict) -> None:
    def grads(fn):
        X, g, b = (p[k].clone().requires_grad_() for k in ("X", "gamma", "beta"))
        Y = fn(X, g, b)
        w = torch.linspace(-1, 1, Y.numel(), dtype=torch.float64).reshape(Y.shape)
        (Y * w).sum().backward()
        return X.grad, g.grad, b.grad

    ours = grads(lambda X, g, b: d2l.batch_norm(X, g, b, p["moving_mean"], p["moving_var"],
                                                training=training, eps=p["eps"])[0])  # fmt: skip
    theirs = grads(lambda X, g, b: F.batch_norm(X, p["moving_mean"].clone(), p["moving_var"].clone(), g, b,
                                                training=training, eps=p["eps"]))  # fmt: skip
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-7)


def test_batch_norm_gradcheck() -> None:
    X = torch.randn(5, 3, 2, 2, dtype=torch.float64, requires_grad=True)
    g = torch.rand(3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, requires_grad=True)
    stats = (torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64))
    assert torch.autograd.gradcheck(lambda X, g, b: d2l.batch_norm(X, g, b, *stats, training=True)[0], (X, g, b))


def test_training_output_is_standardised_per_channel() -> None:
    X = torch.randn(8, 4, 3, 3, dtype=torch.float64) * 5 + 2
    Y, _, _ = d2l.batch_norm(X, torch.ones(4, dtype=torch.float64), torch.zeros(4, dtype=torch.float64),
                             torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64),
                             training=True, eps=1e-12)  # fmt: skip
    torch.testing.assert_close(Y.mean((0, 2, 3)), torch.zeros(4, dtype=torch.float64), atol=1e-12, rtol=0)
    torch.testing.assert_close(Y.var((0, 2, 3), unbiased=False), torch.ones(4, dtype=torch.float64))


@pytest.mark.parametrize("num_dims, shape, Torch", [(2, (16, 5), nn.BatchNorm1d), (4, (4, 5, 3, 6), nn.BatchNorm2d)])
def test_layer_matches_nn_batchnorm_over_steps(num_dims: int, shape: tuple, Torch: type) -> None:
    torch.manual_seed(0)
    ours = d2l.BatchNorm(5, num_dims=num_dims).double()
    theirs = Torch(5).double()
    theirs.load_state_dict(ours.state_dict())          # same names: weight, bias, running_*
    for _ in range(3):                                  # running statistics accumulate
        X = torch.randn(*shape, dtype=torch.float64) * 3 + 1
        torch.testing.assert_close(ours.train()(X), theirs.train()(X))
    torch.testing.assert_close(ours.running_mean, theirs.running_mean)
    torch.testing.assert_close(ours.running_var, theirs.running_var)
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 3
    X = torch.randn(*shape, dtype=torch.float64)
    torch.testing.assert_close(ours.eval()(X), theirs.eval()(X))
    before = ours.running_mean.clone()
    ours.eval()(X * 10)
    assert torch.equal(ours.running_mean, before)       # evaluation does not update them


def test_layer_under_no_grad_in_training_mode_still_uses_batch_statistics() -> None:
    # The book decides the mode from torch.is_grad_enabled(); ours follows module.training.
    layer = d2l.BatchNorm(3, num_dims=2).train()
    X = torch.randn(10, 3) * 4 + 7
    with torch.no_grad():
        Y = layer(X)
    torch.testing.assert_close(Y.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
    assert not torch.equal(layer.running_mean, torch.zeros(3))


# Bad input: tests/test_bad_input.py (block OPS_NORM).
