"""The chapter-7 pages' faithful path on the CPU: each book network, in the book's configuration
(its input size and learning rate), trained through the book-compatible module's ``train_ch6``
for a few steps on one small batch of real Fashion-MNIST images. The loss must go down and stay
finite, and the output shape and parameter count must be the book's (d2l-zh 2.0, §7.1–7.6, for
one input channel and ten classes)."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from contextlib import redirect_stdout

import pytest
import torch
from torch import nn

import d2lcore
from d2lcore import torch as book


def _bn_lenet() -> nn.Module:
    """§7.5's concise BN-LeNet (first convolution unpadded, 16·4·4 features)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Flatten(), nn.Linear(256, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(), nn.Linear(84, 10))  # fmt: skip


# section: (the network as the page's faithful switch builds it, input size, book lr,
#           the book's parameter count)
BOOK_NETS: dict[str, tuple[Callable[[], nn.Module], int, float, int]] = {
    "7.1 AlexNet": (lambda: d2lcore.AlexNet(resolution=224, width=1.0, hidden=4096, small_stem=False),
                    224, 0.01, 46_764_746),
    "7.2 VGG": (lambda: d2lcore.VGG(d2lcore.VGG_CONFIGS["vgg11"], resolution=224, width=0.25, hidden=4096),
                224, 0.05, 43_093_322),
    "7.3 NiN": (lambda: d2lcore.NiN(resolution=224, width=1.0, small_stem=False), 224, 0.1, 1_992_166),
    "7.4 GoogLeNet": (lambda: d2lcore.GoogLeNet(resolution=96, width=1.0, small_stem=False),
                      96, 0.1, 5_977_530),
    "7.5 BN-LeNet": (_bn_lenet, 28, 1.0, 44_878),
    "7.6 ResNet-18": (lambda: d2lcore.ResNet18(resolution=96, width=1.0, small_stem=False),
                      96, 0.05, 11_178_378),
}  # fmt: skip

STEPS = 4
# Eight images per batch; ResNet-18's batch norm at its last stage (3×3 maps) needs sixteen for
# four steps of lr 0.05 to lower the loss.
BATCH = {"7.6 ResNet-18": 16}


@pytest.mark.parametrize("name", list(BOOK_NETS))
def test_book_network_trains_on_the_cpu(name: str, data_root: object) -> None:
    build, size, lr, params = BOOK_NETS[name]
    torch.manual_seed(0)
    net = build()
    assert d2lcore.count_parameters(net) == params
    net.eval()
    with torch.no_grad():
        assert net(torch.zeros(2, 1, size, size)).shape == (2, 10)
    # One fixed batch of real images at the book's size: every "epoch" is one step on it.
    batch = BATCH.get(name, 8)
    train_iter, test_iter = d2lcore.load_fashion_mnist(
        batch, resize=None if size == 28 else size, num_train=batch, num_test=8)
    with redirect_stdout(io.StringIO()) as out:
        book.train_ch6(net, train_iter, test_iter, STEPS, lr, "cpu")
    assert out.getvalue().startswith("training on cpu\n")
    losses = book.last_history().column("train_loss")
    assert len(losses) == STEPS and all(math.isfinite(v) for v in losses), losses
    assert losses[-1] < losses[0], losses
    assert all(torch.isfinite(p).all() for p in net.parameters())
