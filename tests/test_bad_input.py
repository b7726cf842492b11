"""Bad input at d2lcore's public surface: every row calls one function wrongly and asserts the
error type and its message (the argument, what it got, what it expects).

How to add rows: find the block of your module below (or start one, and add it to ``CASES``
at the bottom) and append ``bad(id, call, ErrorType, regex)``. ``call`` is a function of no
arguments that makes the bad call; ``regex`` is searched in the message (``re.search``), so
escape ``()[].`` where you mean them literally. Keep ids unique: ``module-function-what``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

import d2lcore as d2l

F32 = torch.ones(6, 2)
Y6 = torch.zeros(6)
NAN = float("nan")


def bad(id: str, call: Callable[[], Any], error: type[Exception], message: str) -> Any:
    """One row of the table."""
    return pytest.param(call, error, message, id=id)


def _env(name: str, value: str, call: Callable[[], Any]) -> Callable[[], Any]:
    """``call`` with the environment variable ``name`` set to ``value``."""

    def run() -> Any:
        old = os.environ.get(name)
        os.environ[name] = value
        try:
            return call()
        finally:
            if old is None:
                del os.environ[name]
            else:
                os.environ[name] = old

    return run


def _linear() -> nn.Linear:
    return nn.Linear(2, 3)


def _opt(lr: float) -> torch.optim.Optimizer:
    opt = torch.optim.SGD(_linear().parameters(), lr=0.1)
    opt.param_groups[0]["lr"] = lr  # torch itself accepts NaN; fit must not
    return opt


def _fit(**overrides: Any) -> Callable[[], Any]:
    """``d2l.fit`` on a tiny classification problem, with some arguments replaced."""

    def run() -> Any:
        net = overrides.get("net", None) or _linear()
        args: dict[str, Any] = {
            "net": net,
            "train_iter": d2l.load_array((F32, Y6.long()), 3),
            "loss": nn.CrossEntropyLoss(),
            "num_epochs": 1,
            "updater": (torch.optim.SGD(net.parameters(), lr=0.1) if isinstance(net, nn.Module)
                        else lambda batch_size: None),
        }
        args.update(overrides)
        positional = [args.pop(k) for k in ("net", "train_iter", "loss", "num_epochs", "updater")]
        return d2l.fit(*positional, **args)

    return run


# --- config ---------------------------------------------------------------------------------

CONFIG = [
    bad("config-mode-unknown", _env("D2LCORE_QUICK", "sometimes", d2l.mode), ValueError,
        r"D2LCORE_QUICK='sometimes' is not understood; expected one of"),
    bad("config-tune-malloc-unknown", _env("D2LCORE_TUNE_MALLOC", "maybe", d2l.config._apply_malloc_tuning),
        ValueError, r"D2LCORE_TUNE_MALLOC must be 1/true/yes/on or 0/false/no/off, got 'maybe'"),
    bad("config-epochs-negative", lambda: d2l.epochs(-1), ValueError,
        r"full must be an integer ≥ 0, got -1"),
    bad("config-epochs-float", lambda: d2l.epochs(2.5), TypeError,
        r"full must be an integer ≥ 0, got 2\.5 \(float\)"),
    bad("config-epochs-quick-negative", lambda: d2l.epochs(10, quick=-2), ValueError,
        r"quick must be an integer ≥ 0, got -2"),
    bad("config-epochs-bool", lambda: d2l.epochs(True), TypeError,
        r"full must be an integer ≥ 0, got True \(bool\)"),
    bad("config-num_examples-zero", lambda: d2l.num_examples(0), ValueError,
        r"full must be an integer ≥ 1, got 0"),
    bad("config-num_examples-fraction-zero", lambda: d2l.num_examples(100, 0.0), ValueError,
        r"quick_fraction must be in \(0, 1\], got 0\.0"),
    bad("config-num_examples-fraction-big", lambda: d2l.num_examples(100, 1.5), ValueError,
        r"quick_fraction must be in \(0, 1\], got 1\.5"),
    bad("config-num_examples-fraction-nan", lambda: d2l.num_examples(100, NAN), ValueError,
        r"quick_fraction must be in \(0, 1\], got nan"),
    bad("config-num_examples-fraction-str", lambda: d2l.num_examples(100, "0.1"), TypeError,
        r"quick_fraction must be a number in \(0, 1\], got '0\.1' \(str\)"),
    bad("config-num_examples-minimum", lambda: d2l.num_examples(100, 0.1, minimum=0), ValueError,
        r"minimum must be an integer ≥ 1, got 0"),
    bad("config-device-unknown", lambda: d2l.device("gpu"), ValueError,
        r"device: 'gpu' is not a device name; expected one of \['cpu'"),
    bad("config-device-unsupported", lambda: d2l.device("meta"), ValueError,
        r"device: 'meta' is not supported; expected one of"),
    bad("config-device-int", lambda: d2l.device(0), TypeError,
        r"device must be a device name such as 'cpu' or 'cuda:0' \(or a torch\.device\), got 0 \(int\)"),
    bad("config-device-env", _env("D2LCORE_DEVICE", "tpu", d2l.device), ValueError,
        r"D2LCORE_DEVICE: 'tpu' is not a device name"),
    bad("config-seed-negative", lambda: d2l.seed(-1), ValueError,
        r"seed must be an integer ≥ 0, got -1"),
    bad("config-seed-float", lambda: d2l.seed(0.5), TypeError,
        r"seed must be an integer ≥ 0, got 0\.5 \(float\)"),
    bad("config-data_root-int", lambda: d2l.data_root(3), TypeError,
        r"root must be a folder path \(str or pathlib\.Path\), got 3 \(int\)"),
    bad("config-data_root-empty", lambda: d2l.data_root(""), ValueError,
        r"root must be a folder path, got an empty string"),
]

# --- ops.linear (§3.1–3.2) -------------------------------------------------------------------

OPS_LINEAR = [
    bad("linreg-X-rank", lambda: d2l.linreg(torch.ones(3), torch.ones(3), torch.zeros(())),
        ValueError, r"X must have 2 dimensions, got shape \(3,\) \(1 dimensions\)"),
    bad("linreg-X-integer", lambda: d2l.linreg(torch.ones(2, 2, dtype=torch.int64), torch.ones(2),
        torch.zeros(())), TypeError, r"X must be a floating-point tensor, got dtype torch\.int64"),
    bad("linreg-w-mismatch", lambda: d2l.linreg(torch.ones(4, 3), torch.ones(2), torch.zeros(())),
        ValueError, r"X has 3 features \(shape \(4, 3\)\) but w has 2 weights \(shape \(2,\)\)"),
    bad("linreg-w-rank", lambda: d2l.linreg(torch.ones(4, 2), torch.ones(2, 1, 1), torch.zeros(())),
        ValueError, r"w must have 1 or 2 dimensions, got shape \(2, 1, 1\)"),
    bad("linreg-w-list", lambda: d2l.linreg(torch.ones(4, 2), [1.0, 2.0], torch.zeros(())),
        TypeError, r"w must be a torch\.Tensor, got list"),
    bad("linreg-b-float", lambda: d2l.linreg(torch.ones(4, 2), torch.ones(2), 0.5),
        TypeError, r"b must be a torch\.Tensor, got float"),
    bad("squared_loss-sizes", lambda: d2l.squared_loss(torch.ones(4, 1), torch.ones(3)),
        ValueError, r"y_hat and y must hold one value per example, got shapes \(4, 1\) and \(3,\)"),
    bad("squared_loss-y-list", lambda: d2l.squared_loss(torch.ones(2), [1.0, 2.0]),
        TypeError, r"y must be a torch\.Tensor, got list"),
    bad("sgd-lr-zero", lambda: d2l.sgd([], 0.0, 10), ValueError,
        r"lr must be a finite number > 0, got 0\.0"),
    bad("sgd-lr-negative", lambda: d2l.sgd([], -0.03, 10), ValueError,
        r"lr must be a finite number > 0, got -0\.03"),
    bad("sgd-lr-nan", lambda: d2l.sgd([], NAN, 10), ValueError,
        r"lr must be a finite number > 0, got nan"),
    bad("sgd-lr-inf", lambda: d2l.sgd([], float("inf"), 10), ValueError,
        r"lr must be a finite number > 0, got inf"),
    bad("sgd-lr-str", lambda: d2l.sgd([], "0.1", 10), TypeError,
        r"lr must be a number > 0, got '0\.1' \(str\)"),
    bad("sgd-batch_size-zero", lambda: d2l.sgd([], 0.1, 0), ValueError,
        r"batch_size must be an integer ≥ 1, got 0"),
    bad("sgd-no-grad", lambda: d2l.sgd([torch.ones(2, requires_grad=True)], 0.1, 2), ValueError,
        r"sgd: a parameter has no gradient; create it with requires_grad=True and call backward"),
]

# --- data: synthetic, loaders, Fashion-MNIST --------------------------------------------------

DATA = [
    bad("synthetic-w-integer", lambda: d2l.synthetic_data(torch.tensor([2, 3]), 4.2, 10),
        TypeError, r"w must be a floating-point tensor, got dtype torch\.int64"),
    bad("synthetic-w-rank", lambda: d2l.synthetic_data(torch.ones(2, 1), 4.2, 10), ValueError,
        r"w must have 1 dimensions, got shape \(2, 1\)"),
    bad("synthetic-w-list", lambda: d2l.synthetic_data([2.0, -3.4], 4.2, 10), TypeError,
        r"w must be a torch\.Tensor, got list"),
    bad("synthetic-w-empty", lambda: d2l.synthetic_data(torch.ones(0), 4.2, 10), ValueError,
        r"w must hold at least one weight, got shape \(0,\)"),
    bad("synthetic-b-str", lambda: d2l.synthetic_data(torch.ones(2), "4.2", 10), TypeError,
        r"b must be a number \(the bias\), got '4\.2' \(str\)"),
    bad("synthetic-b-vector", lambda: d2l.synthetic_data(torch.ones(2), torch.ones(2), 10),
        ValueError, r"b must be a scalar \(the bias\), got a tensor of shape \(2,\)"),
    bad("synthetic-num_examples-zero", lambda: d2l.synthetic_data(torch.ones(2), 0.0, 0),
        ValueError, r"num_examples must be an integer ≥ 1, got 0"),
    bad("synthetic-noise-negative", lambda: d2l.synthetic_data(torch.ones(2), 0.0, 5, noise=-0.1),
        ValueError, r"noise must be a finite number ≥ 0 \(a standard deviation\), got -0\.1"),
    bad("synthetic-noise-nan", lambda: d2l.synthetic_data(torch.ones(2), 0.0, 5, noise=NAN),
        ValueError, r"noise must be a finite number ≥ 0 \(a standard deviation\), got nan"),
    bad("data_iter-batch_size-zero", lambda: d2l.data_iter(0, F32, Y6), ValueError,
        r"batch_size must be an integer ≥ 1, got 0"),
    bad("data_iter-batch_size-negative", lambda: d2l.data_iter(-5, F32, Y6), ValueError,
        r"batch_size must be an integer ≥ 1, got -5"),
    bad("data_iter-batch_size-float", lambda: d2l.data_iter(2.0, F32, Y6), TypeError,
        r"batch_size must be an integer ≥ 1, got 2\.0 \(float\)"),
    bad("data_iter-mismatch", lambda: d2l.data_iter(2, F32, torch.zeros(5)), ValueError,
        r"features and labels must have the same size along dimension 0, got \(6, 2\) and \(5,\)"),
    bad("data_iter-empty", lambda: d2l.data_iter(2, torch.ones(0, 2), torch.zeros(0)), ValueError,
        r"features is empty \(shape \(0, 2\)\): a loader needs at least one example"),
    bad("data_iter-features-list", lambda: d2l.data_iter(2, [[1.0]], Y6), TypeError,
        r"features must be a torch\.Tensor, got list"),
    bad("ArrayLoader-scalar", lambda: d2l.ArrayLoader(torch.tensor(1.0), torch.tensor(1.0), 1),
        ValueError, r"features must have one row per example \(at least 1 dimension\)"),
    bad("ArrayLoader-batch_size", lambda: d2l.ArrayLoader(F32, Y6, 0), ValueError,
        r"batch_size must be an integer ≥ 1, got 0"),
    bad("ArrayLoader-transform", lambda: d2l.ArrayLoader(F32, Y6, 2, transform="float"),
        TypeError, r"transform must be a function of a feature batch \(or None\), got str"),
    bad("ArrayLoader-convert", lambda: d2l.ArrayLoader(F32, Y6, 2, convert=255),
        TypeError, r"convert must be a function of a feature batch \(or None\), got int"),
    bad("ArrayLoader-shuffle", lambda: d2l.ArrayLoader(F32, Y6, 2, shuffle="yes"), TypeError,
        r"shuffle must be True or False, got 'yes' \(str\)"),
    bad("load_array-not-a-pair", lambda: d2l.load_array((F32, Y6, Y6), 2), TypeError,
        r"data_arrays must be a pair \(features, labels\) of tensors, got tuple of length 3"),
    bad("load_array-tensor", lambda: d2l.load_array(F32, 2), TypeError,
        r"data_arrays must be a pair \(features, labels\) of tensors, got Tensor"),
    bad("load_fashion_mnist-batch_size", lambda: d2l.load_fashion_mnist(0), ValueError,
        r"batch_size must be an integer ≥ 1, got 0"),
    bad("load_fashion_mnist-resize-zero", lambda: d2l.load_fashion_mnist(32, resize=0), ValueError,
        r"resize must be an integer ≥ 1, got 0"),
    bad("load_fashion_mnist-resize-triple", lambda: d2l.load_fashion_mnist(32, resize=(1, 2, 3)),
        ValueError, r"resize must be a size or a pair \(height, width\), got \(1, 2, 3\)"),
    bad("load_fashion_mnist-num_train", lambda: d2l.load_fashion_mnist(32, num_train=0),
        ValueError, r"num_train must be an integer ≥ 1, got 0"),
    bad("load_fashion_mnist-num_test-too-many", lambda: d2l.load_fashion_mnist(32, num_test=10001),
        ValueError, r"num_test must be at most 10000 \(the size of Fashion-MNIST's test split\), "
        r"got 10001"),
    bad("read_fashion_mnist-train-str", lambda: d2l.read_fashion_mnist("test"), TypeError,
        r"train must be True \(training split\) or False \(test split\), got 'test'"),
    bad("text_labels-out-of-range", lambda: d2l.get_fashion_mnist_labels([0, 10]), ValueError,
        r"labels must be integers in \[0, 9\], got \[10\]"),
    bad("text_labels-float", lambda: d2l.get_fashion_mnist_labels(torch.tensor([1.0])), ValueError,
        r"labels must be integers in \[0, 9\], got \[1\.0\]"),
]

# --- train ----------------------------------------------------------------------------------

TRAIN = [
    bad("fit-num_epochs-negative", _fit(num_epochs=-1), ValueError,
        r"num_epochs must be an integer ≥ 0, got -1"),
    bad("fit-num_epochs-float", _fit(num_epochs=2.0), TypeError,
        r"num_epochs must be an integer ≥ 0, got 2\.0 \(float\)"),
    bad("fit-net-not-callable", _fit(net="lenet"), TypeError,
        r"net must be callable \(an nn\.Module or a function\), got str"),
    bad("fit-loss-not-callable", _fit(loss="cross-entropy"), TypeError,
        r"loss must be callable, got str"),
    bad("fit-updater-float", _fit(updater=0.1), TypeError,
        r"updater must be a torch\.optim\.Optimizer or a function updater\(batch_size\), got float"),
    bad("fit-lr-zero", _fit(updater=_opt(0.0)), ValueError,
        r"updater: the learning rate \(param group 0\) must be a finite number > 0, got lr=0\.0"),
    bad("fit-lr-nan", _fit(updater=_opt(NAN)), ValueError,
        r"updater: the learning rate \(param group 0\) must be a finite number > 0, got lr=nan"),
    bad("fit-lr-negative", _fit(updater=_opt(-0.1)), ValueError,
        r"must be a finite number > 0, got lr=-0\.1"),
    bad("fit-train_iter-int", _fit(train_iter=5), TypeError,
        r"train_iter must be an iterable of \(X, y\) batches, got int"),
    bad("fit-train_iter-empty", _fit(train_iter=[]), ValueError,
        r"train_iter is empty: it yields no batches"),
    bad("fit-train_iter-one-pass", _fit(train_iter=d2l.data_iter(3, F32, Y6.long()), num_epochs=3),
        TypeError, r"train_iter is a one-pass iterator \(generator\), but fit reads it once per "
        r"epoch for 3 epochs; pass a re-iterable loader"),
    bad("fit-test_iter-one-pass", _fit(test_iter=iter([(F32, Y6.long())]), num_epochs=2),
        TypeError, r"test_iter is a one-pass iterator \(list_iterator\), but fit reads it once "
        r"per epoch for 2 epochs"),
    bad("fit-test_iter-empty", _fit(test_iter=[]), ValueError,
        r"test_iter is empty: it yields no batches"),
    bad("fit-device-unknown", _fit(device="gpu"), ValueError,
        r"device: 'gpu' is not a device name"),
    bad("fit-autocast-int", _fit(autocast=torch.int8), TypeError,
        r"autocast must be a floating dtype such as torch\.bfloat16 \(or None\), got torch\.int8"),
    bad("fit-resume-without-path", _fit(resume=True), ValueError,
        r"resume=True needs a checkpoint path to resume from"),
    bad("fit-checkpoint-function-net", _fit(net=lambda X: X, checkpoint="x.pt"), TypeError, r"checkpoint/resume need net to be an nn\.Module"),
    bad("evaluate_accuracy-empty", lambda: d2l.evaluate_accuracy(_linear(), []), ValueError,
        r"data_iter is empty: it yields no batches"),
    bad("evaluate_accuracy-regression", lambda: d2l.evaluate_accuracy(
        lambda X: X[:, :1], d2l.load_array((F32, Y6), 3)), ValueError,
        r"evaluate_accuracy needs a classifier: net must return one score per class \(n, q\)"),
    bad("evaluate_loss-device", lambda: d2l.evaluate_loss(_linear(), d2l.load_array((F32, Y6), 3),
        nn.MSELoss(), device="tpu"), ValueError, r"device: 'tpu' is not a device name"),
    bad("history-final-empty", lambda: d2l.History().final, ValueError,
        r"the history is empty: no epoch finished"),
    bad("history-column-unknown", lambda: d2l.History().column("accuracy"), ValueError,
        r"name must be one of \['epoch', 'train_loss', .*\], got 'accuracy'"),
    bad("save_checkpoint-net-function", lambda: d2l.save_checkpoint("c.pt", lambda X: X, None,
        d2l.History()), TypeError, r"net must be an nn\.Module \(its state_dict is saved\), got function"),
    bad("save_checkpoint-history-list", lambda: d2l.save_checkpoint("c.pt", _linear(), None, []),
        TypeError, r"history must be a d2lcore History, got list"),
]

# --- progress, plot, results -----------------------------------------------------------------

_H1 = d2l.History([d2l.EpochStats(1, 0.5, 0.8, None, 0.7, 100.0, 1.0)])

REPORTING = [
    bad("Progress-metrics-unknown", lambda: d2l.Progress(["accuracy"]), ValueError,
        r"metrics must be a list of names from \['train_loss', 'train_acc', 'test_loss', "
        r"'test_acc', 'examples_per_sec', 'seconds'\], got \['accuracy'\]"),
    bad("Progress-metrics-str", lambda: d2l.Progress("test_acc"), ValueError,
        r"metrics must be a list of names from .*, got 'test_acc'"),
    bad("Progress-yscale", lambda: d2l.Progress(yscale="logarithmic"), ValueError,
        r"yscale must be 'linear' or 'log', got 'logarithmic'"),
    bad("plot_history-metrics", lambda: d2l.plot_history(_H1, ["loss"]), ValueError,
        r"metrics must be a list of names from .*, got \['loss'\]"),
    bad("plot-x-y-count", lambda: d2l.plot([[1, 2], [1, 2], [1, 2]], [[1, 2], [3, 4]]), ValueError,
        r"plot: 3 x series for 2 y series; pass one or one each"),
    bad("plot-too-many-series", lambda: d2l.plot([1, 2], [[1, 2]] * 8), ValueError,
        r"plot: 8 series but only 7 formats; pass fmts"),
    bad("show_images-rows", lambda: d2l.show_images([torch.ones(2, 2)], 0, 1), ValueError,
        r"num_rows and num_cols must be ≥ 1, got 0 and 1"),
    bad("show_images-too-many", lambda: d2l.show_images([torch.ones(2, 2)] * 5, 2, 2), ValueError,
        r"5 images do not fit a 2×2 grid"),
    bad("record-section", lambda: d2l.record("six", "LeNet", _H1, directory="/nonexistent"),
        ValueError, r"section must be a book section number like '6\.6', got 'six'"),
    bad("record-name", lambda: d2l.record("6.6", " -- ", _H1, directory="/nonexistent"),
        ValueError, r"name must be a model name with letters or digits, like 'LeNet', got ' -- '"),
    bad("record-empty-history", lambda: d2l.record("6.6", "LeNet", d2l.History(),
        directory="/nonexistent"), ValueError,
        r"history is empty: record needs a run with at least one finished epoch"),
    bad("record-history-dict", lambda: d2l.record("6.6", "LeNet", {"epochs": []},
        directory="/nonexistent"), TypeError, r"history must be the History that fit returns, got dict"),
    bad("record-book-acc", lambda: d2l.record("6.6", "LeNet", _H1, book_test_acc=77.9,
        directory="/nonexistent"), ValueError,
        r"book_test_acc must be an accuracy in \[0, 1\] \(or None\), got 77\.9"),
]

# --- ops.mlp, data.kfold, ops.conv (chapters 4 and 6; their engineers add rows here) ---------

CHAPTER_OPS = [
    bad("dropout-p-above-one", lambda: d2l.dropout_layer(torch.ones(4, 4), 1.5), ValueError,
        r"p must be in \[0, 1\], got 1\.5"),
    bad("dropout-p-nan", lambda: d2l.dropout_layer(torch.ones(4, 4), NAN), ValueError,
        r"p must be in \[0, 1\], got nan"),
    bad("k_fold-k-one", lambda: d2l.k_fold_indices(10, 1), ValueError,
        r"k must be at least 2 \(one fold validates, the others train\), got 1"),
    bad("k_fold-k-above-n", lambda: d2l.k_fold_indices(3, 5), ValueError,
        r"k must be at most n = 3 \(each fold needs an example\), got k = 5"),
    bad("corr2d-kernel-too-large", lambda: d2l.corr2d(torch.ones(2, 2), torch.ones(3, 3)),
        ValueError, r"corr2d: the kernel \(3, 3\) is larger than the padded input \(2, 2\)"),
    bad("conv2d-channels", lambda: d2l.conv2d(torch.ones(1, 3, 5, 5), torch.ones(2, 4, 3, 3)),
        ValueError, r"conv2d: X has 3 input channels \(shape \(1, 3, 5, 5\)\) but weight expects 4"),
    bad("conv2d-integer-images", lambda: d2l.conv2d(torch.ones(1, 1, 5, 5, dtype=torch.uint8),
        torch.ones(1, 1, 3, 3)), TypeError, r"X must be a floating-point tensor, got dtype "
        r"torch\.uint8; convert it first"),
    bad("conv2d-stride-zero", lambda: d2l.conv2d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3),
        stride=0), ValueError, r"stride must be an integer ≥ 1, got 0"),
    bad("conv2d-kernel-too-large", lambda: d2l.conv2d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 8, 8),
        padding=1), ValueError, r"conv2d: the kernel \(8, 8\) is larger than the padded input \(7, 7\)"),
    bad("conv2d-rank", lambda: d2l.conv2d(torch.ones(5, 5), torch.ones(1, 1, 3, 3)), ValueError,
        r"X must have 3 or 4 dimensions, got shape \(5, 5\)"),
    bad("corr2d_multi_in-channels", lambda: d2l.corr2d_multi_in(torch.ones(2, 3, 3),
        torch.ones(3, 2, 2)), ValueError, r"X has 2 input channels \(shape \(2, 3, 3\)\) but K has 3"),
    bad("pool2d-window-too-large", lambda: d2l.pool2d(torch.ones(2, 2), 3), ValueError,
        r"pool2d: the pool window \(3, 3\) is larger than the padded input \(2, 2\)"),
    bad("pool2d-mode", lambda: d2l.pool2d(torch.ones(4, 4), 2, mode="min"), ValueError,
        r"mode must be 'max' or 'avg', got 'min'"),
    bad("conv_output_shape-stride-zero", lambda: d2l.conv_output_shape(8, 3, stride=0), ValueError,
        r"stride must be an integer ≥ 1, got 0"),
    bad("lenet-pool", lambda: d2l.LeNet(pool="min"), ValueError, r"pool must be one of \['avg', 'max'\], got 'min'"),
    bad("lenet-rgb-input", lambda: d2l.LeNet()(torch.zeros(2, 3, 28, 28)), ValueError,
        r"LeNet takes images of shape \(batch, 1, 28, 28\), got \(2, 3, 28, 28\)"),
    bad("lenet-no-channel-dim", lambda: d2l.LeNet()(torch.zeros(2, 28, 28)), ValueError,
        r"got \(2, 28, 28\); add the channel dimension with X.unsqueeze\(1\)"),
]

# --- ops.classify, plot.show_predictions (§3.4–3.7) ------------------------------------------
P23 = torch.full((2, 3), 1 / 3)
OPS_CLASSIFY = [
    bad("softmax-rank", lambda: d2l.softmax(torch.zeros(2, 3, 4)), ValueError,
        r"X must have 1 or 2 dimensions, got shape \(2, 3, 4\)"),
    bad("softmax-integer-logits", lambda: d2l.softmax(torch.tensor([[1, 2]])), TypeError,
        r"X must be a floating-point tensor, got dtype torch\.int64"),
    bad("log_softmax-no-classes", lambda: d2l.log_softmax(torch.zeros(2, 0)), ValueError,
        r"X must have at least one class \(column\), got shape \(2, 0\)"),
    bad("cross_entropy-label-out-of-range", lambda: d2l.cross_entropy(P23, torch.tensor([0, 3])),
        ValueError, r"y must hold classes in \[0, 2\] \(y_hat has 3 columns\), got \[3\]"),
    bad("cross_entropy-float-labels", lambda: d2l.cross_entropy(P23, torch.tensor([0.0, 1.0])),
        TypeError, r"y must hold integer class indices .*got dtype torch\.float32"),
    bad("cross_entropy-lengths", lambda: d2l.cross_entropy(P23, torch.tensor([0, 1, 2])),
        ValueError, r"y_hat and y must have the same size along dimension 0, got \(2, 3\) and \(3,\)"),
    bad("cross_entropy_logits-integer-logits",
        lambda: d2l.cross_entropy_logits(torch.tensor([[3, 1]]), torch.tensor([0])), TypeError,
        r"O must be a floating-point tensor, got dtype torch\.int64"),
    bad("accuracy-empty", lambda: d2l.accuracy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long)),
        ValueError, r"accuracy of an empty batch is undefined"),
    bad("show_predictions-label-out-of-range",
        lambda: d2l.show_predictions(torch.rand(2, 4, 4), torch.tensor([0, 3]), torch.tensor([1, 1]),
                                     names=("a", "b", "c"), n=2),
        ValueError, r"labels and preds must be classes in \[0, 2\], got \[3\]"),
    bad("show_predictions-images-rank",
        lambda: d2l.show_predictions(torch.rand(2, 4), torch.tensor([0, 1]), torch.tensor([1, 1])),
        ValueError, r"images must be \(n, h, w\) or \(n, c, h, w\), got shape \(2, 4\)"),
]

# --- torch: the book-compatible module (from d2lcore import torch as d2l) ----------------------
def _compat() -> Any:
    from d2lcore import torch as compat

    return compat


TORCH_COMPAT = [
    bad("torch-Accumulator-n", lambda: _compat().Accumulator(0), ValueError,
        r"n must be the number of sums, an int ≥ 1, got 0"),
    bad("torch-Accumulator-add-count", lambda: _compat().Accumulator(2).add(1), ValueError,
        r"Accumulator.add takes 2 values, got 1"),
    bad("torch-Timer-avg-empty", lambda: _compat().Timer().avg(), ValueError,
        r"no time recorded yet; call stop\(\) first"),
    bad("torch-try_gpu-negative", lambda: _compat().try_gpu(-1), ValueError,
        r"i must be a GPU index, an int ≥ 0, got -1"),
    bad("torch-train_ch6-function-net",
        lambda: _compat().train_ch6(lambda X: X, [(F32, Y6.long())], [(F32, Y6.long())], 1, 0.1, "cpu"),
        TypeError, r"net must be an nn.Module .*got function"),
    bad("torch-train_ch6-device", lambda: _compat().train_ch6(_linear(), [], [], 1, 0.1, "tpu"),
        ValueError, r"'tpu' is not a device name"),
    bad("torch-accuracy-lengths", lambda: _compat().accuracy(P23, torch.tensor([0, 1, 2])),
        ValueError, r"y_hat and y must have the same size"),
]

CASES = [*CONFIG, *OPS_LINEAR, *DATA, *TRAIN, *REPORTING, *CHAPTER_OPS, *OPS_CLASSIFY, *TORCH_COMPAT]


@pytest.mark.parametrize(("call", "error", "message"), CASES)
def test_bad_input(call: Callable[[], Any], error: type[Exception], message: str, tmp_path: Any,
                   monkeypatch: pytest.MonkeyPatch, data_root: Any) -> None:
    monkeypatch.setenv("D2LCORE_DATA", str(data_root))
    monkeypatch.chdir(tmp_path)  # a row that wrongly wrote a file would write it here
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error or isinstance(info.value, error)
    assert re.search(message, str(info.value)), f"message: {info.value}"


def test_the_table_is_large_and_its_ids_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)
