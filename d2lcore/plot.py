"""Plots: curves with a legend and log scales, image grids with titles, a training history.

Figures are drawn with matplotlib; in Jupyter :func:`use_svg_display` makes them crisp SVG.
Labels are plain English or math, so no CJK font is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib

from . import validate

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .train import History

__all__ = [
    "use_svg_display", "set_figsize", "plot", "show_images", "show_predictions", "plot_history",
]  # fmt: skip


def use_svg_display() -> None:
    """Show figures as SVG in Jupyter (crisp at any zoom); does nothing outside IPython."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - IPython is an optional extra
        return
    if get_ipython() is not None:
        set_matplotlib_formats("svg")


def set_figsize(figsize: tuple[float, float] = (3.5, 2.5)) -> None:
    """Set matplotlib's default figure size (inches)."""
    matplotlib.rcParams["figure.figsize"] = figsize


def _has_one_axis(X: Any) -> bool:
    """True for one series (a 1-d tensor/array or a flat list), false for a list of series."""
    if hasattr(X, "ndim"):
        return X.ndim == 1
    return isinstance(X, (list, tuple, range)) and (len(X) == 0 or not hasattr(X[0], "__len__"))


def plot(
    X: Any,
    Y: Any = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    legend: Sequence[str] | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    xscale: str = "linear",
    yscale: str = "linear",
    fmts: Sequence[str] = ("-", "m--", "g-.", "r:", "c-", "y--", "k-."),
    figsize: tuple[float, float] = (3.5, 2.5),
    axes: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Plot one or several series (the book's ``d2l.plot``, §2.4).

    ``X`` is one sequence of x values (shared) or one per series; ``Y`` one sequence or a
    list of them. With ``Y`` omitted, ``X`` is plotted against its indices.
    """
    import matplotlib.pyplot as plt

    for name, value in (("legend", legend), ("fmts", fmts)):
        if isinstance(value, str):  # a string would give one label (or format) per character
            raise TypeError(f"{name} must be a list of strings, one per series, got the string "
                            f"{value!r}; wrap it: [{value!r}]")
    if legend is None:
        legend = []
    if axes is None:
        _, axes = plt.subplots(figsize=figsize)
    if Y is None:
        X, Y = None, X
    if _has_one_axis(Y):
        Y = [Y]
    if X is None:
        X = [None] * len(Y)
    elif _has_one_axis(X):
        X = [X] * len(Y)
    if len(X) != len(Y):
        raise ValueError(f"plot: {len(X)} x series for {len(Y)} y series; pass one or one each")
    if len(Y) > len(fmts):
        raise ValueError(f"plot: {len(Y)} series but only {len(fmts)} formats; pass fmts")
    for x, y, fmt in zip(X, Y, fmts):
        if x is None:
            axes.plot(_numpy(y), fmt)
        else:
            axes.plot(_numpy(x), _numpy(y), fmt)
    axes.set_xlabel(xlabel or "")
    axes.set_ylabel(ylabel or "")
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    if xlim is not None:
        axes.set_xlim(xlim)
    if ylim is not None:
        axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    if title:
        axes.set_title(title)
    axes.grid(True)
    return axes


def _numpy(x: Any) -> Any:
    detach = getattr(x, "detach", None)
    return detach().cpu().numpy() if detach is not None else x


def show_images(
    imgs: Any, num_rows: int, num_cols: int, titles: Sequence[str] | None = None, scale: float = 1.5
) -> Any:
    """Show a grid of images with optional titles (§3.5). ``imgs`` holds (h, w) or (c, h, w)
    tensors or arrays; returns the array of axes."""
    import matplotlib.pyplot as plt

    for name, value in (("num_rows", num_rows), ("num_cols", num_cols)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an integer ≥ 1, got {value!r} ({type(value).__name__})")
    if num_rows < 1 or num_cols < 1:
        raise ValueError(f"num_rows and num_cols must be ≥ 1, got {num_rows} and {num_cols}")
    if isinstance(titles, str):
        raise TypeError(f"titles must be a list of strings, one per image, got the string {titles!r}")
    if len(imgs) > num_rows * num_cols:
        raise ValueError(f"{len(imgs)} images do not fit a {num_rows}×{num_cols} grid")
    figsize = (num_cols * scale, num_rows * scale)
    _, axes = plt.subplots(num_rows, num_cols, figsize=figsize, squeeze=False)
    flat = axes.flatten()
    for i, ax in enumerate(flat):
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if i >= len(imgs):
            ax.set_axis_off()
            continue
        img = _numpy(imgs[i])
        if img.ndim == 3 and img.shape[0] in (1, 3):
            img = img.transpose(1, 2, 0)
        if img.ndim == 3 and img.shape[2] == 1:
            img = img[..., 0]
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        if titles is not None and i < len(titles):
            ax.set_title(titles[i], fontsize=9)
    return axes


def show_predictions(
    images: Any,
    labels: Any,
    preds: Any,
    names: Sequence[str] | None = None,
    n: int = 8,
    num_rows: int = 1,
    scale: float = 1.5,
) -> Any:
    """Show the first ``n`` images titled "true / predicted" (§3.6's ``predict_ch3``); wrong
    predictions get red titles. ``preds`` holds classes (n,) or scores (n, q), reduced by
    argmax; ``names`` maps class indices to text. Returns the array of axes."""
    import torch

    for arg, value in (("images", images), ("labels", labels), ("preds", preds)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{arg} must be a torch.Tensor, got {type(value).__name__}")
    if images.ndim not in (3, 4):
        raise ValueError(
            f"images must be (n, h, w) or (n, c, h, w), got shape {tuple(images.shape)}"
        )
    if labels.ndim != 1:
        raise ValueError(
            f"labels must be one class per image (n,), got shape {tuple(labels.shape)}"
        )
    if preds.ndim not in (1, 2):
        raise ValueError(
            f"preds must be classes (n,) or scores (n, q), got shape {tuple(preds.shape)}"
        )
    if preds.ndim == 2:
        preds = preds.argmax(dim=1)
    for arg, value in (("labels", labels), ("preds", preds)):
        if value.is_floating_point() or value.dtype == torch.bool:
            raise TypeError(f"{arg} must hold integer classes, got dtype {value.dtype}")
    if not len(images) == len(labels) == len(preds):
        raise ValueError(
            f"images, labels and preds must have the same length, got {len(images)}, "
            f"{len(labels)} and {len(preds)}"
        )
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(images):
        raise ValueError(
            f"n must be an integer in [1, {len(images)}] (the number of images), got {n!r}"
        )
    if isinstance(num_rows, bool) or not isinstance(num_rows, int) or num_rows < 1 or n % num_rows:
        raise ValueError(f"num_rows must be ≥ 1 and divide n={n}, got {num_rows!r}")
    classes = torch.cat([labels[:n], preds[:n]]).tolist()
    if names is not None and any(not 0 <= c < len(names) for c in classes):
        bad = [c for c in classes if not 0 <= c < len(names)][:5]
        raise ValueError(f"labels and preds must be classes in [0, {len(names) - 1}], got {bad}")
    text = (lambda c: names[c]) if names is not None else str
    true, pred = labels[:n].tolist(), preds[:n].tolist()
    titles = [text(t) + "\n" + text(p) for t, p in zip(true, pred)]
    axes = show_images(images[:n], num_rows, n // num_rows, titles=titles, scale=scale)
    for ax, t, p in zip(axes.flatten(), true, pred):
        if t != p:
            ax.title.set_color("red")
    return axes


_LABELS = {
    "train_loss": "train loss",
    "train_acc": "train acc",
    "test_loss": "test loss",
    "test_acc": "test acc",
}


#: The :class:`~d2lcore.train.EpochStats` fields that can be plotted (``metrics=``).
METRICS: tuple[str, ...] = (*_LABELS, "examples_per_sec", "seconds")


def plot_history(
    history: History,
    metrics: Sequence[str] | None = None,
    axes: Axes | None = None,
    num_epochs: int | None = None,
    ylim: tuple[float, float] | None = None,
    yscale: str = "linear",
    figsize: tuple[float, float] = (3.5, 2.5),
) -> Axes:
    """Draw a :class:`~d2lcore.train.History` against epochs: the metrics that have values."""
    if not callable(getattr(history, "column", None)):
        raise TypeError(
            f"history must be the History that fit returns, got {type(history).__name__}"
        )
    names = list(metrics) if metrics is not None else [
        m for m in _LABELS if any(v is not None for v in history.column(m))
    ]
    validate.names("metrics", metrics, METRICS, optional=True)
    epochs = history.column("epoch")
    series = [[float("nan") if v is None else v for v in history.column(m)] for m in names]
    axes = plot(
        [epochs] * len(names), series, xlabel="epoch", legend=[_LABELS.get(m, m) for m in names],
        ylim=ylim, yscale=yscale, figsize=figsize, axes=axes,
        xlim=(1, max(num_epochs or 1, len(epochs), 2)),
    )  # fmt: skip
    return axes
