"""d2lcore.torch, the book-compatible module (``from d2lcore import torch as d2l``): every name
the PyTorch cells of d2l-zh 2.0's §3.1–7.6 use, with the book's signature, return value and
printed lines, checked against its d2lcore counterpart; then one end-to-end run per chapter in
the book's style (quick mode)."""

from __future__ import annotations

import inspect
import io
import math
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

import d2lcore
from d2lcore import torch as d2l

# The book's parameter names, in order (d2l 0.17.6's ``d2l/torch.py`` documents them).
BOOK_SIGNATURES = {
    "use_svg_display": [],
    "set_figsize": ["figsize"],
    "set_axes": ["axes", "xlabel", "ylabel", "xlim", "ylim", "xscale", "yscale", "legend"],
    "plot": ["X", "Y", "xlabel", "ylabel", "legend", "xlim", "ylim", "xscale", "yscale", "fmts",
             "figsize", "axes"],
    "synthetic_data": ["w", "b", "num_examples"],
    "linreg": ["X", "w", "b"],
    "squared_loss": ["y_hat", "y"],
    "sgd": ["params", "lr", "batch_size"],
    "load_array": ["data_arrays", "batch_size", "is_train"],
    "get_fashion_mnist_labels": ["labels"],
    "show_images": ["imgs", "num_rows", "num_cols", "titles", "scale"],
    "get_dataloader_workers": [],
    "load_data_fashion_mnist": ["batch_size", "resize"],
    "accuracy": ["y_hat", "y"],
    "evaluate_accuracy": ["net", "data_iter"],
    "train_epoch_ch3": ["net", "train_iter", "loss", "updater"],
    "train_ch3": ["net", "train_iter", "test_iter", "loss", "num_epochs", "updater"],
    "predict_ch3": ["net", "test_iter", "n"],
    "evaluate_loss": ["net", "data_iter", "loss"],
    "try_gpu": ["i"],
    "try_all_gpus": [],
    "corr2d": ["X", "K"],
    "evaluate_accuracy_gpu": ["net", "data_iter", "device"],
    "train_ch6": ["net", "train_iter", "test_iter", "num_epochs", "lr", "device"],
    "Animator": ["xlabel", "ylabel", "legend", "xlim", "ylim", "xscale", "yscale", "fmts", "nrows",
                 "ncols", "figsize"],
    "Accumulator": ["n"],
    "Timer": [],
}  # fmt: skip


@pytest.fixture(autouse=True)
def _headless(close_figures: None) -> Iterator[None]:
    yield


def _params(fn: object) -> list[str]:
    sig = inspect.signature(fn)  # type: ignore[arg-type]
    return [p.name for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]  # fmt: skip


@pytest.mark.parametrize("name", sorted(BOOK_SIGNATURES))
def test_book_signature(name: str) -> None:
    """Positional parameters as in the book (extra d2lcore options may only be keyword-only or
    trailing with defaults)."""
    params = _params(getattr(d2l, name))
    expected = BOOK_SIGNATURES[name]
    assert params[: len(expected)] == expected
    extra = inspect.signature(getattr(d2l, name)).parameters
    for p in list(extra.values())[len(expected):]:
        assert p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)


def test_every_exported_name_exists_and_plt_is_lazy() -> None:
    for name in d2l.__all__:
        assert hasattr(d2l, name), name
    code = ("import sys; from d2lcore import torch as d2l; a = 'matplotlib.pyplot' in sys.modules;"
            " d2l.plt; print(a, 'matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
    assert d2l.plt is plt


def test_importing_it_leaves_d2lcore_api_alone() -> None:
    assert d2lcore.accuracy is not d2l.accuracy
    assert d2lcore.plot is not d2l.plot
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        d2l.nonexistent  # noqa: B018


# --- tensor aliases ----------------------------------------------------------------------------


def test_aliases_are_torch() -> None:
    x = torch.arange(6.0).reshape(2, 3)
    assert d2l.reshape(x, (3, 2)).shape == (3, 2)
    assert d2l.size(x) == 6 and isinstance(d2l.size(x), int)
    assert float(d2l.reduce_sum(x)) == 15.0
    assert d2l.reduce_sum(x, axis=1).tolist() == [3.0, 12.0]
    assert float(d2l.reduce_mean(x)) == 2.5
    assert d2l.argmax(x, axis=1).tolist() == [2, 2]
    assert d2l.astype(torch.tensor([1.7]), torch.int64).dtype == torch.int64
    assert d2l.transpose(x).shape == (3, 2)
    w = torch.ones(2, requires_grad=True)
    arr = d2l.numpy(w * 2)  # detached
    assert arr.tolist() == [2.0, 2.0]
    assert d2l.to(x, torch.float64).dtype == torch.float64
    assert d2l.concat((x, x), 0).shape == (4, 3) and d2l.stack((x, x)).shape == (2, 2, 3)
    assert d2l.float32 is torch.float32 and d2l.int32 is torch.int32
    for name in ("ones", "zeros", "tensor", "arange", "exp", "log", "normal", "matmul", "abs",
                 "eye", "rand", "randn", "linspace", "sin", "cos", "tanh", "meshgrid"):
        assert getattr(d2l, name) is getattr(torch, name), name
    assert d2l.normal(0, 1, (3, 4)).shape == (3, 4)


# --- counting, timing ----------------------------------------------------------------------------


def test_accuracy_is_a_count_where_d2lcore_gives_a_fraction() -> None:
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.5, 0.2, 0.3], [0.2, 0.7, 0.1], [0.9, 0.0, 0.1]])
    y = torch.tensor([2, 1, 1, 0])
    count = d2l.accuracy(y_hat, y)
    assert isinstance(count, float) and count == 3.0
    assert d2lcore.accuracy(y_hat, y) == 0.75 == count / len(y)
    assert d2l.accuracy(torch.tensor([2, 0, 1, 1]), y) == 2.0  # predicted classes work too
    assert "number" in d2l.accuracy.__doc__ and "fraction" in d2l.accuracy.__doc__
    assert "d2lcore.torch" in d2lcore.accuracy.__doc__ and "count" in d2lcore.accuracy.__doc__


def test_accumulator() -> None:
    acc = d2l.Accumulator(2)
    acc.add(3, torch.tensor(4.0))
    acc.add(1.5, 2)
    assert acc[0] == 4.5 and acc[1] == 6.0 and acc.data == [4.5, 6.0]
    acc.reset()
    assert acc.data == [0.0, 0.0]
    with pytest.raises(ValueError, match="takes 2 values, got 3"):
        acc.add(1, 2, 3)
    with pytest.raises(ValueError, match="n must be the number of sums"):
        d2l.Accumulator(0)


def test_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([10.0, 11.5, 20.0, 22.0, 30.0, 30.5])
    monkeypatch.setattr(d2l.time, "perf_counter", lambda: next(clock))
    timer = d2l.Timer()  # starts at 10
    assert timer.stop() == 1.5
    timer.start()
    assert timer.stop() == 2.0
    timer.start()
    timer.stop()
    assert timer.times == [1.5, 2.0, 0.5]
    assert timer.sum() == 4.0 and timer.avg() == pytest.approx(4 / 3)
    assert timer.cumsum() == [1.5, 3.5, 4.0]
    monkeypatch.undo()
    with pytest.raises(ValueError, match="no time recorded"):
        d2l.Timer().avg()


# --- linear regression (§3.2, §3.3): d2lcore's own functions under the book's names ------------


def test_linear_regression_names_are_d2lcores() -> None:
    torch.manual_seed(0)
    X, y = d2l.synthetic_data(torch.tensor([2.0, -3.4]), 4.2, 5)
    torch.manual_seed(0)
    Xc, yc = d2lcore.synthetic_data(torch.tensor([2.0, -3.4]), 4.2, 5)
    assert torch.equal(X, Xc) and torch.equal(y, yc)
    torch.manual_seed(0)
    Xcol, ycol = d2l.synthetic_data(torch.tensor([[2.0], [-3.4]]), 4.2, 5)  # §4.5's column of weights
    assert torch.equal(Xcol, X) and torch.equal(ycol, y) and ycol.shape == (5, 1)
    assert d2l.linreg is d2lcore.linreg and d2l.squared_loss is d2lcore.squared_loss
    assert d2l.sgd is d2lcore.sgd and d2l.load_array is d2lcore.load_array
    assert d2l.corr2d is d2lcore.corr2d and d2l.show_images is d2lcore.show_images
    assert d2l.get_fashion_mnist_labels is d2lcore.get_fashion_mnist_labels
    assert d2l.use_svg_display is d2lcore.use_svg_display
    torch.manual_seed(0)
    X, y = d2l.synthetic_data(torch.tensor([2.0, -3.4]), 4.2, 1000)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    it = d2l.load_array((X, y), 10)
    Xb, yb = next(iter(it))
    assert Xb.shape == (10, 2) and yb.shape == (10, 1)
    assert d2l.corr2d(torch.arange(9.0).reshape(3, 3), torch.tensor([[0.0, 1.0], [2.0, 3.0]])).tolist() == [
        [19.0, 25.0], [37.0, 43.0]]  # fmt: skip


# --- plotting --------------------------------------------------------------------------------------


def test_set_figsize_and_set_axes() -> None:
    d2l.set_figsize((4.5, 2.5))
    assert tuple(plt.rcParams["figure.figsize"]) == (4.5, 2.5)
    d2l.set_figsize()
    assert tuple(plt.rcParams["figure.figsize"]) == (3.5, 2.5)
    _, ax = plt.subplots()
    ax.plot([1, 10], [1, 100])
    d2l.set_axes(ax, "x", "y", [1, 10], [1, 100], "linear", "log", ["curve"])
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "y" and ax.get_yscale() == "log"
    assert ax.get_xlim() == (1, 10) and ax.get_ylim() == (1, 100)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["curve"]


def test_plot_draws_on_the_current_axes_and_returns_none() -> None:
    x = torch.arange(0, 3, 0.1)
    assert d2l.plot(x, [x**2, 2 * x], "x", "f(x)", legend=["f", "g"], figsize=(4.5, 2.5)) is None
    ax = plt.gca()
    assert len(ax.lines) == 2 and ax.get_xlabel() == "x"
    assert tuple(plt.gcf().get_size_inches()) == (4.5, 2.5)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["f", "g"]
    d2l.plot(x, x**3)  # the book's plot clears the current axes first
    assert len(plt.gca().lines) == 1
    ax2 = d2lcore.plot(x, x)  # d2lcore's plot makes new axes and returns them
    assert ax2 is not None and ax2 is not ax


def test_animator_collects_points_and_skips_none() -> None:
    anim = d2l.Animator(xlabel="epoch", xlim=[1, 3], ylim=[0, 1], legend=["a", "b"])
    anim.add(1, (0.5, None))
    anim.add(2, (0.4, 0.9))
    anim.add([3, 3], [0.3, 0.8])
    assert anim.X == [[1.0, 2.0, 3.0], [2.0, 3.0]]
    assert anim.Y == [[0.5, 0.4, 0.3], [0.9, 0.8]]
    ax = anim.axes[0]
    assert len(ax.lines) == 2 and ax.get_xlabel() == "epoch" and ax.get_xlim() == (1, 3)
    assert plt.get_fignums() == []  # not left open for a second display at the end of a cell


def test_animator_in_a_notebook_replaces_one_display(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    log: list[str] = []

    class Handle:
        def update(self, obj: object) -> None:
            log.append("update")

    monkeypatch.setattr(d2l, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display",
                        lambda obj, display_id=False: log.append("display") or Handle())
    anim = d2l.Animator()
    for i in range(3):
        anim.add(i, i)
    assert log == ["display", "update", "update"]


# --- data ----------------------------------------------------------------------------------------


def test_get_dataloader_workers() -> None:
    n = d2l.get_dataloader_workers()
    assert isinstance(n, int) and 1 <= n <= 4


def test_load_data_fashion_mnist_is_d2lcores_loader(quick_mode: None, data_root: object) -> None:
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    ref_train, ref_test = d2lcore.load_fashion_mnist(256)
    assert isinstance(train_iter, d2lcore.ArrayLoader)
    assert len(train_iter) == len(ref_train) and len(test_iter) == len(ref_test)
    assert train_iter.features.dtype == torch.uint8  # held as uint8, converted per batch
    X, y = next(iter(test_iter))
    Xr, yr = next(iter(ref_test))
    assert X.shape == (256, 1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert torch.equal(X, Xr) and torch.equal(y, yr)
    X64, _ = next(iter(d2l.load_data_fashion_mnist(32, resize=64)[1]))
    assert X64.shape == (32, 1, 64, 64)


# --- evaluation --------------------------------------------------------------------------------


def _blobs(n: int = 240, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    centres = torch.tensor([[3.0, 0.0], [0.0, 3.0], [-3.0, -3.0]])
    return centres[y] + 0.5 * torch.randn(n, 2, generator=g), y


def test_evaluate_accuracy_and_gpu_variant_against_d2lcore() -> None:
    X, y = _blobs()
    net = nn.Linear(2, 3)
    it = d2l.load_array((X, y), 32, is_train=False)
    expected = float((net(X).argmax(1) == y).float().mean())
    for value in (d2l.evaluate_accuracy(net, it), d2l.evaluate_accuracy_gpu(net, it),
                  d2l.evaluate_accuracy_gpu(net, it, torch.device("cpu"))):
        assert value == pytest.approx(expected) == d2lcore.evaluate_accuracy(net, it)
        assert 0 <= value <= 1


def test_evaluate_loss_reshapes_labels_as_the_book() -> None:
    X = torch.randn(50, 3)
    y = X.sum(1)  # labels (n,), outputs (n, 1): the book reshapes y to the output's shape
    net = nn.Linear(3, 1)
    got = d2l.evaluate_loss(net, d2l.load_array((X, y), 8, is_train=False), nn.MSELoss(reduction="none"))
    with torch.no_grad():
        expected = float(((net(X) - y.reshape(-1, 1)) ** 2).mean())
    assert got == pytest.approx(expected, rel=1e-6)


# --- training -------------------------------------------------------------------------------------


def _loaders() -> tuple[d2lcore.ArrayLoader, d2lcore.ArrayLoader]:
    X, y = _blobs(600)
    Xt, yt = _blobs(200, seed=1)
    return d2l.load_array((X, y), 50), d2l.load_array((Xt, yt), 50, is_train=False)


def test_train_epoch_ch3_with_optimizer_and_scratch_updater() -> None:
    train_iter, _ = _loaders()
    torch.manual_seed(0)
    net = nn.Linear(2, 3)
    result = d2l.train_epoch_ch3(net, train_iter, nn.CrossEntropyLoss(reduction="none"),
                                 torch.optim.SGD(net.parameters(), lr=0.1))
    assert isinstance(result, tuple) and len(result) == 2
    loss, acc = result
    assert loss == pytest.approx(d2l.last_history().final.train_loss)
    assert 0.0 < loss < 2.0 and 0.5 < acc <= 1.0
    W = torch.zeros(2, 3, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)
    loss0, _ = d2l.train_epoch_ch3(lambda X: X @ W + b, train_iter,
                                   nn.CrossEntropyLoss(reduction="none"),
                                   lambda n: d2l.sgd([W, b], 0.1, n))
    assert loss0 < math.log(3)  # it learnt: below the loss of uniform scores
    assert W.abs().sum() > 0


def test_train_ch3_returns_none_prints_no_summary(capsys: pytest.CaptureFixture[str]) -> None:
    train_iter, test_iter = _loaders()
    net = nn.Linear(2, 3)
    result = d2l.train_ch3(net, train_iter, test_iter, nn.CrossEntropyLoss(reduction="none"), 3,
                           torch.optim.SGD(net.parameters(), lr=0.1))
    assert result is None
    history = d2l.last_history()
    assert len(history) == 3 and history.final.test_acc > 0.9
    out = capsys.readouterr().out
    assert "examples/sec" not in out  # the book's train_ch3 prints no summary
    assert len(re.findall(r"epoch \d/3, loss", out)) == 3  # the terminal stand-in for the plot


def test_train_ch6_initialises_prints_the_book_lines(capsys: pytest.CaptureFixture[str]) -> None:
    train_iter, test_iter = _loaders()
    net = nn.Sequential(nn.Linear(2, 8), nn.Sigmoid(), nn.Linear(8, 3))
    for p in net.parameters():
        nn.init.zeros_(p)
    assert d2l.train_ch6(net, train_iter, test_iter, 2, 0.5, d2l.try_gpu()) is None
    assert net[0].weight.abs().sum() > 0  # Xavier-initialised, then trained
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "training on cpu"
    e = d2l.last_history().final
    assert lines[-2] == f"loss {e.train_loss:.3f}, train acc {e.train_acc:.3f}, test acc {e.test_acc:.3f}"
    m = re.fullmatch(r"(\d+\.\d) examples/sec on cpu", lines[-1])
    assert m and float(m.group(1)) > 0


def test_train_ch6_xavier_like_the_book_and_fast_pooling() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Sigmoid(), nn.AvgPool2d(2, 2),
                        nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    pool, before = net[2], repr(net)
    X = torch.rand(30, 1, 8, 8)
    y = torch.randint(0, 3, (30,))
    it = d2l.load_array((X, y), 10)
    d2l.train_ch6(net, it, it, 0, 0.1, "cpu")
    # Xavier-uniform bound sqrt(6 / (fan_in + fan_out)) for the linear layer (fan_in 32, fan_out 3)
    bound = math.sqrt(6 / (32 + 3))
    assert net[4].weight.abs().max() <= bound and net[4].weight.abs().max() > 0.8 * bound
    assert net[2] is pool and isinstance(pool, d2lcore.AvgPool2d) and repr(net) == before
    assert torch.allclose(pool(X[:, :1]), nn.functional.avg_pool2d(X[:, :1], 2), atol=1e-6)


def test_predict_ch3_shows_true_and_predicted_labels() -> None:
    X = torch.rand(8, 1, 28, 28)
    y = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7])
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    with torch.no_grad():
        net[1].weight.zero_()
        net[1].bias.copy_(torch.arange(10.0))  # always predicts class 9, "ankle boot"
    assert d2l.predict_ch3(net, d2l.load_array((X, y), 8, is_train=False), n=4) is None
    axes = plt.gcf().axes
    assert [a.get_title() for a in axes] == [
        "t-shirt\nankle boot", "trouser\nankle boot", "pullover\nankle boot", "dress\nankle boot"]


def test_try_gpu_and_try_all_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(d2lcore.config, "mps_available", lambda: False)
    assert d2l.try_gpu() == torch.device("cpu") and d2l.try_all_gpus() == [torch.device("cpu")]
    monkeypatch.setattr(d2lcore.config, "mps_available", lambda: True)
    assert d2l.try_gpu() == torch.device("mps") and d2l.try_gpu(1) == torch.device("cpu")
    assert d2l.try_all_gpus() == [torch.device("mps")]
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert d2l.try_gpu(1) == torch.device("cuda:1")
    assert d2l.try_all_gpus() == [torch.device("cuda:0"), torch.device("cuda:1")]
    with pytest.raises(ValueError, match="i must be a GPU index"):
        d2l.try_gpu(-1)


def test_last_history_before_any_run() -> None:
    code = ("from d2lcore import torch as d2l\ntry:\n    d2l.last_history()\nexcept ValueError as e:"
            "\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "no training has run yet" in out.stdout


def test_output_goes_to_stdout() -> None:
    buf = io.StringIO()
    train_iter, test_iter = _loaders()
    with redirect_stdout(buf):
        d2l.train_ch6(nn.Linear(2, 3), train_iter, test_iter, 1, 0.1, "cpu")
    assert buf.getvalue().startswith("training on cpu\n")


# --- end to end, one per chapter, in the book's style (quick mode: a tenth of the data) ----------


def _book_softmax_scratch() -> tuple[object, list[torch.Tensor]]:
    W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
    b = torch.zeros(10, requires_grad=True)

    def net(X: torch.Tensor) -> torch.Tensor:
        O = d2l.matmul(d2l.reshape(X, (-1, W.shape[0])), W) + b
        E = d2l.exp(O - O.max(1, keepdim=True).values)
        return E / d2l.reduce_sum(E, 1, keepdim=True)

    return net, [W, b]


def _cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return -d2l.log(y_hat[range(len(y_hat)), y])


def test_chapter3_softmax_from_scratch_and_concise(quick_mode: None, data_root: object) -> None:
    torch.manual_seed(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    net, params = _book_softmax_scratch()
    d2l.train_ch3(net, train_iter, test_iter, _cross_entropy, 3, lambda n: d2l.sgd(params, 0.1, n))
    scratch = d2l.last_history()
    assert len(scratch) == 3 and scratch.final.train_loss < scratch.epochs[0].train_loss
    assert scratch.final.test_acc > 0.65
    assert d2l.evaluate_accuracy(net, test_iter) == pytest.approx(scratch.final.test_acc)
    d2l.predict_ch3(net, test_iter)
    assert len(plt.gcf().axes) == 6 and "\n" in plt.gcf().axes[0].get_title()

    concise = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    concise.apply(lambda m: nn.init.normal_(m.weight, std=0.01) if type(m) is nn.Linear else None)
    d2l.train_ch3(concise, train_iter, test_iter, nn.CrossEntropyLoss(reduction="none"), 3,
                  torch.optim.SGD(concise.parameters(), lr=0.1))
    assert d2l.last_history().final.test_acc > 0.65


def test_chapter4_mlp_with_dropout(quick_mode: None, data_root: object) -> None:
    torch.manual_seed(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 10))
    net.apply(lambda m: nn.init.normal_(m.weight, std=0.01) if type(m) is nn.Linear else None)
    d2l.train_ch3(net, train_iter, test_iter, nn.CrossEntropyLoss(reduction="none"), 3,
                  torch.optim.SGD(net.parameters(), lr=0.5))
    h = d2l.last_history()
    assert h.final.test_acc > 0.65 and h.final.train_loss < h.epochs[0].train_loss
    d2l.predict_ch3(net, test_iter)
    titles = [a.get_title() for a in plt.gcf().axes]
    assert len(titles) == 6 and all(t.count("\n") == 1 for t in titles)


def test_chapter5_a_custom_block_trains(quick_mode: None, data_root: object) -> None:
    class MLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hidden = nn.Linear(784, 128)
            self.out = nn.Linear(128, 10)

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            return self.out(torch.relu(self.hidden(X.reshape(len(X), -1))))

    torch.manual_seed(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    net = MLP()
    loss, acc = d2l.train_epoch_ch3(net, train_iter, nn.CrossEntropyLoss(reduction="none"),
                                    torch.optim.SGD(net.parameters(), lr=0.1))
    assert 0 < loss < math.log(10) and 0.3 < acc <= 1
    assert d2l.evaluate_accuracy(net, test_iter) > 0.3


def _book_lenet() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))  # fmt: skip


def test_chapter6_lenet_with_train_ch6(quick_mode: None, data_root: object,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size=256)
    net = _book_lenet()
    d2l.train_ch6(net, train_iter, test_iter, 1, 0.9, d2l.try_gpu())
    out = capsys.readouterr().out
    assert out.startswith("training on cpu\n")
    assert re.search(r"^loss \d\.\d{3}, train acc \d\.\d{3}, test acc \d\.\d{3}$", out, re.M)
    assert re.search(r"^\d+\.\d examples/sec on cpu$", out, re.M)
    h = d2l.last_history()
    assert len(h) == 1 and all(math.isfinite(e.train_loss) for e in h.epochs)
    assert h.final.train_loss < 2.4  # sigmoid LeNet leaves ln 10 = 2.303 slowly; it must not blow up
    assert isinstance(net[2], d2lcore.AvgPool2d) and net[0].weight.device.type == "cpu"
    d2l.predict_ch3(net, test_iter)
    assert len(plt.gcf().axes) == 6


def test_chapter7_bn_lenet_with_train_ch6(quick_mode: None, data_root: object) -> None:
    torch.manual_seed(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Flatten(), nn.Linear(256, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(), nn.Linear(84, 10))  # fmt: skip
    with redirect_stdout(io.StringIO()):
        d2l.train_ch6(net, train_iter, test_iter, 1, 1.0, d2l.try_gpu())
    h = d2l.last_history()
    assert h.final.test_acc > 0.5  # batch norm makes lr 1.0 work from the first epoch
    d2l.predict_ch3(net, test_iter)
    assert len(plt.gcf().axes) == 6


# --- what #23 found unclear or silent ------------------------------------------------------------


def test_animator_takes_one_legend_name_and_cycles_formats() -> None:
    anim = d2l.Animator(legend="train loss", fmts=("-", "m--"))
    anim.add(1, (0.5, 0.4, 0.3))  # three curves, two formats: the first format comes back
    ax = anim.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train loss"]
    assert len(ax.lines) == 3
    assert [line.get_linestyle() for line in ax.lines] == ["-", "--", "-"]
    anim.add(2, (0.4, 0.3, 0.2, 0.1))  # a fourth curve starting later is drawn too
    assert anim.Y == [[0.5, 0.4], [0.4, 0.3], [0.3, 0.2], [0.1]] and len(ax.lines) == 4


def test_predict_ch3_uses_the_images_own_size(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[tuple[int, ...]] = []
    monkeypatch.setattr(d2l, "show_images", lambda imgs, r, c, titles=None: shown.append(tuple(imgs.shape)))
    y = torch.arange(4)
    net32 = nn.Sequential(nn.Flatten(), nn.Linear(32 * 32, 10))
    d2l.predict_ch3(net32, d2l.load_array((torch.rand(4, 1, 32, 32), y), 4, is_train=False), n=3)
    flat = nn.Linear(784, 10)  # the book's §3.6 loaders of flattened rows
    d2l.predict_ch3(flat, d2l.load_array((torch.rand(4, 784), y), 4, is_train=False), n=4)
    assert shown == [(3, 32, 32), (4, 28, 28)]


def test_accumulator_index_and_tensor_aliases() -> None:
    acc = d2l.Accumulator(2)
    acc.add(1, 2)
    assert acc[1] == 2.0 and acc[-1] == 2.0 and acc[0:2] == [1.0, 2.0]
    x = torch.tensor([1, 2])
    assert d2l.astype(x, "float32").dtype == torch.float32  # NumPy's habit, a dtype's name
    assert d2l.astype(x, "torch.float64").dtype == torch.float64
    assert d2l.astype(x, "torch.FloatTensor").dtype == torch.float32  # x.type's own form
    assert d2l.astype(x, torch.float16).dtype == torch.float16


def test_evaluate_accuracy_still_takes_functions_and_modules() -> None:
    X, y = torch.eye(3), torch.arange(3)
    it = d2l.load_array((X, y), 3, is_train=False)
    assert d2l.evaluate_accuracy(lambda X: X, it) == 1.0
    net = nn.Linear(3, 3)
    with torch.no_grad():
        net.weight.copy_(torch.eye(3))
        net.bias.zero_()
    assert d2l.evaluate_accuracy(net, it) == 1.0
    assert not net._forward_hooks and not net._forward_pre_hooks  # the watching hooks are gone


def test_train_ch6_checks_cpu_autocast_where_it_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    it = d2l.load_array((torch.rand(6, 2), torch.zeros(6, dtype=torch.long)), 3)
    monkeypatch.setattr(d2l, "cpu_autocast", "bf16")
    with pytest.raises(TypeError, match=r"d2l\.cpu_autocast must be None"):
        d2l.train_ch6(nn.Linear(2, 3), it, it, 1, 0.1, "cpu")
    monkeypatch.setattr(d2l, "cpu_autocast", None)
    d2l.train_ch6(nn.Linear(2, 3), it, it, 1, 0.1, "cpu")  # None: float32, as the book


def test_the_adapter_uses_no_private_name_of_another_module() -> None:
    """d2lcore.torch is a thin adapter (#22): what it needs from d2lcore is public there."""
    import ast

    tree = ast.parse(Path(d2l.__file__).read_text(encoding="utf-8"))
    imported_modules = set()
    private = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            for alias in node.names:
                if node.module is None:  # from . import config
                    imported_modules.add(alias.asname or alias.name)
                if alias.name.startswith("_"):
                    private.append(f"{node.module}.{alias.name}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in imported_modules and node.attr.startswith("_")):
            private.append(f"{node.value.id}.{node.attr}")
    assert imported_modules and private == []
