"""Training progress, as a :class:`~d2lcore.train.Callback` for :func:`d2lcore.fit`.

In a Jupyter notebook :class:`Progress` draws the curves live, replacing one figure after
each epoch (what the book's ``Animator`` does); anywhere else it shows a tqdm bar over the
batches and prints one line per epoch, so a script or an IDE never shows a bare
``<Figure size ...>``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, TextIO

from . import validate
from .plot import METRICS
from .train import EpochStats, History

__all__ = ["Progress", "LiveFigure", "in_notebook"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (notebook, JupyterLab, nbval, the book's build)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class LiveFigure:
    """One figure in a Jupyter cell's output, replaced in place each time it is shown again
    (other output of the cell stays): what :class:`Progress` and the book's ``Animator`` draw
    their curves on."""

    def __init__(self) -> None:
        self._handle: Any = None

    def show(self, fig: Any) -> None:
        """Display the matplotlib figure ``fig``: the first time below the cell, afterwards in
        place of the previous one."""
        from IPython.display import display

        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)


#: The per-epoch line's numbers: (EpochStats field, label, format), printed when present.
_LINE_FIELDS = (
    ("train_loss", "loss", ".4f"), ("train_acc", "train acc", ".3f"),
    ("test_loss", "test loss", ".4f"), ("test_acc", "test acc", ".3f"),
)  # fmt: skip


def _line(stats: EpochStats, num_epochs: int) -> str:
    values = ((label, getattr(stats, field), fmt) for field, label, fmt in _LINE_FIELDS)
    numbers = [f"{label} {v:{fmt}}" for label, v, fmt in values if v is not None]
    parts = [f"epoch {stats.epoch}/{num_epochs}", *numbers]
    return ", ".join([*parts, f"{stats.examples_per_sec:,.0f} ex/s", f"{stats.seconds:.1f} s"])


class Progress:
    """Report training as it happens: a live plot in Jupyter, a tqdm bar and text elsewhere.

    ``metrics`` picks the curves (default: every metric the run produces); ``live`` forces
    the plot (``True``) or the text (``False``) instead of detecting a notebook. At the end the
    book's summary line is printed (loss, accuracies, examples/sec, time), unless ``summary`` is
    False (for a caller that prints its own lines, as the book's ``train_ch6`` does).
    """

    def __init__(
        self,
        metrics: Sequence[str] | None = None,
        *,
        ylim: tuple[float, float] | None = None,
        yscale: str = "linear",
        figsize: tuple[float, float] = (3.5, 2.5),
        live: bool | None = None,
        stream: TextIO | None = None,
        title: str | None = None,
        summary: bool = True,
    ) -> None:
        validate.names("metrics", metrics, METRICS, optional=True)
        if yscale not in ("linear", "log"):
            raise ValueError(f"yscale must be 'linear' or 'log', got {yscale!r}")
        validate.boolean("live", live, optional=True)
        validate.boolean("summary", summary)
        validate.pair("ylim", ylim, optional=True, increasing=True)
        validate.pair("figsize", figsize, positive=True)
        if stream is not None and not callable(getattr(stream, "write", None)):
            raise TypeError(
                f"stream must be a text stream with write() (e.g. sys.stderr or io.StringIO()), "
                f"or None for standard output, got {type(stream).__name__}"
            )
        if title is not None and not isinstance(title, str):
            raise TypeError(f"title must be a string (or None), got {title!r} ({type(title).__name__})")
        self.metrics = metrics
        self.ylim = ylim
        self.yscale = yscale
        self.figsize = figsize
        self.live = in_notebook() if live is None else live
        self.stream = stream
        self.title = title
        self.summary = summary
        self._bar: Any = None
        self._figure = LiveFigure()
        self._history: History | None = None
        self._num_epochs = 0
        self._num_batches = 0

    @property
    def _out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stdout

    def on_train_begin(self, num_epochs: int, num_batches: int, history: History) -> None:
        self._num_epochs, self._num_batches = num_epochs, num_batches
        self._history = History(list(history.epochs))

    def on_batch_end(self, epoch: int, batch: int) -> None:
        if self.live:
            return
        if self._bar is None:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=self._num_batches or None, desc=f"epoch {epoch}/{self._num_epochs}",
                unit="batch", leave=False, file=self._out, dynamic_ncols=True,
            )  # fmt: skip
        self._bar.update(1)

    def on_epoch_end(self, stats: EpochStats) -> None:
        assert self._history is not None, "on_train_begin was not called"
        self._history.epochs.append(stats)
        if self.live:
            self._draw()
        else:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            print(_line(stats, self._num_epochs), file=self._out, flush=True)

    def on_train_end(self, history: History) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self.summary and history.epochs:
            note = " (interrupted)" if history.interrupted else ""
            print(history.summary() + note, file=self._out, flush=True)

    def _draw(self) -> None:
        import matplotlib.pyplot as plt

        from .plot import plot_history, use_svg_display

        use_svg_display()
        fig, ax = plt.subplots(figsize=self.figsize)
        assert self._history is not None
        plot_history(
            self._history, self.metrics, axes=ax, num_epochs=self._num_epochs,
            ylim=self.ylim, yscale=self.yscale,
        )  # fmt: skip
        if self.title:
            ax.set_title(self.title)
        self._figure.show(fig)
        plt.close(fig)
