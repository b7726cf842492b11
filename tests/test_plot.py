"""d2lcore.plot: curves (several series, legend, log scale), image grids with titles, a
training history, SVG in Jupyter. (show_predictions: test_plot_predictions.py.)"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import d2lcore as d2l
from d2lcore import _plot_module as plot_module


@pytest.fixture(autouse=True)
def _close(close_figures: None) -> None:
    """Every test here closes its figures."""


def test_plot_one_series_against_x() -> None:
    x = torch.arange(5.0)
    ax = d2l.plot(x, x**2, xlabel="x", ylabel="f(x)", title="square")
    assert len(ax.lines) == 1
    assert list(ax.lines[0].get_xdata()) == [0, 1, 2, 3, 4]
    assert list(ax.lines[0].get_ydata()) == [0, 1, 4, 9, 16]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("x", "f(x)", "square")
    assert ax.get_legend() is None


def test_plot_several_series_legend_formats_and_scales() -> None:
    x = np.linspace(0.1, 2, 20)
    ax = d2l.plot(x, [x, x**2, np.exp(x)], legend=["x", "x^2", "e^x"], yscale="log",
                  xlim=(0.1, 2), ylim=(0.01, 10), fmts=("-", "m--", "g-."))
    assert len(ax.lines) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x", "x^2", "e^x"]
    assert [line.get_linestyle() for line in ax.lines] == ["-", "--", "-."]
    assert ax.get_yscale() == "log" and ax.get_xscale() == "linear"
    assert ax.get_xlim() == (0.1, 2) and ax.get_ylim() == pytest.approx((0.01, 10))
    assert np.allclose(ax.lines[2].get_ydata(), np.exp(x))


def test_plot_without_x_uses_indices_and_one_x_per_series() -> None:
    ax = d2l.plot([3.0, 1.0, 2.0])
    assert list(ax.lines[0].get_xdata()) == [0, 1, 2]
    ax = d2l.plot([[0, 1], [0, 2, 4]], [[1, 1], [2, 2, 2]])
    assert list(ax.lines[1].get_xdata()) == [0, 2, 4]


def test_plot_draws_into_given_axes_and_accepts_grad_tensors() -> None:
    fig, ax = plt.subplots()
    x = torch.linspace(-1, 1, 5, requires_grad=True)
    assert d2l.plot(x, torch.relu(x), axes=ax) is ax  # tensors that need grad are detached
    assert np.allclose(ax.lines[0].get_ydata(), [0, 0, 0, 0.5, 1])


def test_show_images_grid_and_titles() -> None:
    imgs = [torch.rand(28, 28), torch.rand(1, 28, 28), torch.rand(3, 8, 8), np.zeros((5, 5))]
    axes = d2l.show_images(imgs, 2, 3, titles=["a", "b", "c", "d"], scale=1.0)
    assert axes.shape == (2, 3)
    flat = axes.flatten()
    assert [ax.get_title() for ax in flat[:4]] == ["a", "b", "c", "d"]
    assert flat[0].images[0].get_array().shape == (28, 28)
    assert flat[1].images[0].get_array().shape == (28, 28)  # (1, h, w) shown as grey
    assert flat[2].images[0].get_array().shape == (8, 8, 3)  # (c, h, w) → (h, w, c)
    assert not flat[4].axison and not flat[5].images  # the unused cells stay empty
    assert tuple(flat[0].figure.get_size_inches()) == (3.0, 2.0)


def _history() -> d2l.History:
    return d2l.History([
        d2l.EpochStats(1, 1.0, 0.5, None, 0.55, 1000.0, 1.0),
        d2l.EpochStats(2, 0.6, 0.7, None, 0.72, 1100.0, 1.0),
    ])  # fmt: skip


def test_plot_history_draws_the_metrics_with_values() -> None:
    ax = d2l.plot_history(_history(), num_epochs=10)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train loss", "train acc", "test acc"]
    assert list(ax.lines[2].get_ydata()) == [0.55, 0.72]
    assert ax.get_xlim() == (1, 10) and ax.get_xlabel() == "epoch"
    ax = d2l.plot_history(_history(), ["train_loss"])
    assert len(ax.lines) == 1 and ax.get_xlim() == (1, 2)


def test_use_svg_display_is_harmless_outside_jupyter(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython
    import matplotlib_inline.backend_inline as inline

    formats: list[tuple] = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # a plain Python process
    monkeypatch.setattr(inline, "set_matplotlib_formats", lambda *f: formats.append(f))
    backend = matplotlib.get_backend()
    assert d2l.use_svg_display() is None
    assert formats == [] and matplotlib.get_backend() == backend  # nothing was changed


def test_use_svg_display_in_ipython(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython
    import matplotlib_inline.backend_inline as inline

    formats: list[tuple] = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(inline, "set_matplotlib_formats", lambda *f: formats.append(f))
    d2l.use_svg_display()
    assert formats == [("svg",)]


def test_set_figsize() -> None:
    import matplotlib

    old = matplotlib.rcParams["figure.figsize"]
    try:
        d2l.set_figsize((5, 3))
        assert list(matplotlib.rcParams["figure.figsize"]) == [5, 3]
    finally:
        matplotlib.rcParams["figure.figsize"] = old


def test_plot_is_the_function_and_the_module_is_reachable() -> None:
    import sys

    assert callable(d2l.plot) and plot_module.plot is d2l.plot
    assert sys.modules["d2lcore.plot"] is plot_module
