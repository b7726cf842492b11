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


# Bad input: tests/test_bad_input.py (blocks OPS_CLASSIFY and PLOT).
