"""d2lcore.models: output shapes, parameter counts, FLOPs, and that the models can learn.

Chapter 6 (LeNet, the from-scratch Conv2D, the summary helpers) and chapter 7 (AlexNet … ResNet)
each add their own test functions here.
"""

from __future__ import annotations

import io

import pytest
import torch
from torch import nn

import d2lcore as d2l

# --- models.summary: layer_summary, count_parameters, count_flops -----------------------------


def test_count_parameters_counts_weights_and_biases() -> None:
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    assert d2l.count_parameters(net) == 4 * 3 + 3 + 3 * 2 + 2
    net[0].weight.requires_grad_(False)
    assert d2l.count_parameters(net) == 3 + 3 * 2 + 2
    assert d2l.count_parameters(net, trainable_only=False) == 4 * 3 + 3 + 3 * 2 + 2


def test_count_flops_of_a_linear_layer() -> None:
    # One (b, 4) × (4, 3) product: 2·b·4·3 FLOPs (a multiply-add counts as 2).
    assert d2l.count_flops(nn.Linear(4, 3, bias=False), (5, 4)) == 2 * 5 * 4 * 3
    # The backward pass adds the weight gradient (the input needs none): 2× the forward.
    assert d2l.count_flops(nn.Linear(4, 3, bias=False), (5, 4), backward=True) == 2 * 2 * 5 * 4 * 3


def test_count_flops_with_backward_leaves_the_model_as_it_was() -> None:
    # The backward count runs the model in training mode: batch norm moves its running
    # statistics, and backward() writes .grad. All of it is put back.
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2))
    net(torch.randn(2, 1, 6, 6))  # materialise the lazy layer
    net.eval()
    net[0].weight.grad = torch.full_like(net[0].weight, 7.0)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    assert d2l.count_flops(net, (3, 1, 6, 6), backward=True) > 0
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before), "a buffer moved"
    assert not net.training and int(net[1].num_batches_tracked) == 1  # the lazy call only
    assert torch.equal(net[0].weight.grad, torch.full_like(net[0].weight, 7.0))
    assert net[0].bias.grad is None and net[4].weight.grad is None


def test_layer_summary_walks_shapes_and_restores_mode() -> None:
    net = d2l.LeNet()
    net.train()
    out = io.StringIO()
    rows = d2l.layer_summary(net, (2, 1, 28, 28), file=out)
    assert net.training
    assert [r.name for r in rows][:3] == ["conv1", "act1", "pool1"]
    assert rows[-1].output_shape == (2, 10)
    assert "61,706" in out.getvalue()
    with pytest.raises(ValueError, match=r"cannot take an input of shape \(1, 3, 28, 28\)"):
        d2l.layer_summary(net, (1, 3, 28, 28), show=False)


# --- LeNet (§6.6) ----------------------------------------------------------------------------

LENET_SHAPES = [  # the book's shape walk for a 1×1×28×28 input
    ("conv1", (1, 6, 28, 28), 156), ("act1", (1, 6, 28, 28), 0), ("pool1", (1, 6, 14, 14), 0),
    ("conv2", (1, 16, 10, 10), 2416), ("act2", (1, 16, 10, 10), 0), ("pool2", (1, 16, 5, 5), 0),
    ("flatten", (1, 400), 0), ("fc1", (1, 120), 48120), ("act3", (1, 120), 0),
    ("fc2", (1, 84), 10164), ("act4", (1, 84), 0), ("fc3", (1, 10), 850),
]  # fmt: skip


@pytest.mark.parametrize("activation, pool", [("sigmoid", "avg"), ("relu", "max")])
def test_lenet_shapes_and_parameter_count(activation: str, pool: str) -> None:
    net = d2l.LeNet(activation=activation, pool=pool)
    rows = d2l.layer_summary(net, (1, 1, 28, 28), show=False)
    assert [(r.name, r.output_shape, r.num_params) for r in rows] == LENET_SHAPES
    assert d2l.count_parameters(net) == 61_706
    assert net(torch.zeros(7, 1, 28, 28)).shape == (7, 10)
    assert d2l.count_parameters(d2l.LeNet(num_classes=3)) == 61_706 - 7 * 85


def test_lenet_book_defaults() -> None:
    net = d2l.LeNet()
    assert isinstance(net.act1, nn.Sigmoid) and isinstance(net.pool1, nn.AvgPool2d)
    modern = d2l.LeNet(activation="relu", pool="max")
    assert isinstance(modern.act1, nn.ReLU) and isinstance(modern.pool2, nn.MaxPool2d)
    assert isinstance(d2l.LeNet(activation=nn.GELU).act3, nn.GELU)
    # Xavier-uniform weights: |w| ≤ √(6 / (fan_in + fan_out)); PyTorch's default is narrower.
    bound = (6 / (400 + 120)) ** 0.5
    assert net.fc1.weight.abs().max() <= bound and net.fc1.weight.abs().max() > 0.9 * bound


def test_lenet_forward_flops() -> None:
    # conv1 2·(6·28·28)·25 + conv2 2·(16·10·10)·150 + fc 2·(400·120 + 120·84 + 84·10)
    expected = 2 * (6 * 28 * 28 * 25 + 16 * 10 * 10 * 150 + 400 * 120 + 120 * 84 + 84 * 10)
    assert expected == 833_040
    assert d2l.count_flops(d2l.LeNet(), (1, 1, 28, 28)) == 833_040
    assert d2l.count_flops(d2l.LeNet(), (4, 1, 28, 28)) == 4 * 833_040


# Bad arguments: tests/test_bad_input.py (block MODELS).


@pytest.mark.parametrize("activation, pool", [("sigmoid", "avg"), ("relu", "max")])
def test_lenet_overfits_a_tiny_batch(activation: str, pool: str) -> None:
    torch.manual_seed(0)
    X, y = torch.rand(16, 1, 28, 28), torch.arange(16) % 10
    net = d2l.LeNet(activation=activation, pool=pool)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    loss = nn.CrossEntropyLoss()
    first = loss(net(X), y).item()
    for _ in range(250):  # sigmoid LeNet sits on a plateau for ~150 steps, then drops
        opt.zero_grad()
        l = loss(net(X), y)
        l.backward()
        opt.step()
    assert l.item() < 0.05 * first
    assert (net(X).argmax(1) == y).all()


# --- the from-scratch Conv2D layer (§6.2) ---------------------------------------------------------


@pytest.mark.parametrize(
    "c_i, c_o, k, s, p, bias",
    [(1, 6, 5, 1, 2, True), (6, 16, 5, 1, 0, True), (3, 4, (3, 2), (2, 1), (1, 0), False)],
)
def test_conv2d_layer_equals_nn_conv2d(c_i: int, c_o: int, k, s, p, bias: bool) -> None:  # noqa: ANN001
    torch.manual_seed(0)
    ours = d2l.Conv2D(c_i, c_o, k, stride=s, padding=p, bias=bias).double()
    ref = nn.Conv2d(c_i, c_o, k, stride=s, padding=p, bias=bias).double()
    assert [q.shape for q in ours.parameters()] == [q.shape for q in ref.parameters()]
    ref.load_state_dict(ours.state_dict())
    X = torch.randn(3, c_i, 11, 9, dtype=torch.float64)
    Y, Y_ref = ours(X), ref(X)
    assert torch.allclose(Y, Y_ref, rtol=1e-10, atol=1e-12)
    Y.square().sum().backward()
    Y_ref.square().sum().backward()
    for a, b in zip(ours.parameters(), ref.parameters()):
        assert torch.allclose(a.grad, b.grad, rtol=1e-10, atol=1e-10)


def test_conv2d_layer_default_init_matches_nn_conv2d_range() -> None:
    torch.manual_seed(0)
    layer = d2l.Conv2D(8, 16, 3)
    bound = 1 / (8 * 9) ** 0.5
    assert layer.weight.abs().max() <= bound and layer.weight.abs().max() > 0.9 * bound
    assert layer.bias is not None and layer.bias.abs().max() <= bound
    assert "kernel_size=(3, 3)" in repr(layer)


def test_lenet_with_from_scratch_layers_equals_lenet() -> None:
    torch.manual_seed(0)
    net = d2l.LeNet()
    scratch = d2l.LeNet()
    scratch.conv1 = d2l.Conv2D(1, 6, 5, padding=2)
    scratch.conv2 = d2l.Conv2D(6, 16, 5)
    scratch.load_state_dict(net.state_dict())
    X = torch.rand(5, 1, 28, 28)
    assert torch.allclose(scratch(X), net(X), atol=1e-5)


def test_lenet_slices_are_plain_sequentials_with_the_layer_names() -> None:
    net = d2l.LeNet()
    encoder = net[:6]
    assert type(encoder) is nn.Sequential
    assert list(dict(encoder.named_children())) == ["conv1", "act1", "pool1", "conv2", "act2", "pool2"]
    assert encoder[0] is net.conv1 and net[0] is net.conv1 and net[-1] is net.fc3
    X = torch.rand(2, 1, 28, 28)
    torch.testing.assert_close(net[6:](encoder(X)), net(X))
    assert len(net[::2]) == 6
