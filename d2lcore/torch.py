"""The book's ``d2l.torch`` API on top of d2lcore: ``from d2lcore import torch as d2l``.

A reader of *Dive into Deep Learning* (d2l-zh 2.0, whose PyTorch cells start with
``from d2l import torch as d2l`` and whose package is ``d2l==0.17.6``) swaps that one import
line; the PyTorch cells of §3.1–3.7, §4.1–4.6, §4.8, §5.1, §6.1–6.6 and §7.1–7.6 then run
unchanged. The names keep the book's signatures, return values and printed lines; underneath
they are d2lcore's pieces:

- ``load_data_fashion_mnist`` returns d2lcore's in-memory loaders (uint8 images converted per
  batch, no worker processes) instead of torchvision ``DataLoader``\\ s with 4 workers. Like
  every d2lcore loader it keeps a tenth of the data in the quick mode (``D2LCORE_QUICK=1``).
- ``train_epoch_ch3``, ``train_ch3`` and ``train_ch6`` train through :func:`d2lcore.fit`
  (losses and accuracies summed as tensors, no host synchronisation per batch) and report with
  :class:`d2lcore.Progress` (a live plot in Jupyter, a tqdm bar and one line per epoch
  elsewhere). They return what the book's return (``None`` for the last two);
  :func:`last_history` gives the :class:`d2lcore.History` of the last run.
- ``accuracy`` returns the *number* of correct predictions, as the book's does;
  :func:`d2lcore.accuracy` (d2lcore's own API) returns the *fraction*.
- ``try_gpu`` / ``try_all_gpus`` know Apple's MPS as well as CUDA.

What differs from the book's package is listed in each docstring and on the appendix page
``chapters/appendix/book_code.md``. ``matplotlib.pyplot`` is imported on first use of
``d2l.plt`` or of a plotting function.
"""

from __future__ import annotations

import inspect
import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from . import config
from .data.fashion_mnist import get_fashion_mnist_labels, load_fashion_mnist
from .data.loader import load_array
from .data.synthetic import synthetic_data as _synthetic_data
from .models.pooling import fast_pooling
from .models.summary import built_from_torch_nn
from .ops.classify import num_correct
from .ops.conv import corr2d
from .ops.linear import linreg, sgd, squared_loss
from .plot import plot as _core_plot
from .plot import set_figsize as _core_set_figsize
from .plot import show_images, use_svg_display
from .precision import FastSettings, Precision
from .progress import LiveFigure, Progress, in_notebook
from .train import History, fit
from .train import evaluate_accuracy as _evaluate_accuracy
from .train import evaluate_loss as _evaluate_loss

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    # plotting (§2.4, §3.5)
    "plt",  # noqa: F822 (imported on first use, by the module's __getattr__)
    "use_svg_display", "set_figsize", "set_axes", "plot", "show_images", "Animator",
    # timing and counting (§3.1, §3.6)
    "Timer", "Accumulator",
    # linear regression (§3.2, §3.3)
    "synthetic_data", "linreg", "squared_loss", "sgd", "load_array",
    # Fashion-MNIST and softmax regression (§3.5–3.7)
    "get_fashion_mnist_labels", "get_dataloader_workers", "load_data_fashion_mnist", "accuracy",
    "evaluate_accuracy", "train_epoch_ch3", "train_ch3", "predict_ch3", "evaluate_loss",
    # devices, convolution and training on a device (§5.6, §6.2, §6.6)
    "try_gpu", "try_all_gpus", "corr2d", "evaluate_accuracy_gpu", "train_ch6", "last_history",
    "cpu_autocast",
    # the framework aliases of the book's config.ini
    "ones", "zeros", "tensor", "arange", "meshgrid", "sin", "sinh", "cos", "cosh", "tanh",
    "linspace", "exp", "log", "normal", "rand", "randn", "matmul", "int32", "float32", "concat",
    "stack", "abs", "eye", "numpy", "size", "reshape", "to", "reduce_sum", "reduce_mean",
    "argmax", "astype", "transpose",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    """``d2l.plt`` is ``matplotlib.pyplot``, imported on first access (PEP 562)."""
    if name == "plt":
        import matplotlib.pyplot as plt

        globals()["plt"] = plt
        return plt
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _pyplot() -> Any:
    import matplotlib.pyplot as plt

    return plt


# --------------------------------------------------------------------------------------------
# Plotting (§2.4 of the book, where ``d2l.plot`` is introduced).


def set_figsize(figsize: tuple[float, float] = (3.5, 2.5)) -> None:
    """Use SVG in Jupyter and set matplotlib's default figure size (the book's ``set_figsize``;
    d2lcore's :func:`d2lcore.set_figsize` sets the size only)."""
    use_svg_display()
    _core_set_figsize(figsize)


def set_axes(
    axes: Axes,
    xlabel: str | None,
    ylabel: str | None,
    xlim: tuple[float, float] | None,
    ylim: tuple[float, float] | None,
    xscale: str,
    yscale: str,
    legend: Sequence[str] | None,
) -> None:
    """Label, scale and limit ``axes``, add the legend (when given) and a grid."""
    axes.set_xlabel(xlabel or "")
    axes.set_ylabel(ylabel or "")
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)  # None leaves the limit automatic
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid(True)


def plot(X: Any, Y: Any = None, *args: Any, **kwargs: Any) -> None:
    """Plot one or several series on ``axes`` (default: matplotlib's current axes, cleared
    first), as the book's ``d2l.plot`` does; returns ``None`` like the book's, so a cell that
    ends with it shows the figure only. The arguments, in the book's order, are those of
    :func:`d2lcore.plot` (``xlabel, ylabel, legend, xlim, ylim, xscale, yscale, fmts, figsize,
    axes``), which draws the same on new axes and returns them."""
    bound = inspect.signature(_core_plot).bind(X, Y, *args, **kwargs)  # names a wrong argument
    set_figsize(bound.arguments.get("figsize", (3.5, 2.5)))
    axes = bound.arguments.get("axes")
    if axes is None:
        bound.arguments["axes"] = axes = _pyplot().gca()
    axes.cla()
    _core_plot(*bound.args, **bound.kwargs)


# What help() and a notebook's tooltip show: the book's arguments, which d2lcore.plot shares.
plot.__signature__ = inspect.signature(_core_plot).replace(  # type: ignore[attr-defined]
    return_annotation=None
)


class Animator:
    """Draw curves point by point (the book's ``Animator``, §3.6), e.g. one point per epoch.

    In Jupyter the figure is shown once and replaced in place after each :meth:`add` (other
    output of the cell stays; :class:`d2lcore.LiveFigure`, as :class:`d2lcore.Progress`
    draws); elsewhere nothing is drawn while it runs — the figure is ``self.fig``, to save or
    show. ``X``/``Y`` hold the points of each curve. ``legend`` is a list of curve names (one
    name may be given as a string); with more curves than ``fmts`` the formats repeat.
    """

    def __init__(
        self,
        xlabel: str | None = None,
        ylabel: str | None = None,
        legend: Sequence[str] | None = None,
        xlim: tuple[float, float] | None = None,
        ylim: tuple[float, float] | None = None,
        xscale: str = "linear",
        yscale: str = "linear",
        fmts: Sequence[str] = ("-", "m--", "g-.", "r:"),
        nrows: int = 1,
        ncols: int = 1,
        figsize: tuple[float, float] = (3.5, 2.5),
    ) -> None:
        legend = _legend(legend)
        if isinstance(fmts, str) or not isinstance(fmts, Sequence) or not fmts:
            raise TypeError(f"fmts must be a non-empty list of line formats such as ['-', 'm--'], "
                            f"got {fmts!r}")
        plt = _pyplot()
        use_svg_display()
        self.fig, axes = plt.subplots(nrows, ncols, figsize=figsize)
        plt.close(self.fig)  # shown through display() below, not again at the end of the cell
        self.axes = [axes] if nrows * ncols == 1 else list(axes.flatten())
        self.config_axes = lambda: set_axes(
            self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, legend
        )
        self.X: list[list[float]] | None = None
        self.Y: list[list[float]] | None = None
        self.fmts = fmts
        self._figure = LiveFigure() if in_notebook() else None

    def add(self, x: Any, y: Any) -> None:
        """Add one point to each curve: ``y`` one value or one per curve (``None`` skips that
        curve), ``x`` one value for all or one per curve."""
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if len(x) != n:
            raise ValueError(
                f"Animator.add: x has {len(x)} values but y has {n}; pass one x for all curves "
                f"or one per curve"
            )
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for _ in range(len(self.X), n):  # a curve that starts later
            self.X.append([])
            self.Y.append([])
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(float(a))
                self.Y[i].append(float(b))
        ax = self.axes[0]
        ax.cla()
        for xs, ys, fmt in zip(self.X, self.Y, itertools.cycle(self.fmts)):
            ax.plot(xs, ys, fmt)
        self.config_axes()
        if self._figure is not None:
            self._figure.show(self.fig)


def _legend(legend: object) -> list[str]:
    """The book's ``legend`` argument as a list of names: one string is one name."""
    if legend is None:
        return []
    if isinstance(legend, str):
        return [legend]
    if not isinstance(legend, Iterable) or not all(isinstance(name, str) for name in legend):
        raise TypeError(
            f"legend must be a list of curve names such as ['train loss', 'test acc'] (or one "
            f"name, or None), got {legend!r}"
        )
    return list(legend)


def synthetic_data(w: torch.Tensor, b: float, num_examples: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw ``y = Xw + b + ε`` (§3.2): ``X`` (num_examples, d) from N(0, 1), noise N(0, 0.01²),
    ``y`` of shape (num_examples, 1). ``w`` holds d weights, as a vector (d,) or, as §4.5 passes
    it, a column (d, 1); :func:`d2lcore.synthetic_data` takes the vector only."""
    if isinstance(w, torch.Tensor) and w.ndim == 2 and w.shape[1] == 1:
        w = w.reshape(-1)
    return _synthetic_data(w, b, num_examples)


# --------------------------------------------------------------------------------------------
# Timing and counting.


class Timer:
    """Record several running times (the book's ``Timer``, §3.1); it starts when created."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        """Start (or restart) the timer."""
        self.tik = time.perf_counter()

    def stop(self) -> float:
        """Stop the timer, record the time since :meth:`start` and return it (seconds)."""
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        """The mean of the recorded times."""
        if not self.times:
            raise ValueError("Timer.avg: no time recorded yet; call stop() first")
        return sum(self.times) / len(self.times)

    def sum(self) -> float:
        """The total of the recorded times."""
        return sum(self.times)

    def cumsum(self) -> list[float]:
        """The running totals of the recorded times."""
        return list(itertools.accumulate(self.times))


class Accumulator:
    """Sums over ``n`` variables (the book's ``Accumulator``, §3.6): ``add(a, b, ...)`` adds
    one value to each, ``acc[i]`` reads sum ``i``."""

    def __init__(self, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be the number of sums, an int ≥ 1, got {n!r}")
        self.data = [0.0] * n

    def add(self, *args: Any) -> None:
        if len(args) != len(self.data):
            raise ValueError(f"Accumulator.add takes {len(self.data)} values, got {len(args)}")
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self) -> None:
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx: int) -> float:
        if isinstance(idx, int) and not -len(self.data) <= idx < len(self.data):
            raise IndexError(
                f"Accumulator has {len(self.data)} sums (indices 0 to {len(self.data) - 1}), got "
                f"index {idx}; create it with Accumulator(n) for n sums"
            )
        return self.data[idx]


# --------------------------------------------------------------------------------------------
# Fashion-MNIST and softmax regression (§3.5–3.7).


def get_dataloader_workers() -> int:
    """The number of worker processes for a ``torch.utils.data.DataLoader`` a reader builds
    (§3.5): the book's 4, or fewer on a machine with fewer CPU cores. d2lcore's own loaders
    (:func:`load_data_fashion_mnist`) hold the data in memory and use no workers."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def load_data_fashion_mnist(
    batch_size: int, resize: int | tuple[int, int] | None = None
) -> tuple[Any, Any]:
    """Fashion-MNIST as ``(train_iter, test_iter)`` (the book's function, §3.5): batches of
    float32 images (b, 1, 28, 28) in [0, 1] (or ``resize``\\ d, bilinear) with int64 labels,
    the training set shuffled each pass.

    Unlike the book's (torchvision ``DataLoader``\\ s with 4 worker processes, reading from
    ``../data``) these are :func:`d2lcore.load_fashion_mnist`'s in-memory loaders: the images
    stay uint8 and each batch is converted on its way out, with no worker processes. The data
    come from d2lcore's data root (``D2LCORE_DATA``), downloaded when missing, and the quick mode
    (``D2LCORE_QUICK=1``) keeps a tenth of each split.
    """
    return load_fashion_mnist(batch_size, resize)


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """The **number** of correct predictions, as a float (the book's ``accuracy``, §3.6).

    ``y_hat`` holds scores (n, q) with q ≥ 2 or predicted classes (n,); a single column (n, 1)
    is refused, since its argmax is class 0 for every row. Note: :func:`d2lcore.accuracy`
    (``import d2lcore``) returns the *fraction* instead; the book divides this count by
    ``len(y)`` itself.
    """
    return float(num_correct(y_hat, y))


def evaluate_accuracy(net: Callable[[torch.Tensor], torch.Tensor], data_iter: Iterable[Any]) -> float:
    """The fraction of ``data_iter``'s examples that ``net`` classifies correctly (§3.6), with
    the model in evaluation mode (restored afterwards, where the book's leaves it in evaluation
    mode). The book's sums its :func:`accuracy` counts; this is
    :func:`d2lcore.evaluate_accuracy`. A model that cannot take the batches raises a
    ``ValueError`` naming the batch's shape."""
    with _explained(net, "evaluate_accuracy") as checked:
        return _evaluate_accuracy(checked, data_iter)


class _NetInput:
    """Records the input of the model call that is running (``None`` between calls)."""

    def __init__(self) -> None:
        self.shape: tuple[int, ...] | None = None

    def pre(self, module: Any, args: tuple[Any, ...]) -> None:
        self.shape = tuple(args[0].shape) if args and isinstance(args[0], torch.Tensor) else None

    def post(self, module: Any, args: Any, output: Any) -> None:
        self.shape = None


@contextmanager
def _explained(net: Any, caller: str) -> Iterator[Any]:
    """``net`` as it is (a module, watched by hooks) or wrapped (a function); a RuntimeError
    raised inside the model's own call becomes a ValueError that names the input's shape."""
    seen = _NetInput()
    if isinstance(net, nn.Module):
        handles = [net.register_forward_pre_hook(seen.pre), net.register_forward_hook(seen.post)]
        checked = net
    else:
        handles = []

        def checked(X: Any) -> Any:
            seen.pre(None, (X,))
            out = net(X)
            seen.post(None, None, out)
            return out

    try:
        yield checked
    except RuntimeError as err:
        if seen.shape is None:  # not raised by the model
            raise
        raise ValueError(
            f"{caller}: net cannot take a batch X of shape {seen.shape}: {err}. The model's "
            f"first layer must fit the data, e.g. nn.Flatten() and nn.Linear(784, 10) for "
            f"Fashion-MNIST's 28×28 images, or load_data_fashion_mnist(batch_size, resize=...) "
            f"for a model built for larger images"
        ) from err
    finally:
        for h in handles:
            h.remove()


def _classifier_history(history: History) -> tuple[float, float]:
    e = history.final
    return e.train_loss, (e.train_acc if e.train_acc is not None else float("nan"))


def train_epoch_ch3(
    net: Callable[[torch.Tensor], torch.Tensor],
    train_iter: Iterable[Any],
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    updater: torch.optim.Optimizer | Callable[[int], None],
) -> tuple[float, float]:
    """Train one epoch (§3.6) and return ``(mean training loss, training accuracy)``.

    ``updater`` is a ``torch.optim.Optimizer`` (the mean loss is back-propagated) or the book's
    ``updater(batch_size)`` (the summed loss is back-propagated). One epoch of
    :func:`d2lcore.fit`.
    """
    history = fit(net, train_iter, loss, 1, updater)
    _set_last(history)
    return _classifier_history(history)


_last: list[History] = []


def _set_last(history: History) -> None:
    _last[:] = [history]


def last_history() -> History:
    """The :class:`d2lcore.History` (per-epoch losses, accuracies, examples/s) of the last
    ``train_ch3``/``train_ch6``/``train_epoch_ch3`` call; the book's functions return nothing
    (or two numbers), so this is where d2lcore's record of the run is."""
    if not _last:
        raise ValueError("last_history: no training has run yet in this process; call train_ch3 "
                         "or train_ch6 first")
    return _last[0]


def train_ch3(
    net: Callable[[torch.Tensor], torch.Tensor],
    train_iter: Iterable[Any],
    test_iter: Iterable[Any],
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    num_epochs: int,
    updater: torch.optim.Optimizer | Callable[[int], None],
) -> None:
    """Train for ``num_epochs`` epochs, testing after each (§3.6), with the live plot of
    training loss, training accuracy and test accuracy (y from 0.3 to 0.9, as the book's).

    Returns ``None`` as the book's does (:func:`last_history` holds the record). The book's
    version also asserts its own final numbers (training loss < 0.5, accuracies > 0.7), a check
    for its build; this one leaves judging the result to the reader.
    """
    progress = Progress(["train_loss", "train_acc", "test_acc"], ylim=(0.3, 0.9), summary=False)
    history = fit(net, train_iter, loss, num_epochs, updater, test_iter=test_iter, parts=[progress])
    _set_last(history)


def predict_ch3(net: Callable[[torch.Tensor], torch.Tensor], test_iter: Iterable[Any], n: int = 6) -> None:
    """Show the first ``n`` images of ``test_iter``'s first batch, each titled with its true
    label above the predicted one (§3.6). Images of any size are shown at their own size
    (the book's reshapes to 28×28); ``n`` must be at most the batch size."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be the number of images to show, an int ≥ 1, got {n!r}")
    X, y = next(iter(test_iter))
    if n > len(X):
        raise ValueError(
            f"n={n} is more than test_iter's first batch holds ({len(X)} images); pass n ≤ "
            f"{len(X)}, or load the data with a larger batch_size"
        )
    images = _grayscale_images(X[:n])
    with _explained(net, "predict_ch3") as checked, torch.no_grad():
        preds = checked(X).argmax(dim=1)
    titles = [f"{t}\n{p}" for t, p in zip(get_fashion_mnist_labels(y), get_fashion_mnist_labels(preds))]
    show_images(images, 1, n, titles=titles[:n])


def _grayscale_images(X: torch.Tensor) -> torch.Tensor:
    """A batch of one-channel images as (n, H, W): from (n, 1, H, W), (n, H, W), or flattened
    28×28 rows (n, 784), as the book's Fashion-MNIST loaders give them."""
    if X.ndim == 4 and X.shape[1] == 1:
        return X[:, 0]
    if X.ndim == 3:
        return X
    if X.ndim == 2 and X.shape[1] == 28 * 28:
        return X.reshape(-1, 28, 28)
    raise ValueError(
        f"predict_ch3 shows one-channel images: the batch must be (n, 1, H, W), (n, H, W) or "
        f"(n, 784), got {tuple(X.shape)}"
    )


def evaluate_loss(
    net: Callable[[torch.Tensor], torch.Tensor],
    data_iter: Iterable[Any],
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> float:
    """The mean loss of ``net`` over ``data_iter`` (§4.4); the labels are reshaped to the
    output's shape first, as in the book. Runs without gradients, in evaluation mode
    (:func:`d2lcore.evaluate_loss`)."""

    def reshaped(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return loss(out, y.reshape(out.shape))

    return _evaluate_loss(net, data_iter, reshaped)


# --------------------------------------------------------------------------------------------
# Devices, convolution, training on a device (§5.6, §6.2, §6.6).


def try_gpu(i: int = 0) -> torch.device:
    """``cuda:i`` when that GPU exists, else Apple's ``mps`` (for ``i == 0``) when present, else
    the CPU (the book's ``try_gpu``, §5.6, which knows CUDA only)."""
    if isinstance(i, bool) or not isinstance(i, int) or i < 0:
        raise ValueError(f"i must be a GPU index, an int ≥ 0, got {i!r}")
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    if i == 0 and config.mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def try_all_gpus() -> list[torch.device]:
    """Every CUDA GPU, else ``[mps]`` when present, else ``[cpu]`` (§5.6)."""
    devices = [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())]
    if devices:
        return devices
    return [torch.device("mps")] if config.mps_available() else [torch.device("cpu")]


def evaluate_accuracy_gpu(
    net: Callable[[torch.Tensor], torch.Tensor],
    data_iter: Iterable[Any],
    device: str | torch.device | None = None,
) -> float:
    """The accuracy of ``net`` over ``data_iter``, computed on ``device`` (default: where the
    model's parameters are), §6.6. A fraction, as the book's."""
    with _explained(net, "evaluate_accuracy_gpu") as checked:
        return _evaluate_accuracy(checked, data_iter, device)


def _xavier(m: nn.Module) -> None:
    if type(m) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(m.weight)  # type: ignore[arg-type]


cpu_autocast: torch.dtype | None = None
"""The autocast dtype :func:`train_ch6` uses for conv nets built from ``torch.nn`` layers only.
``None`` (the default) computes in float32, as the book, unless ``D2LCORE_PRECISION`` asks for
``bfloat16`` (or ``auto``: bfloat16 where the device computes it natively,
:func:`d2lcore.native_bf16`). ``d2l.cpu_autocast = torch.bfloat16`` opts in on the CPU: faster
on CPUs with native bfloat16 (AVX512-BF16, AMX), much slower on AVX2-only CPUs, and it changes
the numbers slightly (LeNet, 10 epochs: the same test accuracy within 0.01,
benchmarks/README.md)."""


def _check_cpu_autocast(value: object) -> None:
    """``d2l.cpu_autocast`` is set by readers; a wrong value is named here, not in fit."""
    if value is not None and not (isinstance(value, torch.dtype) and value.is_floating_point):
        raise TypeError(
            f"d2l.cpu_autocast must be None (float32, as the book) or a floating-point "
            f"torch.dtype (the dtype object, not its name), got {value!r}"
        )


def train_ch6(
    net: nn.Module,
    train_iter: Iterable[Any],
    test_iter: Iterable[Any],
    num_epochs: int,
    lr: float,
    device: str | torch.device,
) -> None:
    """Train a network on ``device`` with minibatch SGD and cross-entropy (§6.6), as the book's
    ``train_ch6``: Xavier-uniform weights for every ``nn.Linear`` and ``nn.Conv2d`` first, the
    model moved to ``device``, a live plot while it trains, and at the end the book's two lines::

        training on cpu
        loss 0.469, train acc 0.823, test acc 0.779
        23512.3 examples/sec on cpu

    (examples/sec counts training steps only, as the book's.) Returns ``None``;
    :func:`last_history` holds the run's record.

    What makes it faster than the book's on the same cell, without changing what it computes:
    :func:`d2lcore.fit` (no host synchronisation per batch), d2lcore's in-memory loaders, the
    channels-last memory layout for conv nets (same numbers up to float rounding order), on the
    CPU every exact ``nn.AvgPool2d`` switched in place to :class:`d2lcore.AvgPool2d` (the same
    module for every purpose — arguments, ``repr``, ``state_dict`` — with a faster 2×2 kernel),
    and float32 as the book computes. bfloat16 autocast for conv nets made of ``torch.nn``
    layers is an opt-in (:data:`cpu_autocast` or ``D2LCORE_PRECISION``): it changes the numbers
    slightly and pays only where the CPU computes bfloat16 natively.
    """
    if not isinstance(net, nn.Module):
        raise TypeError(f"net must be an nn.Module (train_ch6 initialises its layers), got "
                        f"{type(net).__name__}")
    dev = config.device(device)
    _check_cpu_autocast(cpu_autocast)
    net.apply(_xavier)
    print("training on", device)
    net.to(dev)
    channels_last = any(isinstance(m, nn.Conv2d) for m in net.modules())
    if dev.type == "cpu":
        fast_pooling(net)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    if dev.type == "cpu" and cpu_autocast is not None:
        requested = cpu_autocast
    else:  # float32 unless D2LCORE_PRECISION asks otherwise
        requested = Precision(config.requested_precision("float32")).resolve(dev).autocast
    autocast = requested if channels_last and built_from_torch_nn(net) else None
    progress = Progress(["train_loss", "train_acc", "test_acc"], summary=False)
    history = fit(
        net, train_iter, nn.CrossEntropyLoss(), num_epochs, optimizer, test_iter=test_iter,
        device=dev, parts=[progress, FastSettings(autocast=autocast, channels_last=channels_last)],
    )  # fmt: skip
    _set_last(history)
    if not history.epochs:
        return
    e = history.final
    print(f"loss {e.train_loss:.3f}, train acc {e.train_acc:.3f}, test acc {e.test_acc:.3f}")
    # Total examples over total training time: the harmonic mean of the epochs' rates.
    rate = len(history) / sum(1 / s.examples_per_sec for s in history.epochs)
    print(f"{rate:.1f} examples/sec on {device}")


# --------------------------------------------------------------------------------------------
# The framework aliases the book's cells call (its config.ini): thin names for torch.

ones = torch.ones
zeros = torch.zeros
tensor = torch.tensor
arange = torch.arange
meshgrid = torch.meshgrid
sin = torch.sin
sinh = torch.sinh
cos = torch.cos
cosh = torch.cosh
tanh = torch.tanh
linspace = torch.linspace
exp = torch.exp
log = torch.log
normal = torch.normal
rand = torch.rand
randn = torch.randn
matmul = torch.matmul
int32 = torch.int32
float32 = torch.float32
concat = torch.cat
stack = torch.stack
abs = torch.abs  # noqa: A001 - the book's name
eye = torch.eye


def _tensor(name: str, x: object) -> None:
    """The framework aliases take a tensor; name the alias and the fix otherwise."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"d2l.{name}: x must be a torch.Tensor, got {type(x).__name__}; make one with "
            f"d2l.tensor(x)"
        )


def _method(name: str, method: str, doc: str) -> Callable[..., Any]:
    """The book's framework alias ``d2l.<name>(x, ...)``: ``x.<method>(...)`` for a tensor ``x``
    (anything else gets a TypeError naming the alias)."""

    def alias(x: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        _tensor(name, x)
        return getattr(x, method)(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = name
    alias.__doc__ = doc
    return alias


size = _method("size", "numel", "The number of elements of ``x``.")
reshape = _method("reshape", "reshape", "``x.reshape(shape)``.")
to = _method("to", "to", "``x.to(device or dtype)``.")
reduce_sum = _method("reduce_sum", "sum", "``x.sum(...)``.")
reduce_mean = _method("reduce_mean", "mean", "``x.mean(...)``.")
argmax = _method("argmax", "argmax", "``x.argmax(...)`` (``axis=`` works as ``dim=``).")
transpose = _method("transpose", "t", "The transpose of a matrix (``x.t()``).")


def numpy(x: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
    """``x`` as a NumPy array (detached from the graph; a CPU tensor)."""
    _tensor("numpy", x)
    return x.detach().numpy(*args, **kwargs)


def astype(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """``x`` converted to a dtype (``x.type(dtype)``); a dtype's name such as ``'float32'``
    works too."""
    _tensor("astype", x)
    if args and isinstance(args[0], str) and not args[0].endswith("Tensor"):  # 'torch.FloatTensor' is x.type's own
        dtype = getattr(torch, args[0].removeprefix("torch."), None)  # NumPy's habit: 'float32'
        if not isinstance(dtype, torch.dtype):
            raise TypeError(f"d2l.astype: {args[0]!r} is not a dtype; pass one such as "
                            f"torch.float32 (d2l.float32) or its name, 'float32'")
        args = (dtype, *args[1:])
    return x.type(*args, **kwargs)
