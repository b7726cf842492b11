"""The chapter-7 architectures (d2lcore.models: alexnet, vgg, nin, googlenet, resnet):
output shapes at several resolutions, parameter counts against hand-computed values for the
book's configurations, the blocks' shapes, a residual block's identity, and that each model
can overfit a tiny batch."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

import d2lcore as d2l


def conv(ci: int, co: int, k: int) -> int:
    return co * ci * k * k + co


def fc(di: int, do: int) -> int:
    return do * di + do


def alexnet_by_hand(w: float = 1.0, flat: int = 5 * 5, hidden: int = 4096) -> int:
    c = [max(1, round(x * w)) for x in (96, 256, 384, 384, 256)]
    return (conv(1, c[0], 11) + conv(c[0], c[1], 5) + conv(c[1], c[2], 3) + conv(c[2], c[3], 3)
            + conv(c[3], c[4], 3) + fc(c[4] * flat, hidden) + fc(hidden, hidden) + fc(hidden, 10))  # fmt: skip


def vgg_by_hand(arch, flat: int = 7 * 7, hidden: int = 4096) -> int:
    total, ci = 0, 1
    for n, co in arch:
        for _ in range(n):
            total, ci = total + conv(ci, co, 3), co
    return total + fc(ci * flat, hidden) + fc(hidden, hidden) + fc(hidden, 10)


def nin_by_hand() -> int:
    block = lambda ci, co, k: conv(ci, co, k) + 2 * conv(co, co, 1)  # noqa: E731
    return block(1, 96, 11) + block(96, 256, 5) + block(256, 384, 3) + block(384, 10, 3)


def googlenet_by_hand() -> int:
    total, ci = conv(1, 64, 7) + conv(64, 64, 1) + conv(64, 192, 3), 192
    for c1, c2, c3, c4 in d2l.INCEPTION_CONFIGS:
        total += (conv(ci, c1, 1) + conv(ci, c2[0], 1) + conv(c2[0], c2[1], 3) + conv(ci, c3[0], 1)
                  + conv(c3[0], c3[1], 5) + conv(ci, c4, 1))  # fmt: skip
        ci = c1 + c2[1] + c3[1] + c4
    return total + fc(ci, 10)


def resnet18_by_hand() -> int:
    block = lambda ci, co: conv(ci, co, 3) + conv(co, co, 3) + 4 * co + (conv(ci, co, 1) if ci != co else 0)  # noqa: E731
    total = conv(1, 64, 7) + 2 * 64
    for ci, co in [(64, 64), (64, 128), (128, 256), (256, 512)]:
        total += block(ci, co) + block(co, co)
    return total + fc(512, 10)


# --- parameter counts of the book's models ---------------------------------------------------

BOOK = [
    ("AlexNet", d2l.AlexNet, alexnet_by_hand(), 46_764_746),
    ("VGG-11", d2l.vgg11, vgg_by_hand(d2l.VGG_CONFIGS["vgg11"]), 128_806_154),
    ("NiN", d2l.NiN, nin_by_hand(), 1_992_166),
    ("GoogLeNet", d2l.GoogLeNet, googlenet_by_hand(), 5_977_530),
    ("ResNet-18", d2l.ResNet18, resnet18_by_hand(), 11_178_378),
]


@pytest.mark.parametrize("name, build, by_hand, published", BOOK, ids=[b[0] for b in BOOK])
def test_book_parameter_counts(name: str, build: Callable[[], nn.Module], by_hand: int, published: int) -> None:
    with torch.device("meta"):       # no memory, no initialisation: only the shapes matter
        model = build()
    assert d2l.count_parameters(model) == by_hand == published


@pytest.mark.parametrize("width", [0.25, 0.5])
def test_alexnet_width_scales_the_conv_channels(width: float) -> None:
    model = d2l.AlexNet(resolution=28, width=width, hidden=64, small_stem=True)
    # 28 → 28 (3×3 stem) → 13 → 13 → 6 → 6 → 6 → 6 → 2 after the third pool.
    assert d2l.count_parameters(model) == alexnet_by_hand(width, flat=2 * 2, hidden=64) - (
        conv(1, round(96 * width), 11) - conv(1, round(96 * width), 3))


@pytest.mark.parametrize("name", sorted(d2l.VGG_CONFIGS))
def test_vgg_configs(name: str) -> None:
    arch = d2l.VGG_CONFIGS[name]
    assert sum(n for n, _ in arch) + 3 == int(name[3:])
    narrow = tuple((n, c // 8) for n, c in arch)
    model = d2l.VGG(arch, resolution=32, width=0.125, hidden=32)
    assert d2l.count_parameters(model) == vgg_by_hand(narrow, flat=1, hidden=32)


# --- output shapes ----------------------------------------------------------------------------

SMALL: dict[str, Callable[..., nn.Module]] = {
    "AlexNet": lambda r, s: d2l.AlexNet(resolution=r, width=0.0625, hidden=16, small_stem=s),
    "VGG": lambda r, s: d2l.VGG(((1, 8), (1, 16), (2, 16)), resolution=r, hidden=16),
    "NiN": lambda r, s: d2l.NiN(resolution=r, width=0.0625, small_stem=s),
    "GoogLeNet": lambda r, s: d2l.GoogLeNet(resolution=r, width=0.0625, small_stem=s),
    "ResNet18": lambda r, s: d2l.ResNet18(resolution=r, width=0.0625, small_stem=s),
}
SHAPE_CASES = [
    ("AlexNet", 28, True), ("AlexNet", 40, True), ("AlexNet", 67, False), ("AlexNet", 100, False),
    ("VGG", 8, False), ("VGG", 28, False), ("VGG", 45, False),
    ("NiN", 28, True), ("NiN", 67, False), ("NiN", 96, False),
    ("GoogLeNet", 28, True), ("GoogLeNet", 33, False), ("GoogLeNet", 96, False),
    ("ResNet18", 28, True), ("ResNet18", 17, False), ("ResNet18", 96, False),
]  # fmt: skip


@pytest.mark.parametrize("name, resolution, small_stem", SHAPE_CASES)
def test_output_shape(name: str, resolution: int, small_stem: bool) -> None:
    model = SMALL[name](resolution, small_stem).eval()
    with torch.no_grad():
        Y = model(torch.randn(3, 1, resolution, resolution))
    assert Y.shape == (3, 10)


def test_book_shape_walks() -> None:
    with torch.device("meta"):
        alex, vgg, goog, res = d2l.AlexNet(), d2l.vgg11(), d2l.GoogLeNet(), d2l.ResNet18()
    assert [r.output_shape[-1] for r in d2l.layer_summary(alex.features, (1, 1, 224, 224), show=False)] == [
        54, 54, 26, 26, 26, 12, 12, 12, 12, 12, 12, 12, 5]
    assert [r.output_shape for r in d2l.layer_summary(vgg.features, (1, 1, 224, 224), show=False)][-1] == (1, 512, 7, 7)
    assert [r.output_shape for r in d2l.layer_summary(goog, (1, 1, 96, 96), show=False)][:4] == [
        (1, 64, 24, 24), (1, 192, 12, 12), (1, 480, 6, 6), (1, 832, 3, 3)]
    assert [r.output_shape for r in d2l.layer_summary(res, (1, 1, 96, 96), show=False)][:5] == [
        (1, 64, 24, 24), (1, 64, 24, 24), (1, 128, 12, 12), (1, 256, 6, 6), (1, 512, 3, 3)]


@pytest.mark.parametrize("build", [
    lambda: d2l.AlexNet(resolution=28), lambda: d2l.vgg11(resolution=28), lambda: d2l.NiN(resolution=28),
])  # fmt: skip
def test_too_small_resolution_is_a_clear_error(build: Callable[[], nn.Module]) -> None:
    with pytest.raises(ValueError, match="resolution=28 is too small"):
        build()


@pytest.mark.parametrize("call, err, match", [
    (lambda: d2l.AlexNet(width=0), ValueError, "width"),
    (lambda: d2l.AlexNet(dropout=1.0), ValueError, "dropout"),
    (lambda: d2l.VGG(()), ValueError, "arch"),
    (lambda: d2l.ResNet((2, 2, 2)), ValueError, "num_residuals"),
    (lambda: d2l.Residual(3, 6), ValueError, "use_1x1conv"),
    (lambda: d2l.Residual(3, 3, strides=2), ValueError, "use_1x1conv"),
    (lambda: d2l.nin_block(1, 0, 3, 1, 1), ValueError, "out_channels"),
])  # fmt: skip
def test_bad_arguments(call, err, match) -> None:
    with pytest.raises(err, match=match):
        call()


# --- blocks -----------------------------------------------------------------------------------


def test_vgg_block_keeps_then_halves_the_resolution() -> None:
    block = d2l.vgg_block(3, 2, 5)
    assert sum(isinstance(m, nn.Conv2d) for m in block) == 3
    assert block(torch.randn(1, 2, 9, 12)).shape == (1, 5, 4, 6)


def test_nin_block_is_a_conv_and_a_per_pixel_mlp() -> None:
    block = d2l.nin_block(2, 4, kernel_size=3, stride=1, padding=1)
    kernels = [m.kernel_size for m in block if isinstance(m, nn.Conv2d)]
    assert kernels == [(3, 3), (1, 1), (1, 1)]
    assert block(torch.randn(2, 2, 5, 5)).shape == (2, 4, 5, 5)


def test_inception_concatenates_its_four_paths() -> None:
    block = d2l.Inception(6, 2, (3, 4), (1, 5), 3)
    X = torch.randn(2, 6, 7, 7)
    Y = block(X)
    assert Y.shape == (2, 2 + 4 + 5 + 3, 7, 7) and block.out_channels == 14
    torch.testing.assert_close(Y[:, :2], block.branch1(X))
    torch.testing.assert_close(Y[:, 2 + 4 + 5 :], block.branch4(X))


@pytest.mark.parametrize("ci, co, use_1x1conv, strides, out", [
    (3, 3, False, 1, (4, 3, 6, 6)), (3, 6, True, 2, (4, 6, 3, 3)), (3, 3, True, 1, (4, 3, 6, 6)),
])  # fmt: skip
def test_residual_shapes(ci: int, co: int, use_1x1conv: bool, strides: int, out: tuple) -> None:
    blk = d2l.Residual(ci, co, use_1x1conv, strides)
    assert blk(torch.randn(4, ci, 6, 6)).shape == out
    assert (blk.conv3 is not None) == use_1x1conv


@pytest.mark.parametrize("train", [True, False])
def test_residual_block_is_the_identity_at_zero_weights(train: bool) -> None:
    blk = d2l.Residual(4, 4).train(train)
    with torch.no_grad():
        blk.bn2.weight.zero_()
        blk.bn2.bias.zero_()
    X = torch.rand(3, 4, 5, 5)                       # non-negative, as a ReLU output is
    assert torch.equal(blk(X), X)
    X = torch.randn(3, 4, 5, 5)
    assert torch.equal(blk(X), torch.relu(X))


def test_initialisation_is_seeded_and_kaiming() -> None:
    torch.manual_seed(0)
    a = d2l.ResNet18(resolution=28, width=0.25, small_stem=True)
    torch.manual_seed(0)
    b = d2l.ResNet18(resolution=28, width=0.25, small_stem=True)
    for (na, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert torch.equal(pa, pb), na
    w = d2l.VGG(((1, 256),), resolution=8, hidden=16).features[0][0].weight
    assert abs(w.std().item() - (2 / 9) ** 0.5) < 0.05            # He: std = sqrt(2 / fan_in)
    assert all(torch.count_nonzero(m.bias) == 0 for m in a.modules() if isinstance(m, nn.Conv2d))


# --- each model can fit a tiny batch ----------------------------------------------------------

TINY = {  # (model, input resolution, learning rate, steps)
    "AlexNet": (lambda: d2l.AlexNet(resolution=16, width=0.125, hidden=64, dropout=0.0, small_stem=True), 16, 3e-3, 40),
    "VGG": (lambda: d2l.VGG(((1, 8), (1, 16), (2, 32)), resolution=16, hidden=64, dropout=0.0), 16, 3e-3, 40),
    # NiN (ReLU outputs averaged into scores, no BN) is the slowest to fit: more steps.
    "NiN": (lambda: d2l.NiN(resolution=16, width=0.25, dropout=0.0, small_stem=True), 16, 1e-3, 300),
    "GoogLeNet": (lambda: d2l.GoogLeNet(resolution=16, width=0.0625, small_stem=True), 16, 3e-3, 40),
    "ResNet18": (lambda: d2l.ResNet18(resolution=12, width=0.0625, small_stem=True), 12, 3e-3, 40),
}


@pytest.fixture
def one_thread():
    """Tiny models run fastest on one thread (and do not fight other processes for cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _overfit(name: str, seed: int) -> tuple[float, float, int]:
    """Train one tiny model on one image per class; return first loss, last loss, # correct."""
    torch.manual_seed(seed)
    build, resolution, lr, steps = TINY[name]
    model = build()
    X, y = torch.rand(10, 1, resolution, resolution), torch.arange(10)   # one image per class
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(X), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        correct = int((model(X).argmax(1) == y).sum())
    return losses[0], losses[-1], correct


@pytest.mark.parametrize("name", sorted(TINY))
def test_overfits_a_tiny_batch(name: str, one_thread: None) -> None:
    # A tiny net can start dead: NiN ends in ReLU before the global pooling, so for some
    # initialisations every logit is 0 and the loss stays at ln 10 (seen on an AMD EPYC CPU with
    # seeds 1 and 2 at lr 3e-3). A model that can learn overfits from at least one of four
    # starts; a broken one from none.
    runs = []
    for seed in range(4):
        first, last, correct = _overfit(name, seed)
        runs.append((seed, first, last, correct))
        if last < first / 4 and correct >= 9:
            return
    raise AssertionError(f"{name} did not overfit 10 images from any start: {runs}")
