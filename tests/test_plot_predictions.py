"""d2lcore.plot.show_predictions: titles "true / predicted", wrong ones in red, bad input named."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

import d2lcore as d2l  # noqa: E402

NAMES = ("cat", "chicken", "dog")


@pytest.fixture(autouse=True)
def _close_figures():  # noqa: ANN202
    yield
    plt.close("all")


def test_titles_and_colours() -> None:
    images = torch.rand(5, 1, 4, 4)
    labels = torch.tensor([0, 1, 2, 1, 0])
    preds = torch.tensor([0, 2, 2, 1, 1])
    axes = d2l.show_predictions(images, labels, preds, names=NAMES, n=4, num_rows=2)
    assert axes.shape == (2, 2)
    flat = axes.flatten()
    assert [ax.get_title() for ax in flat] == [
        "cat\ncat", "chicken\ndog", "dog\ndog", "chicken\nchicken",
    ]  # fmt: skip
    red = [to_rgba(ax.title.get_color()) == to_rgba("red") for ax in flat]
    assert red == [False, True, False, False]
    assert flat[0].images[0].get_array().shape == (4, 4)


def test_scores_are_reduced_by_argmax_and_numbers_without_names() -> None:
    scores = torch.tensor([[0.1, 2.0, 0.3], [5.0, 0.0, 0.0]])
    axes = d2l.show_predictions(torch.rand(2, 3, 3), torch.tensor([1, 2]), scores, n=2)
    assert [ax.get_title() for ax in axes.flatten()] == ["1\n1", "2\n0"]


BAD = [
    (dict(images=torch.rand(2, 3)), ValueError, r"images must be \(n, h, w\) or \(n, c, h, w\)"),
    (dict(labels=torch.tensor([[0], [1]])), ValueError, r"labels must be one class per image"),
    (dict(preds=torch.zeros(2, 3, 1)), ValueError, r"preds must be classes \(n,\) or scores"),
    (dict(labels=torch.tensor([0.0, 1.0])), TypeError, r"labels must hold integer classes"),
    (dict(labels=torch.tensor([0, 3])), ValueError, r"classes in \[0, 2\], got \[3\]"),
    (dict(preds=torch.tensor([0, 1, 2])), ValueError, r"same length, got 2, 2 and 3"),
    (dict(n=3), ValueError, r"n must be an integer in \[1, 2\]"),
    (dict(n=2, num_rows=3), ValueError, r"num_rows must be ≥ 1 and divide n=2"),
    (dict(images=[[0.0]]), TypeError, r"images must be a torch.Tensor, got list"),
]


@pytest.mark.parametrize(("override", "error", "message"), BAD)
def test_bad_input_is_named(override: dict, error: type[Exception], message: str) -> None:
    kwargs = dict(images=torch.rand(2, 4, 4), labels=torch.tensor([0, 1]),
                  preds=torch.tensor([1, 1]), names=NAMES, n=2)  # fmt: skip
    kwargs.update(override)
    with pytest.raises(error, match=message):
        d2l.show_predictions(**kwargs)
