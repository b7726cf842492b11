"""The models' shared scaffold (d2lcore.models.scaffold): seeded initial weights pinned to the
values they had before the scaffold existed, the minimum resolution computed from the layers,
the input checks made before the forward pass, the classifier head and the config tables."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
import torch
from torch import nn

import d2lcore as d2l
from d2lcore.models.scaffold import (
    MAX_RESOLUTION,
    ImageClassifier,
    classifier_head,
    min_resolution,
    spatial_size,
)

_SMALL = dict(resolution=28, width=0.125, small_stem=True)

#: Small configurations of every model: cheap to build, and they run through every
#: construction path (stems, blocks, heads) that the book's configurations do.
PINNED: dict[str, Callable[[], nn.Module]] = {
    "LeNet": lambda: d2l.LeNet(),
    "LeNet-relu-max": lambda: d2l.LeNet("relu", "max", num_classes=7),
    "AlexNet": lambda: d2l.AlexNet(**_SMALL, hidden=16),
    "AlexNet-128-rgb": lambda: d2l.AlexNet(resolution=128, width=0.0625, hidden=16, in_channels=3, num_classes=5),
    "VGG-16-bn": lambda: d2l.VGG(d2l.VGG_CONFIGS["vgg16"], resolution=32, width=0.125, hidden=16, batch_norm=True),
    "NiN": lambda: d2l.NiN(**_SMALL),
    "NiN-book-stem": lambda: d2l.NiN(resolution=128, width=0.0625),
    "GoogLeNet": lambda: d2l.GoogLeNet(**_SMALL),
    "ResNet18": lambda: d2l.ResNet18(**_SMALL),
    "ResNet-3332": lambda: d2l.ResNet((3, 3, 3, 2), resolution=64, width=0.0625),
}


def fingerprint(model: nn.Module) -> tuple[str, int, list[float]]:
    """The state_dict's keys and shapes (hashed), its number of values, and four position-
    weighted sums of its values in float64. A change in construction order, shapes or
    initialisation moves the sums by far more than the tolerance; a different CPU's rounding
    of the same random draws does not."""
    keys = "\n".join(f"{k}:{tuple(v.shape)}" for k, v in model.state_dict().items())
    tensors = [v.detach().double().flatten() for v in model.state_dict().values()]
    n = sum(t.numel() for t in tensors)
    s = [0.0, 0.0, 0.0, 0.0]
    for i, t in enumerate(tensors, start=1):
        if t.numel() == 0:
            continue
        pos = torch.arange(1, t.numel() + 1, dtype=torch.float64) / t.numel()
        s[0] += i * t.sum().item()
        s[1] += i * (t * t).sum().item()
        s[2] += i * (t * pos).sum().item()
        s[3] += i * t[0].item()
    return hashlib.sha256(keys.encode()).hexdigest()[:16], n, s


#: Recorded with torch.manual_seed(0) from the models as they were before the scaffold.
EXPECTED: dict[str, tuple[str, int, list[float]]] = {
    "AlexNet": ("f17e06c770f795c5", 60770, [-68.83536177646829, 2977.090058558449, -53.33766302089076, 5.43088872730732]),
    "AlexNet-128-rgb": ("ab5be20839865e4d", 18157, [-75.91659146977508, 1939.7401305572218, -34.07893575226731, 9.257590714842081]),
    "GoogLeNet": ("b8ab7ed4160e6dad", 95348, [-2655.784242970674, 121528.39744697722, -1182.6966947714302, -33.29560050484724]),
    "LeNet": ("8fd7f8ab1531b1a2", 61706, [33.6143721737958, 1813.7554654824821, 21.887298043311155, -1.6176101830787957]),
    "LeNet-relu-max": ("8cf66a4bb362e40b", 61451, [14.356828913258596, 1769.6032491522833, 44.1626555250379, -1.9899620916694403]),
    "NiN": ("d4129aa89cbbd8c2", 35302, [-10.473914574520222, 7505.583026342147, -25.876719481188022, 0.39505164697766304]),
    "NiN-book-stem": ("52e8237ee5988f84", 10846, [-302.6885521872955, 4314.46644354254, -139.43815882710686, -14.941614013165236]),
    "ResNet-3332": ("39e00510b553b746", 51737, [66293.02972522317, 157236.7281683925, 35197.97882448906, 3850.6913370257244]),
    "ResNet18": ("e21cb717d0cb904f", 177627, [85330.47482772333, 190533.59218581146, 43975.019800120914, 2220.446375787258]),
    "VGG-16-bn": ("e29b566e551ca7ed", 234031, [60303.313657200866, 132048.79935673904, 31956.134559864848, 1195.1293048774824]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PINNED))
def test_seeded_initial_weights_are_pinned(name: str) -> None:
    torch.manual_seed(0)
    keys, n, sums = fingerprint(PINNED[name]())
    want_keys, want_n, want_sums = EXPECTED[name]
    assert (keys, n) == (want_keys, want_n)
    assert sums == pytest.approx(want_sums, rel=1e-6, abs=1e-6)


# --- the minimum resolution, walked from the layers -------------------------------------------

WALKED = {  # models whose walked minimum is checked against PyTorch running them
    "AlexNet": lambda: d2l.AlexNet(resolution=128, width=0.0625, hidden=8),
    "AlexNet-small-stem": lambda: d2l.AlexNet(**_SMALL, hidden=8),
    "VGG-11": lambda: d2l.VGG(d2l.VGG_CONFIGS["vgg11"], resolution=32, width=0.0625, hidden=8),
    "NiN": lambda: d2l.NiN(resolution=128, width=0.0625),
    "NiN-small-stem": lambda: d2l.NiN(**_SMALL),
    "GoogLeNet": lambda: d2l.GoogLeNet(resolution=28, width=0.0625),
    "ResNet18": lambda: d2l.ResNet18(resolution=28, width=0.0625),
}


@pytest.mark.parametrize("name", sorted(WALKED))
def test_min_resolution_is_where_pytorch_starts_to_refuse(name: str) -> None:
    model = WALKED[name]().eval()
    m = model.min_resolution
    assert m == min_resolution(nn.Sequential(*(getattr(model, n) for n in model.spatial)))
    with torch.no_grad():
        if not model.fixed_resolution:
            assert model(torch.zeros(1, 1, m, m)).shape == (1, 10)
        feats = nn.Sequential(*(getattr(model, n) for n in model.spatial))
        assert min(feats(torch.zeros(1, 1, m, m)).shape[-2:]) >= 1
        if m > 1:
            with pytest.raises(RuntimeError):
                feats(torch.zeros(1, 1, m - 1, m - 1))


@pytest.mark.parametrize("name", ["NiN", "NiN-small-stem"])
def test_images_below_the_minimum_are_refused_before_running(name: str) -> None:
    model = WALKED[name]()
    m = model.min_resolution
    assert m > 1
    with pytest.raises(ValueError, match=rf"cannot take images of {m - 1}×{m + 3}: .*the smallest it takes is {m}×{m}"):
        model(torch.zeros(2, 1, m - 1, m + 3))
    assert model(torch.zeros(2, 1, m, m + 3)).shape == (2, 10)


def test_a_fixed_resolution_model_takes_only_its_resolution() -> None:
    # 29×29 gives AlexNet's small stem the same 3×3 features as 28×28: PyTorch would run it,
    # but the model was built for 28×28 and says so
    model = d2l.AlexNet(**_SMALL, hidden=8)
    assert model.features(torch.zeros(1, 1, 29, 29)).shape == model.features(torch.zeros(1, 1, 28, 28)).shape
    with pytest.raises(ValueError, match=r"AlexNet\(resolution=28\) takes 28×28 images, got \(2, 1, 29, 29\)"):
        model(torch.zeros(2, 1, 29, 29))


def test_batch_norm_check_refuses_only_a_single_value_per_channel() -> None:
    model = d2l.ResNet18(resolution=28, width=0.0625)   # b5 is 1×1 for 28×28 images
    with pytest.raises(ValueError, match=r"cannot batch-normalise a batch of 1 image\(s\) of 28×28"):
        model(torch.zeros(1, 1, 28, 28))
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)        # two values per channel
    assert model(torch.zeros(1, 1, 64, 64)).shape == (1, 10)        # b5 is 2×2
    with torch.no_grad():
        assert model.eval()(torch.zeros(1, 1, 28, 28)).shape == (1, 10)  # running statistics
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        model.train().forward_unchecked(torch.zeros(1, 1, 28, 28))  # what the check prevents


LAYERS = [
    nn.Conv2d(1, 1, 3),
    nn.Conv2d(1, 1, (3, 5), stride=(2, 1), padding=(1, 2)),
    nn.Conv2d(1, 1, 3, stride=3, padding=2, dilation=2),
    nn.MaxPool2d(3, 2),
    nn.MaxPool2d(3, 2, padding=1, ceil_mode=True),
    nn.MaxPool2d(2, ceil_mode=True),
    nn.AvgPool2d(3, 2, padding=1, ceil_mode=True),
    d2l.AvgPool2d(2, 2),
    d2l.Conv2D(1, 1, 3, stride=2, padding=1),
    nn.AdaptiveAvgPool2d((1, 2)),
    nn.Sequential(nn.Conv2d(1, 1, 5), nn.ReLU(), nn.BatchNorm2d(1), nn.MaxPool2d(2)),
    d2l.Inception(1, 1, (1, 1), (1, 1), 1),
    d2l.Residual(1, 2, use_1x1conv=True, strides=2),
]


@pytest.mark.parametrize("layer", LAYERS, ids=[type(m).__name__ for m in LAYERS])
@pytest.mark.parametrize("size", [(1, 1), (2, 3), (5, 5), (7, 12), (16, 9), (33, 33)])
def test_spatial_size_agrees_with_running_the_layer(layer: nn.Module, size: tuple[int, int]) -> None:
    walked = spatial_size(layer, size)
    try:
        with torch.no_grad():
            out = layer.eval()(torch.zeros(1, 1, *size))
    except RuntimeError:
        assert min(walked) < 1
    else:
        assert walked == tuple(out.shape[-2:])


def test_spatial_size_refuses_a_container_it_cannot_order() -> None:
    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3)

    with pytest.raises(TypeError, match="spatial_size cannot walk a Two: give it a spatial_size"):
        spatial_size(Two(), (8, 8))
    assert min_resolution(nn.Sequential(nn.Conv2d(1, 1, 5), nn.MaxPool2d(2))) == 6
    assert min_resolution(nn.Conv2d(1, 1, 5), limit=4) is None


def test_a_model_too_deep_for_the_largest_resolution_says_so() -> None:
    deep = [(1, 4)] * 11   # 11 halvings need 2048 pixels
    with pytest.raises(ValueError, match=rf"resolution=1024 is too small for VGG: .*more than {MAX_RESOLUTION}"):
        d2l.VGG(deep, resolution=1024, hidden=4)


def test_the_base_class_needs_a_forward() -> None:
    class Bare(ImageClassifier):
        def __init__(self) -> None:
            super().__init__(10, 1, 1.0)
            self.features = nn.Conv2d(1, 2, 3)
            self.setup(("features",), 8)

    bare = Bare()
    assert (bare.in_channels, bare.resolution, bare.min_resolution) == (1, 8, 3)
    with pytest.raises(NotImplementedError, match="Bare must define forward_unchecked"):
        bare(torch.zeros(2, 1, 8, 8))


# --- the classifier head and the config tables ------------------------------------------------


def test_classifier_head_is_alexnets_and_vggs() -> None:
    torch.manual_seed(0)
    head = classifier_head(12, 8, 3, 0.25)
    assert [type(m).__name__ for m in head] == [
        "Flatten", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert [(m.in_features, m.out_features) for m in head if isinstance(m, nn.Linear)] == [(12, 8), (8, 8), (8, 3)]
    assert head[3].p == 0.25
    assert head.eval()(torch.zeros(5, 3, 2, 2)).shape == (5, 3)
    for model in (d2l.AlexNet(**_SMALL, hidden=8), d2l.VGG(((1, 4),), resolution=8, hidden=8)):
        assert [type(m) for m in model.classifier] == [type(m) for m in head]
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1"):
        classifier_head(12, 8, 3, 1)
    with pytest.raises(ValueError, match="hidden must be an integer ≥ 1, got 0"):
        classifier_head(12, 0, 3, 0.5)


def _conv_channels(model: nn.Module) -> list[int]:
    return [m.out_channels for m in model.modules() if isinstance(m, nn.Conv2d)]


def test_config_tables_describe_the_models_built() -> None:
    with torch.device("meta"):
        alex, nin, lenet = d2l.AlexNet(), d2l.NiN(), d2l.LeNet()
        resnet34 = d2l.ResNet(d2l.RESNET_CONFIGS["resnet34"])
    assert _conv_channels(alex) == [c[0] for c in d2l.ALEXNET_CONFIG if c != "M"]
    assert [m.kernel_size[0] for m in alex.modules() if isinstance(m, nn.Conv2d)] == [
        c[1] for c in d2l.ALEXNET_CONFIG if c != "M"]
    assert _conv_channels(nin)[::3] == [c[0] or 10 for c in d2l.NIN_CONFIG if isinstance(c, tuple)]
    assert _conv_channels(lenet) == [c[0] for c in d2l.LENET_CONFIG["convs"]]
    assert [lenet.fc1.out_features, lenet.fc2.out_features] == list(d2l.LENET_CONFIG["hidden"])
    assert [len(getattr(resnet34, f"b{i}")) for i in range(2, 6)] == list(d2l.RESNET_CONFIGS["resnet34"])
    assert sum(d2l.GOOGLENET_STAGES) == len(d2l.INCEPTION_CONFIGS)
    assert resnet34.fc.in_features == d2l.RESNET_CHANNELS[-1]
