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
