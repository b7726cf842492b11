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


class _NoBatches:
    """A re-iterable loader with no length that yields nothing."""

    def __iter__(self) -> Any:
        return iter(())


def _resume_with_scheduler(saved: Callable[[Any], Any], given: Callable[[Any], Any]) -> Any:
    """Train one epoch checkpointed with the scheduler ``saved(opt)`` makes, then resume with
    ``given(opt)``'s (in the test's working directory)."""
    for make, epochs, resume in ((saved, 1, False), (given, 2, True)):
        net = _linear()
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        d2l.fit(net, d2l.load_array((F32, Y6.long()), 3), nn.CrossEntropyLoss(), epochs, opt,
                scheduler=make(opt), checkpoint="run.pt", resume=resume)  # fmt: skip


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
    bad("config-device-cpu-index", lambda: d2l.device("cpu:1"), ValueError,
        r"device: 'cpu:1' does not exist \(there is one cpu device\); use one of \['cpu'"),
    bad("config-seed-too-large", lambda: d2l.seed(2**64), ValueError,
        r"seed must be an integer in \[0, 2\*\*64 - 1\] \(PyTorch's seed range\)"),
    bad("config-dist_timeout-word", _env("D2LCORE_DIST_TIMEOUT", "soon", d2l.config.dist_timeout),
        ValueError, r"D2LCORE_DIST_TIMEOUT must be a number of seconds > 0 \(e\.g\. 120\), got 'soon'"),
    bad("config-dist_timeout-zero", _env("D2LCORE_DIST_TIMEOUT", "0", d2l.config.dist_timeout),
        ValueError, r"D2LCORE_DIST_TIMEOUT must be a number of seconds > 0 .*got '0'"),
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
    bad("linreg-b-vector", lambda: d2l.linreg(torch.ones(4, 5), torch.ones(5), torch.zeros(5)),
        ValueError, r"b must be one number: a scalar tensor or shape \(1,\), got shape \(5,\)"),
    bad("linreg-b-matrix", lambda: d2l.linreg(torch.ones(4, 2), torch.ones(2), torch.zeros(1, 1)),
        ValueError, r"b must be one number: .*got shape \(1, 1\)"),
    bad("linreg-w-columns", lambda: d2l.linreg(torch.ones(4, 2), torch.ones(2, 3), torch.zeros(())),
        ValueError, r"w must be \(d,\) or \(d, 1\) \(one output\), got shape \(2, 3\)"),
    bad("linreg-w-dtype", lambda: d2l.linreg(torch.ones(4, 2), torch.ones(2, dtype=torch.float64),
        torch.zeros(())), TypeError, r"X is torch\.float32 but w is torch\.float64; use one dtype"),
    bad("sgd-params-tensor", lambda: d2l.sgd(torch.ones(2, requires_grad=True), 0.1, 2), TypeError,
        r"params must be a list of tensors such as \[w, b\], got one Tensor; wrap it: \[w\]"),
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
    bad("text_labels-2d", lambda: d2l.get_fashion_mnist_labels(torch.zeros(2, 2, dtype=torch.long)),
        ValueError, r"labels must be one label per image \(1-dimensional\), got shape \(2, 2\); "
        r"flatten it first"),
    bad("text_labels-0d", lambda: d2l.get_fashion_mnist_labels(torch.tensor(3)), ValueError,
        r"got shape \(\); wrap a single label: \[label\]"),
    bad("text_labels-int", lambda: d2l.get_fashion_mnist_labels(3), TypeError,
        r"labels must be a list or 1-d tensor of integers, got 3 \(int\); wrap a single label"),
    bad("synthetic-w-nan", lambda: d2l.synthetic_data(torch.tensor([1.0, NAN]), 4.2, 10),
        ValueError, r"w must hold finite numbers \(no NaN or inf\), got \[1\.0, nan\]"),
    bad("synthetic-w-inf", lambda: d2l.synthetic_data(torch.tensor([float("inf")]), 4.2, 10),
        ValueError, r"w must hold finite numbers \(no NaN or inf\), got \[inf\]"),
    bad("synthetic-b-nan", lambda: d2l.synthetic_data(torch.ones(2), NAN, 10), ValueError,
        r"b must be a finite number \(no NaN or inf\), got nan"),
    bad("synthetic-b-tensor-inf", lambda: d2l.synthetic_data(torch.ones(2), torch.tensor(float("-inf")),
        10), ValueError, r"b must be a finite number \(no NaN or inf\), got -inf"),
    bad("load_array-is_train-str", lambda: d2l.load_array((F32, Y6), 2, is_train="no"), TypeError,
        r"is_train must be True or False, got 'no'"),
    bad("read_fashion_mnist-download-str", lambda: d2l.read_fashion_mnist(download="no"), TypeError,
        r"download must be True or False, got 'no'"),
    bad("read_fashion_mnist-checksum-str", lambda: d2l.read_fashion_mnist(checksum="no"), TypeError,
        r"checksum must be True or False, got 'no'"),
    bad("load_fashion_mnist-download-str", lambda: d2l.load_fashion_mnist(32, download="no"),
        TypeError, r"download must be True or False, got 'no'"),
    bad("load_fashion_mnist-resize-huge", lambda: d2l.load_fashion_mnist(1, resize=10**5), ValueError,
        r"resize must be at most 1024 \(the images are 28×28; the book uses up to 224\), got 100000"),
    bad("load_fashion_mnist-resize-pair-huge", lambda: d2l.load_fashion_mnist(1, resize=(28, 5000)),
        ValueError, r"resize must be at most 1024 .*got \(28, 5000\)"),
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
    bad("fit-updater-no-argument", _fit(net=lambda X: X, updater=lambda: None), TypeError,
        r"updater must be callable as updater\(batch_size\) .*<lambda>\(\) cannot take one "
        r"argument; write e\.g\. lambda batch_size: d2l\.sgd\(params, lr, batch_size\)"),
    bad("fit-updater-two-arguments", _fit(net=lambda X: X, updater=lambda params, lr: None),
        TypeError, r"<lambda>\(params, lr\) cannot take one argument"),
    bad("fit-test_iter-yields-nothing", _fit(test_iter=_NoBatches()), d2l.TrainingError,
        r"test_iter yielded no examples after epoch 1, so nothing could be evaluated; the "
        r"epoch's training numbers are in this error's \.history"),
    bad("fit-resume-other-scheduler-class", lambda: _resume_with_scheduler(
        lambda opt: torch.optim.lr_scheduler.StepLR(opt, 1),
        lambda opt: torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=10)),
        ValueError, r"run\.pt holds the state of a StepLR scheduler \(torch\.optim\.lr_scheduler\."
        r"StepLR != torch\.optim\.lr_scheduler\.OneCycleLR\), but scheduler is a OneCycleLR; .*"
        r"Pass the scheduler the checkpoint was written with"),
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
    # checkpoint paths, checked (and trial-written) before the first epoch
    bad("fit-checkpoint-int", _fit(checkpoint=123), TypeError,
        r"checkpoint must be a file path \(str or pathlib\.Path\), got 123 \(int\)"),
    bad("fit-checkpoint-folder", _fit(checkpoint="."), ValueError,
        r"checkpoint: \. is a folder, not a checkpoint file; pass a file path in it, e\.g\. model\.pt"),
    bad("fit-checkpoint-under-a-file", lambda: (open("notes", "w").close(),
        _fit(checkpoint="notes/c.pt")()), ValueError,
        r"checkpoint: cannot create the folder of notes/c\.pt: a part of it is a file"),
    bad("save_checkpoint-path-folder", lambda: d2l.save_checkpoint(".", _linear(), None,
        d2l.History()), ValueError, r"path: \. is a folder, not a checkpoint file; pass a file path"),
    bad("save_checkpoint-path-int", lambda: d2l.save_checkpoint(7, _linear(), None, d2l.History()),
        TypeError, r"path must be a file path \(str or pathlib\.Path\), got 7 \(int\)"),
    bad("save_checkpoint-optimizer-function", lambda: d2l.save_checkpoint("c.pt", _linear(),
        lambda n: None, d2l.History()), TypeError,
        r"optimizer must be a torch\.optim\.Optimizer \(or None\), got function"),
    bad("load_checkpoint-net-none", lambda: d2l.load_checkpoint("c.pt", None), TypeError,
        r"net must be an nn\.Module \(the checkpoint's state_dict is loaded into it\), got NoneType"),
    bad("load_checkpoint-folder", lambda: d2l.load_checkpoint(".", _linear()), ValueError,
        r"path: \. is a folder, not a checkpoint file"),
    bad("load_checkpoint-restore_rng-str", lambda: d2l.load_checkpoint("c.pt", _linear(),
        restore_rng="no"), TypeError, r"restore_rng must be True or False, got 'no' \(str\)"),
    # flags: a string is truthy, so "no" would mean yes
    bad("fit-test_loss-str", _fit(test_loss="yes"), TypeError,
        r"test_loss must be True, False or None, got 'yes' \(str\)"),
    bad("fit-resume-str", _fit(resume="no"), TypeError, r"resume must be True or False, got 'no'"),
    bad("fit-channels_last-str", _fit(channels_last="yes"), TypeError,
        r"channels_last must be True or False, got 'yes' \(str\)"),
    # callbacks, schedulers and optimizers that would be ignored or would train nothing
    bad("fit-callback-str", _fit(callback="abc"), TypeError,
        r"callback must be an object with some of the methods on_train_begin, on_batch_end, "
        r"on_epoch_end, on_train_end \(such as d2l\.Progress\(\)\), or a list of them, got 'abc'"),
    bad("fit-callback-class", _fit(callback=d2l.Progress), TypeError,
        r"callback is the class Progress, not an object of it; pass an instance, e\.g\. "
        r"callback=Progress\(\)"),
    bad("fit-callback-list-item", _fit(callback=[d2l.Progress(live=False), 5]), TypeError,
        r"callback\[1\] must be an object with some of the methods .*got 5 \(int\)"),
    bad("fit-scheduler-no-step", _fit(scheduler=0.5), TypeError,
        r"scheduler must be a learning-rate scheduler object with step\(\) .*got float"),
    bad("fit-scheduler-class", _fit(scheduler=torch.optim.lr_scheduler.StepLR), TypeError,
        r"scheduler must be a learning-rate scheduler object .*got the class StepLR"),
    bad("fit-scheduler-plateau", lambda: _fit(scheduler=torch.optim.lr_scheduler.ReduceLROnPlateau(
        _opt(0.1)))(), TypeError, r"scheduler: ReduceLROnPlateau steps on a metric"),
    bad("fit-scheduler-other-optimizer", _fit(scheduler=torch.optim.lr_scheduler.StepLR(
        _opt(0.1), 1)), ValueError, r"scheduler steps another optimizer than updater"),
    bad("fit-updater-other-model", _fit(updater=torch.optim.SGD(_linear().parameters(), lr=0.1)),
        ValueError, r"updater updates none of net's parameters \(it was made for another model\)"),
    # batches that are not (X, y) pairs of tensors, found on the first batch
    bad("fit-batch-one-tensor", _fit(train_iter=[torch.ones(2, 1)]), TypeError,
        r"train_iter must yield \(X, y\) pairs of tensors, but its first batch is a single tensor "
        r"of shape \(2, 1\); pass a loader such as d2l\.load_array"),
    bad("fit-batch-triple", _fit(train_iter=[(F32, Y6.long(), Y6)]), TypeError,
        r"train_iter must yield \(X, y\) pairs of tensors, but its first batch is a tuple of 3 items"),
    bad("fit-batch-list-labels", _fit(train_iter=[(F32, [0] * 6)]), TypeError,
        r"its first batch is a pair \(Tensor, list\)"),
    bad("fit-batch-sizes", _fit(train_iter=[(F32, Y6[:4].long())]), ValueError,
        r"train_iter: a batch's X and y must hold the same number of examples \(their first "
        r"dimension\), got shapes \(6, 2\) and \(4,\)"),
    bad("fit-batch-dataset", _fit(train_iter=torch.utils.data.TensorDataset(F32, Y6.long())),
        TypeError, r"train_iter must be an iterable of \(X, y\) batches, got TensorDataset"),
    bad("fit-batch-examples", _fit(train_iter=list(zip(F32, Y6.long()))), ValueError,
        r"got shapes \(2,\) and \(\); single examples \(a Dataset\) must be batched first"),
    bad("fit-loss-broadcast", _fit(net=lambda X: X[:, :1], loss=lambda y_hat, y: (y_hat - y) ** 2,
        train_iter=d2l.load_array((F32, Y6), 3)), ValueError,
        r"loss returned shape \(3, 3\) for a batch of 3 examples \(y_hat \(3, 1\), y \(3,\)\); "
        r"it must return one loss per example or their mean\. .*y\.reshape\(y_hat\.shape\)"),
    bad("evaluate_loss-broadcast", lambda: d2l.evaluate_loss(lambda X: X[:, :1],
        d2l.load_array((F32, Y6), 3), lambda y_hat, y: (y_hat - y) ** 2), ValueError,
        r"loss returned shape \(3, 3\) for a batch of 3 examples"),
    bad("fit-loss-wrong-length", _fit(loss=lambda y_hat, y: y_hat.sum(0, keepdim=True)),
        ValueError, r"loss returned shape \(1, 3\) for a batch of 3 examples"),
    bad("fit-train_iter-tensor", _fit(train_iter=F32), TypeError,
        r"train_iter must be an iterable of \(X, y\) batches, got Tensor; pass a loader such as "
        r"d2l\.load_array"),
    bad("fit-test_iter-batch-tensor", _fit(test_iter=[F32]), TypeError,
        r"test_iter must yield \(X, y\) pairs of tensors, but its first batch is a single tensor"),
    bad("evaluate_accuracy-batch-tensor", lambda: d2l.evaluate_accuracy(_linear(), [F32]),
        TypeError, r"data_iter must yield \(X, y\) pairs of tensors"),
    bad("evaluate_accuracy-net-str", lambda: d2l.evaluate_accuracy("net", [(F32, Y6)]), TypeError,
        r"net must be callable \(an nn\.Module or a function\), got str"),
    bad("evaluate_loss-loss-none", lambda: d2l.evaluate_loss(_linear(), d2l.load_array((F32, Y6), 3),
        None), TypeError, r"loss must be callable, got NoneType; pass a function loss\(y_hat, y\)"),
    # D2LCORE_DEVICE is checked where the default is the model's device
    bad("fit-env-device", _env("D2LCORE_DEVICE", "garbage", _fit()), ValueError,
        r"D2LCORE_DEVICE: 'garbage' is not a device name"),
    bad("evaluate_accuracy-env-device", _env("D2LCORE_DEVICE", "garbage", lambda: d2l.evaluate_accuracy(
        _linear(), d2l.load_array((F32, Y6.long()), 3))), ValueError,
        r"D2LCORE_DEVICE: 'garbage' is not a device name"),
]

# --- progress, plot, results -----------------------------------------------------------------

_H1 = d2l.History([d2l.EpochStats(1, 0.5, 0.8, None, 0.7, 100.0, 1.0)])


def _corrupt_results() -> str:
    """A results folder (in the test's working directory) whose one file is cut short."""
    folder = os.path.abspath("results")
    os.makedirs(os.path.join(folder, "full"), exist_ok=True)
    with open(os.path.join(folder, "full", "6.6__lenet.json"), "w") as f:
        f.write('{"section": "6.6", "name": ')
    return folder

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
        r"book_test_acc must be the book's test accuracy, a number in \[0, 1\] \(or None\), got 77\.9"),
    bad("record-book-acc-bool", lambda: d2l.record("6.6", "LeNet", _H1, book_test_acc=True,
        directory="/nonexistent"), ValueError,
        r"book_test_acc must be the book's test accuracy, a number in \[0, 1\] \(or None\), got True"),
    bad("record-device-tpu", lambda: d2l.record("6.6", "LeNet", _H1, device="tpu",
        directory="/nonexistent"), ValueError,
        r"device must be the device the run used: one of \['cpu', 'cuda', 'mps'\] .*got 'tpu'"),
    bad("record-results-folder-is-a-file", _env("D2LCORE_RESULTS", __file__,
        lambda: d2l.record("6.6", "LeNet", _H1, device="cpu")), NotADirectoryError,
        r"the results folder .*test_bad_input\.py \(from D2LCORE_RESULTS.*\) is a file, not a folder"),
    bad("load_results-folder-is-a-file", _env("D2LCORE_RESULTS", __file__,
        d2l.load_results), NotADirectoryError,
        r"the results folder .*test_bad_input\.py \(from D2LCORE_RESULTS.*\) is a file, not a folder"),
    bad("load_results-corrupt-json", lambda: d2l.load_results(_corrupt_results(), mode="full"), ValueError,
        r"the results file .*full/6\.6__lenet\.json is not a result written by d2lcore\.record "
        r"\(.*\); delete it and re-run its page"),
    bad("load_results-mode", lambda: d2l.load_results("/nonexistent", mode="fast"), ValueError,
        r"mode must be one of \['full', 'quick'\] \(or None for this run's\), got 'fast'"),
    bad("record-stray-RANK", _env("RANK", "1", lambda: d2l.record("6.6", "LeNet", _H1,
        directory=os.path.abspath("results"))), ValueError,
        r"torchrun's variables are incomplete: RANK set but WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, "
        r"MASTER_PORT missing"),
    bad("Progress-summary-str", lambda: d2l.Progress(summary="no"), TypeError,
        r"summary must be True or False, got 'no' \(str\)"),
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
    bad("cross_entropy_logits-y-device", lambda: d2l.cross_entropy_logits(P23, torch.zeros(
        2, dtype=torch.long, device="meta")), ValueError,
        r"y is on device meta but O is on cpu; put both on one device first, e\.g\. y\.to\(O\.device\)"),
    bad("cross_entropy-y-device", lambda: d2l.cross_entropy(P23, torch.zeros(
        2, dtype=torch.long, device="meta")), ValueError, r"y is on device meta but y_hat is on cpu"),
    bad("accuracy-one-column", lambda: d2l.accuracy(torch.ones(3, 1), torch.zeros(3, dtype=torch.long)),
        ValueError, r"y_hat has shape \(3, 1\): one column of scores makes every prediction class 0; "
        r"pass scores \(n, q\) with a column per class, or the predicted classes as \(n,\)"),
]

OPS_CLASSIFY += [
    bad("softmax-list", lambda: d2l.softmax([[1.0, 2.0]]), TypeError, r"X must be a torch\.Tensor, got list"),
    bad("log_softmax-integer", lambda: d2l.log_softmax(torch.tensor([1, 2])), TypeError,
        r"X must be a floating-point tensor, got dtype torch\.int64"),
    bad("cross_entropy-negative-label", lambda: d2l.cross_entropy(P23, torch.tensor([-1, 0])),
        ValueError, r"y must hold classes in \[0, 2\] \(y_hat has 3 columns\), got \[-1\]"),
    bad("cross_entropy-y-2d", lambda: d2l.cross_entropy(P23, torch.tensor([[0], [1]])), ValueError,
        r"y must have 1 dimensions, got shape \(2, 1\)"),
    bad("cross_entropy-integer-y_hat", lambda: d2l.cross_entropy(torch.tensor([[0, 1]]),
        torch.tensor([1])), TypeError, r"y_hat must be a floating-point tensor, got dtype torch\.int64"),
    bad("cross_entropy-y_hat-1d", lambda: d2l.cross_entropy(torch.ones(3) / 3, torch.tensor([1])),
        ValueError, r"y_hat must have 2 dimensions, got shape \(3,\)"),
    bad("cross_entropy-logits-negative", lambda: d2l.cross_entropy(torch.tensor([[2.0, -1.0]]),
        torch.tensor([0])), ValueError, r"y_hat must hold probabilities \(rows of numbers ≥ 0 that "
        r"sum to 1, e\.g\. softmax\(O\)\), but an entry is -1; for raw scores \(logits\) use "
        r"cross_entropy_logits\(O, y\)"),
    bad("cross_entropy-logits-positive", lambda: d2l.cross_entropy(torch.tensor([[2.0, 3.0]]),
        torch.tensor([0])), ValueError, r"but its rows sum to values in \[5, 5\]; .*cross_entropy_logits"),
    bad("cross_entropy-unnormalised", lambda: d2l.cross_entropy(torch.full((2, 3), 0.2),
        torch.tensor([0, 1])), ValueError, r"rows sum to values in \[0\.6, 0\.6\]"),
    bad("cross_entropy_logits-label-out-of-range", lambda: d2l.cross_entropy_logits(torch.zeros(1, 4),
        torch.tensor([4])), ValueError, r"y must hold classes in \[0, 3\] \(O has 4 columns\), got \[4\]"),
    bad("num_correct-sizes", lambda: d2l.num_correct(torch.zeros(2, 3), torch.zeros(3, dtype=torch.long)),
        ValueError, r"y_hat and y must have the same size along dimension 0, got \(2, 3\) and \(3,\)"),
]

# --- ops.mlp (§4.1–4.8) ---------------------------------------------------------------------

OPS_MLP = [
    bad("dropout-p-above-one", lambda: d2l.dropout_layer(torch.ones(4, 4), 1.5), ValueError,
        r"p must be in \[0, 1\], got 1\.5"),
    bad("dropout-p-nan", lambda: d2l.dropout_layer(torch.ones(4, 4), NAN), ValueError,
        r"p must be in \[0, 1\], got nan"),
    *[bad(f"{fn.__name__}-list", lambda fn=fn: fn([1.0, 2.0]), TypeError,
          r"X must be a torch\.Tensor, got list") for fn in (d2l.relu, d2l.sigmoid, d2l.tanh)],
    *[bad(f"{fn.__name__}-integer", lambda fn=fn: fn(torch.arange(3)), TypeError,
          r"X must be a floating-point tensor, got dtype torch\.int64; convert it first: X\.float\(\)")
      for fn in (d2l.relu, d2l.sigmoid, d2l.tanh)],
    bad("poly_features-x-shape", lambda: d2l.poly_features(torch.zeros(3, 2), 4), ValueError,
        r"x must be \(n,\) or \(n, 1\), got shape \(3, 2\)"),
    bad("poly_features-num_terms", lambda: d2l.poly_features(torch.zeros(3), 0), ValueError,
        r"num_terms must be an integer ≥ 1, got 0"),
    bad("dropout-p-negative", lambda: d2l.dropout_layer(torch.ones(3), -0.1), ValueError,
        r"p must be in \[0, 1\], got -0\.1"),
    bad("dropout-p-str", lambda: d2l.dropout_layer(torch.ones(3), "0.5"), TypeError,
        r"p must be a number in \[0, 1\], got '0\.5' \(str\)"),
    bad("dropout-integer-X", lambda: d2l.dropout_layer(torch.ones(3, dtype=torch.int64), 0.5),
        TypeError, r"X must be a floating-point tensor, got dtype torch\.int64"),
    bad("dropout-generator-int", lambda: d2l.dropout_layer(torch.ones(3), 0.5, generator=5),
        TypeError, r"generator must be a torch\.Generator \(or None\), got 5 \(int\); make one with "
        r"torch\.Generator\(\)\.manual_seed\(seed\)"),
    bad("xavier-fan_in-zero", lambda: d2l.xavier_uniform(0, 3), ValueError,
        r"fan_in must be an integer ≥ 1, got 0"),
    bad("xavier-fan_out-float", lambda: d2l.xavier_uniform(3, 2.5), TypeError,
        r"fan_out must be an integer ≥ 1, got 2\.5 \(float\)"),
    bad("xavier_bound-gain-negative", lambda: d2l.xavier_bound(3, 3, gain=-1.0), ValueError,
        r"gain must be a finite number > 0, got -1\.0"),
    bad("xavier-dtype-integer", lambda: d2l.xavier_uniform(3, 3, dtype=torch.int64), TypeError,
        r"dtype must be a floating dtype such as torch\.float32 \(or None\), got torch\.int64"),
    bad("xavier-generator-int", lambda: d2l.xavier_uniform(3, 3, generator=0), TypeError,
        r"generator must be a torch\.Generator \(or None\), got 0 \(int\)"),
    bad("xavier-device-tpu", lambda: d2l.xavier_uniform(3, 3, device="tpu"), ValueError,
        r"device: 'tpu' is not a device name; use one such as 'cpu', 'cuda', 'cuda:1' or 'mps' "
        r"\(d2l\.device\(\) picks the best one present\)"),
    bad("xavier-device-int", lambda: d2l.xavier_uniform(3, 3, device=0), TypeError,
        r"device must be a device name such as 'cpu' or 'cuda:0' \(or a torch\.device, or None\), "
        r"got 0 \(int\)"),
]

# --- data.kfold (§4.4) ----------------------------------------------------------------------

DATA_KFOLD = [
    bad("k_fold-k-one", lambda: d2l.k_fold_indices(10, 1), ValueError,
        r"k must be at least 2 \(one fold validates, the others train\), got 1"),
    bad("k_fold-k-above-n", lambda: d2l.k_fold_indices(3, 5), ValueError,
        r"k must be at most n = 3 \(each fold needs an example\), got k = 5"),
    bad("k_fold-k-zero", lambda: d2l.k_fold_indices(10, 0), ValueError,
        r"k must be at least 2 \(one fold validates, the others train\), got 0"),
    bad("k_fold-k-float", lambda: d2l.k_fold_indices(10, 2.0), TypeError,
        r"k must be an integer ≥ 2, got 2\.0 \(float\)"),
    bad("k_fold-k-bool", lambda: d2l.k_fold_indices(10, True), TypeError,
        r"k must be an integer ≥ 2, got True \(bool\)"),
    bad("k_fold-n-zero", lambda: d2l.k_fold_indices(0, 2), ValueError, r"n must be an integer ≥ 1, got 0"),
    bad("k_fold-shuffle-str", lambda: d2l.k_fold_indices(10, 2, shuffle="yes"), TypeError,
        r"shuffle must be True or False, got 'yes'"),
    bad("k_fold-generator-int", lambda: d2l.k_fold_indices(10, 2, shuffle=True, generator=5),
        TypeError, r"generator must be a torch\.Generator \(or None\), got 5 \(int\)"),
    # k_fold checks at the call, before the first split is asked for
    bad("k_fold-sizes", lambda: d2l.k_fold(torch.zeros(5, 2), torch.zeros(4), 2), ValueError,
        r"X and y must have the same size along dimension 0, got \(5, 2\) and \(4,\)"),
    bad("k_fold-k-above-n-data", lambda: d2l.k_fold(torch.zeros(5, 2), torch.zeros(5), 6), ValueError,
        r"k must be at most n = 5 \(each fold needs an example\), got k = 6"),
    bad("k_fold-empty", lambda: d2l.k_fold(torch.zeros(0, 2), torch.zeros(0), 2), ValueError,
        r"X is empty: K-fold cross-validation needs at least k examples"),
    bad("k_fold-X-list", lambda: d2l.k_fold([1, 2, 3], torch.zeros(3), 2), TypeError,
        r"X must be a torch\.Tensor, got list"),
    bad("k_fold-shuffle-str-data", lambda: d2l.k_fold(torch.zeros(4, 1), torch.zeros(4), 2, shuffle="no"),
        TypeError, r"shuffle must be True or False, got 'no'"),
    bad("k_fold-X-0d", lambda: d2l.k_fold(torch.tensor(1.0), torch.zeros(3), 2), ValueError,
        r"X must hold one example per row \(dimension 0\), got a 0-d tensor \(a single number\)"),
    bad("k_fold-y-0d", lambda: d2l.k_fold(torch.zeros(3, 2), torch.tensor(1), 2), ValueError,
        r"y must hold one example per row \(dimension 0\), got a 0-d tensor"),
]

# --- ops.conv (§6.2–6.5) --------------------------------------------------------------------

_X4 = torch.zeros(1, 3, 5, 5)
OPS_CONV = [
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
    bad("conv2d-negative-padding", lambda: d2l.conv2d(_X4, torch.zeros(2, 3, 3, 3), padding=-1),
        ValueError, r"padding must be an integer ≥ 0, got -1"),
    bad("conv2d-weight-rank", lambda: d2l.conv2d(_X4, torch.zeros(3, 3)), ValueError,
        r"weight must have 4 dimensions, got shape \(3, 3\)"),
    bad("conv2d-bias-shape", lambda: d2l.conv2d(_X4, torch.zeros(2, 3, 3, 3), torch.zeros(3)),
        ValueError, r"conv2d: bias has shape \(3,\) but weight \(2, 3, 3, 3\) has 2 output channels; "
        r"bias must be \(2,\)"),
    bad("conv2d-weight-dtype", lambda: d2l.conv2d(_X4, torch.zeros(2, 3, 3, 3, dtype=torch.float64)),
        TypeError, r"conv2d: X is torch\.float32 but weight is torch\.float64; use one dtype"),
    bad("conv2d-bias-dtype", lambda: d2l.conv2d(_X4, torch.zeros(2, 3, 3, 3),
        torch.zeros(2, dtype=torch.float64)), TypeError, r"conv2d: X and weight are torch\.float32 "
        r"but bias is torch\.float64; use one dtype, e\.g\. bias\.to\(X\.dtype\)"),
    bad("conv2d-empty-kernel", lambda: d2l.conv2d(_X4, torch.zeros(2, 3, 0, 0)), ValueError,
        r"conv2d: weight is empty \(shape \(2, 3, 0, 0\)\); a kernel needs at least one row, column "
        r"and channel"),
    bad("corr2d-empty-kernel", lambda: d2l.corr2d(torch.ones(3, 3), torch.ones(0, 0)), ValueError,
        r"corr2d: K is empty \(shape \(0, 0\)\)"),
    bad("corr2d_multi_in-empty-kernel", lambda: d2l.corr2d_multi_in(torch.ones(2, 3, 3),
        torch.ones(2, 0, 2)), ValueError, r"corr2d_multi_in: K is empty \(shape \(2, 0, 2\)\)"),
    bad("corr2d-rank", lambda: d2l.corr2d(torch.zeros(1, 2, 2), torch.zeros(1, 1)), ValueError,
        r"X must have 2 dimensions, got shape \(1, 2, 2\)"),
    bad("corr2d_multi_in_out-channels", lambda: d2l.corr2d_multi_in_out(torch.zeros(2, 3, 3),
        torch.zeros(4, 3, 2, 2)), ValueError, r"corr2d_multi_in_out: X has 2 input channels "
        r"\(shape \(2, 3, 3\)\) but K has 3 \(shape \(4, 3, 2, 2\)\)"),
    bad("corr2d_multi_in_out_1x1-kernel", lambda: d2l.corr2d_multi_in_out_1x1(torch.zeros(2, 3, 3),
        torch.zeros(4, 2, 2, 2)), ValueError, r"K must be \(c_o, c_i, 1, 1\), got shape \(4, 2, 2, 2\)"),
    bad("pool2d-stride-zero", lambda: d2l.pool2d(torch.zeros(4, 4), 2, stride=0), ValueError,
        r"stride must be an integer ≥ 1, got 0"),
    bad("pool2d-padding", lambda: d2l.pool2d(torch.zeros(4, 4), 2, padding=2), ValueError,
        r"pool2d: padding \(2, 2\) must be at most half the pool size \(2, 2\)"),
    bad("pool2d-rank", lambda: d2l.pool2d(torch.zeros(4), 2), ValueError,
        r"X must have 2 or 3 or 4 dimensions, got shape \(4,\)"),
    bad("conv_output_shape-triple", lambda: d2l.conv_output_shape((8, 8, 8), 3), ValueError,
        r"input_size must be an int or a pair \(h, w\), got \(8, 8, 8\)"),
    bad("receptive_field-kernel-zero", lambda: d2l.receptive_field([3, 0]), ValueError,
        r"layers\[1\] must be an integer ≥ 1, got 0"),
    bad("Conv2D-stride-zero", lambda: d2l.Conv2D(1, 1, 3, stride=0), ValueError,
        r"stride must be an integer ≥ 1, got 0"),
    bad("Conv2D-bias-str", lambda: d2l.Conv2D(1, 1, 3, bias="no"), TypeError,
        r"bias must be True or False, got 'no'"),
]

# --- ops.norm (§7.5) ------------------------------------------------------------------------


def _bn(X: torch.Tensor, C: int = 3, training: Any = True, **dtypes: torch.dtype) -> Callable[[], Any]:
    """``d2l.batch_norm`` on ``X`` with C channels, some parameters in another dtype."""
    def run() -> Any:
        t = {n: dtypes.get(n, torch.float32) for n in ("gamma", "beta", "mean", "var")}
        return d2l.batch_norm(X, torch.ones(C, dtype=t["gamma"]), torch.zeros(C, dtype=t["beta"]),
                              torch.zeros(C, dtype=t["mean"]), torch.ones(C, dtype=t["var"]),
                              training=training)  # fmt: skip
    return run


OPS_NORM = [
    bad("batch_norm-one-value", _bn(torch.randn(1, 3)), ValueError,
        r"batch_norm in training needs more than one value per feature/channel, got X of shape "
        r"\(1, 3\); use a larger batch"),
    bad("batch_norm-gamma-shape", lambda: d2l.batch_norm(torch.randn(4, 3), torch.ones(2),
        torch.zeros(3), torch.zeros(3), torch.ones(3), training=True), ValueError,
        r"gamma must have shape \(3,\) to match X's 3 features/channels, got \(2,\)"),
    bad("batch_norm-X-rank", _bn(torch.randn(4, 3, 2)), ValueError,
        r"X must have 2 or 4 dimensions, got shape \(4, 3, 2\)"),
    bad("batch_norm-X-integer", _bn(torch.ones(4, 3, dtype=torch.int64)), TypeError,
        r"X must be a floating-point tensor, got dtype torch\.int64"),
    bad("batch_norm-training-str", _bn(torch.randn(4, 3), training="yes"), TypeError,
        r"training must be True or False, got 'yes'"),
    bad("batch_norm-training-int", _bn(torch.randn(4, 3), training=0), TypeError,
        r"training must be True or False, got 0"),
    bad("batch_norm-gamma-dtype", _bn(torch.randn(4, 3), gamma=torch.float64), TypeError,
        r"X is torch\.float32 but gamma is torch\.float64; use one dtype, e\.g\. gamma\.to\(X\.dtype\)"),
    bad("batch_norm-var-dtype", _bn(torch.randn(4, 3), var=torch.float64),
        TypeError, r"X is torch\.float32 but moving_var is torch\.float64"),
    bad("BatchNorm-num_dims", lambda: d2l.BatchNorm(3, num_dims=3), ValueError,
        r"num_dims must be 2 \(after a linear layer\) or 4 \(after a conv\), got 3"),
    bad("BatchNorm-num_dims-bool", lambda: d2l.BatchNorm(3, num_dims=True), ValueError,
        r"num_dims must be 2 .*got True"),
    bad("BatchNorm-input-rank", lambda: d2l.BatchNorm(3, num_dims=4)(torch.randn(4, 3)), ValueError,
        r"BatchNorm\(num_dims=4\) got an input of shape \(4, 3\)"),
    bad("BatchNorm-num_features", lambda: d2l.BatchNorm(0, num_dims=2), ValueError,
        r"num_features must be an integer ≥ 1, got 0"),
]

# --- models (§6.6, chapter 7) ---------------------------------------------------------------

_RES = dict(resolution=28, width=0.125, small_stem=True)


def _resnet_batch_of_one() -> Any:
    return d2l.ResNet18(resolution=28, width=0.0625)(torch.zeros(1, 1, 28, 28))  # 1×1 at b5


MODELS = [
    bad("lenet-pool", lambda: d2l.LeNet(pool="min"), ValueError, r"pool must be one of \['avg', 'max'\], got 'min'"),
    bad("lenet-rgb-input", lambda: d2l.LeNet()(torch.zeros(2, 3, 28, 28)), ValueError,
        r"LeNet takes images of shape \(batch, 1, 28, 28\), got \(2, 3, 28, 28\)"),
    bad("lenet-no-channel-dim", lambda: d2l.LeNet()(torch.zeros(2, 28, 28)), ValueError,
        r"got \(2, 28, 28\); add the channel dimension with X.unsqueeze\(1\)"),
    bad("lenet-activation-unknown", lambda: d2l.LeNet(activation="swish"), ValueError,
        r"activation must be one of \['relu', 'sigmoid', 'tanh'\] or a module class, got 'swish'"),
    bad("lenet-activation-instance", lambda: d2l.LeNet(activation=nn.ReLU()), TypeError,
        r"activation must be a name or a module class such as nn\.ReLU, got the module instance "
        r"ReLU\(\); pass the class"),
    bad("lenet-pool-list", lambda: d2l.LeNet(pool=["avg"]), ValueError,
        r"pool must be one of \['avg', 'max'\], got \['avg'\]"),
    bad("lenet-num_classes", lambda: d2l.LeNet(num_classes=0), ValueError,
        r"num_classes must be an integer ≥ 1, got 0"),
    bad("lenet-32x32", lambda: d2l.LeNet()(torch.zeros(2, 1, 32, 32)), ValueError,
        r"LeNet takes 28×28 images \(its fc1 expects 400 features\), got \(2, 1, 32, 32\); resize "
        r"the images to 28×28"),
    bad("lenet-uint8", lambda: d2l.LeNet()(torch.zeros(2, 1, 28, 28, dtype=torch.uint8)), TypeError,
        r"X must be a floating-point tensor, got dtype torch\.uint8; convert it first: "
        r"X\.float\(\) / 255"),
    bad("alexnet-wrong-size", lambda: d2l.AlexNet(resolution=28, small_stem=True, width=0.125,
        hidden=16)(torch.zeros(2, 1, 64, 64)), ValueError, r"AlexNet\(resolution=28\) takes 28×28 "
        r"images, got \(2, 1, 64, 64\); build it with resolution=64 \(square images\) or resize"),
    bad("alexnet-uint8", lambda: d2l.AlexNet(**_RES, hidden=16)(torch.zeros(2, 1, 28, 28,
        dtype=torch.uint8)), TypeError, r"X must be a floating-point tensor, got dtype torch\.uint8"),
    bad("alexnet-rgb", lambda: d2l.AlexNet(**_RES, hidden=16)(torch.zeros(2, 3, 28, 28)), ValueError,
        r"AlexNet takes images of shape \(batch, 1, height, width\), got \(2, 3, 28, 28\); build "
        r"the model with in_channels=3"),
    bad("alexnet-no-channel-dim", lambda: d2l.AlexNet(**_RES, hidden=16)(torch.zeros(2, 28, 28)),
        ValueError, r"got \(2, 28, 28\); add the channel dimension with X\.unsqueeze\(1\)"),
    bad("alexnet-in_channels-float", lambda: d2l.AlexNet(in_channels=1.5), TypeError,
        r"in_channels must be an integer ≥ 1, got 1\.5 \(float\)"),
    bad("alexnet-resolution-huge", lambda: d2l.AlexNet(resolution=10**6), ValueError,
        r"resolution must be at most 1024 \(the book's largest input is 224\), got 1000000"),
    bad("alexnet-resolution-small", lambda: d2l.AlexNet(resolution=28), ValueError,
        r"resolution=28 is too small for AlexNet: .*use a larger resolution or small_stem=True"),
    bad("alexnet-small_stem-str", lambda: d2l.AlexNet(small_stem="yes"), TypeError,
        r"small_stem must be True or False, got 'yes'"),
    bad("alexnet-width-zero", lambda: d2l.AlexNet(width=0), ValueError,
        r"width must be a finite number > 0, got 0"),
    bad("alexnet-dropout-one", lambda: d2l.AlexNet(dropout=1.0), ValueError,
        r"dropout must be in \[0, 1\), got 1\.0"),
    bad("vgg-arch-empty", lambda: d2l.VGG(()), ValueError,
        r"arch must list at least one \(num_convs, out_channels\) block, got none"),
    bad("vgg-arch-block", lambda: d2l.VGG(arch=[(1,)]), ValueError,
        r"arch\[0\] must be a pair \(num_convs, out_channels\) such as \(2, 128\), got \(1,\)"),
    bad("vgg-arch-int", lambda: d2l.VGG(arch=11), TypeError,
        r"arch must be a list of \(num_convs, out_channels\) blocks such as VGG_CONFIGS\['vgg11'\], "
        r"got 11 \(int\)"),
    bad("vgg-arch-channels", lambda: d2l.VGG(arch=[(1, 0)]), ValueError,
        r"arch\[0\] out_channels must be an integer ≥ 1, got 0"),
    bad("vgg-resolution-small", lambda: d2l.vgg11(resolution=28), ValueError,
        r"resolution=28 is too small for VGG"),
    bad("vgg-wrong-size", lambda: d2l.VGG(((1, 8),), resolution=16, hidden=8)(torch.zeros(2, 1, 28, 28)),
        ValueError, r"VGG\(resolution=16\) takes 16×16 images, got \(2, 1, 28, 28\)"),
    bad("vgg_block-batch_norm-str", lambda: d2l.vgg_block(1, 1, 8, batch_norm="no"), TypeError,
        r"batch_norm must be True or False, got 'no'"),
    bad("nin-resolution-small", lambda: d2l.NiN(resolution=28), ValueError,
        r"resolution=28 is too small for NiN"),
    bad("nin-images-too-small", lambda: d2l.NiN(width=0.125)(torch.zeros(2, 1, 8, 8)), ValueError,
        r"NiN cannot take images of 8×8: its strides and pools shrink them below 1×1 \(it was built "
        r"for resolution=224\); use larger images or build it with small_stem=True"),
    bad("nin_block-out_channels", lambda: d2l.nin_block(1, 0, 3, 1, 1), ValueError,
        r"out_channels must be an integer ≥ 1, got 0"),
    bad("inception-c2-int", lambda: d2l.Inception(4, 1, 5, (1, 1), 1), TypeError,
        r"c2 must be a pair \(reduce_channels, out_channels\) such as \(96, 128\): a 1×1 conv then "
        r"a 3×3 conv, got 5"),
    bad("googlenet-rgb", lambda: d2l.GoogLeNet(**_RES)(torch.zeros(2, 3, 28, 28)), ValueError,
        r"GoogLeNet takes images of shape \(batch, 1, height, width\), got \(2, 3, 28, 28\)"),
    bad("resnet-num_residuals-int", lambda: d2l.ResNet(5), TypeError,
        r"num_residuals must give the number of residual blocks of each of the 4 stages, e\.g\. "
        r"\(2, 2, 2, 2\) for ResNet-18, got 5 \(int\)"),
    bad("resnet-num_residuals-three", lambda: d2l.ResNet((2, 2, 2)), ValueError,
        r"num_residuals must give 4 stages, got \(2, 2, 2\)"),
    bad("resnet-batch-of-one", _resnet_batch_of_one, ValueError,
        r"ResNet18 in training mode cannot batch-normalise a batch of 1 image\(s\) of 28×28: .*Use "
        r"a batch of at least 2, or call model\.eval\(\) to predict"),
    bad("resnet-uint8", lambda: d2l.ResNet18(**_RES)(torch.zeros(2, 1, 28, 28, dtype=torch.uint8)),
        TypeError, r"X must be a floating-point tensor, got dtype torch\.uint8"),
    bad("residual-channels", lambda: d2l.Residual(3, 6), ValueError,
        r"use_1x1conv=False needs in_channels == num_channels and strides == 1 .*pass use_1x1conv=True"),
    bad("residual-strides", lambda: d2l.Residual(3, 3, strides=2), ValueError,
        r"use_1x1conv=False needs .*strides=2; pass use_1x1conv=True"),
    bad("residual-use_1x1conv-str", lambda: d2l.Residual(3, 6, use_1x1conv="yes"), TypeError,
        r"use_1x1conv must be True or False, got 'yes'"),
    bad("nin-images-too-small-minimum", lambda: d2l.NiN(**_RES)(torch.zeros(2, 1, 2, 9)), ValueError,
        r"NiN cannot take images of 2×9: .*; use larger images; the smallest it takes is 15×15"),
    bad("vgg-resolution-too-deep", lambda: d2l.VGG([(1, 4)] * 11, resolution=1024, hidden=4), ValueError,
        r"resolution=1024 is too small for VGG: .*\(it needs more than 1024\)"),
    bad("classifier_head-dropout", lambda: d2l.classifier_head(16, 8, 10, dropout=1.0), ValueError,
        r"dropout must be in \[0, 1\), got 1\.0"),
    bad("classifier_head-in_features", lambda: d2l.classifier_head(0, 8, 10, 0.5), ValueError,
        r"in_features must be an integer ≥ 1, got 0"),
    bad("spatial_size-unknown-container", lambda: d2l.spatial_size(nn.ModuleDict({"a": nn.ReLU()}), (8, 8)),
        TypeError, r"spatial_size cannot walk a ModuleDict: give it a spatial_size\(size, visit\) method"),
    bad("min_resolution-limit", lambda: d2l.min_resolution(nn.Conv2d(1, 1, 3), limit=0), ValueError,
        r"limit must be an integer ≥ 1, got 0"),
    bad("layer_summary-int-shape", lambda: d2l.layer_summary(d2l.LeNet(), 28), TypeError,
        r"input_shape must be a shape with the batch dimension, e\.g\. \(1, 1, 28, 28\), got 28 \(int\)"),
    bad("layer_summary-huge", lambda: d2l.layer_summary(d2l.LeNet(), (1, 1, 10**5, 10**5)), ValueError,
        r"input_shape \(1, 1, 100000, 100000\) has 10,000,000,000 elements; at most"),
    bad("layer_summary-function", lambda: d2l.layer_summary(lambda X: X, (1, 2)), TypeError,
        r"model must be an nn\.Module, got <function"),
    bad("count_parameters-str", lambda: d2l.count_parameters("abc"), TypeError,
        r"model must be an nn\.Module, got 'abc' \(str\)"),
    bad("count_parameters-trainable_only-str", lambda: d2l.count_parameters(_linear(), "no"), TypeError,
        r"trainable_only must be True or False, got 'no'"),
    bad("count_flops-backward-str", lambda: d2l.count_flops(_linear(), (1, 2), backward="no"),
        TypeError, r"backward must be True or False, got 'no'"),
    bad("fast_pooling-function", lambda: d2l.fast_pooling(lambda X: X), TypeError,
        r"net must be an nn\.Module, got function"),
    bad("built_from_torch_nn-str", lambda: d2l.built_from_torch_nn("lenet"), TypeError,
        r"model must be an nn\.Module, got 'lenet' \(str\)"),
]

# --- plot.plot, plot.show_images, plot.show_predictions -------------------------------------


def _predictions(**override: Any) -> Callable[[], Any]:
    """``d2l.show_predictions`` on two 4×4 images, with some arguments replaced."""
    def run() -> Any:
        kwargs: dict[str, Any] = dict(images=torch.rand(2, 4, 4), labels=torch.tensor([0, 1]),
                                      preds=torch.tensor([1, 1]), names=("a", "b", "c"), n=2)
        kwargs.update(override)
        return d2l.show_predictions(**kwargs)
    return run


PLOT = [
    bad("plot-legend-str", lambda: d2l.plot([1, 2], [3, 4], legend="loss"), TypeError,
        r"legend must be a list of strings, one per series, got the string 'loss'; wrap it: \['loss'\]"),
    bad("plot-fmts-str", lambda: d2l.plot([1, 2], [3, 4], fmts="r-"), TypeError,
        r"fmts must be a list of strings, one per series, got the string 'r-'"),
    bad("show_images-rows-str", lambda: d2l.show_images([torch.ones(2, 2)], "1", 1), TypeError,
        r"num_rows must be an integer ≥ 1, got '1' \(str\)"),
    bad("show_images-titles-str", lambda: d2l.show_images([torch.ones(2, 2)], 1, 1, titles="abc"),
        TypeError, r"titles must be a list of strings, one per image, got the string 'abc'"),
    bad("show_predictions-labels-2d", _predictions(labels=torch.tensor([[0], [1]])), ValueError,
        r"labels must be one class per image \(n,\), got shape \(2, 1\)"),
    bad("show_predictions-preds-3d", _predictions(preds=torch.zeros(2, 3, 1)), ValueError,
        r"preds must be classes \(n,\) or scores \(n, q\), got shape \(2, 3, 1\)"),
    bad("show_predictions-labels-float", _predictions(labels=torch.tensor([0.0, 1.0])), TypeError,
        r"labels must hold integer classes, got dtype torch\.float32"),
    bad("show_predictions-lengths", _predictions(preds=torch.tensor([0, 1, 2])), ValueError,
        r"images, labels and preds must have the same length, got 2, 2 and 3"),
    bad("show_predictions-n", _predictions(n=3), ValueError,
        r"n must be an integer in \[1, 2\] \(the number of images\), got 3"),
    bad("show_predictions-num_rows", _predictions(n=2, num_rows=3), ValueError,
        r"num_rows must be ≥ 1 and divide n=2, got 3"),
    bad("show_predictions-num_rows-str", _predictions(num_rows="1"), ValueError,
        r"num_rows must be ≥ 1 and divide n=2, got '1'"),
    bad("show_predictions-images-list", _predictions(images=[[0.0]]), TypeError,
        r"images must be a torch\.Tensor, got list"),
    bad("plot_history-dict", lambda: d2l.plot_history({"train_loss": [1.0]}), TypeError,
        r"history must be the History that fit returns, got dict"),
]

# --- distributed ----------------------------------------------------------------------------

_ARRAYS = d2l.ArrayLoader(F32, Y6.long(), 3)

DISTRIBUTED = [
    bad("fit-torchrun-incomplete", _env("RANK", "0", _fit()), ValueError,
        r"torchrun's variables are incomplete: RANK set but WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, "
        r"MASTER_PORT missing; launch with `torchrun --nproc-per-node=N script\.py`"),
    bad("launch_env-rank-too-large",
        lambda: d2l.distributed.launch_env({"RANK": "4", "WORLD_SIZE": "4", "LOCAL_RANK": "0",
                                            "MASTER_ADDR": "h", "MASTER_PORT": "1"}),
        ValueError, r"RANK must be in \[0, WORLD_SIZE=4\), got 4"),
    bad("context-backend-unknown", lambda: d2l.distributed._backend_for(torch.device("cpu"), "mpi"),
        ValueError, r"backend must be 'gloo' \(CPUs\) or 'nccl' \(CUDA GPUs\), got 'mpi'"),
    bad("ShardedLoader-world-larger-than-batch", lambda: d2l.distributed.ShardedLoader(_ARRAYS, 0, 4),
        ValueError, r"world size \(4 processes\) is larger than the minibatch \(3 examples\)"),
    bad("ShardedLoader-not-ArrayLoader", lambda: d2l.distributed.ShardedLoader([], 0, 2),  # type: ignore[arg-type]
        TypeError, r"splits a d2l\.ArrayLoader .* got list; pass an ArrayLoader"),
    bad("ShardedLoader-split", lambda: d2l.distributed.ShardedLoader(_ARRAYS, 0, 2, split="rows"),
        ValueError, r"split must be 'batch' or 'data', got 'rows'"),
    bad("shard_indices-rank-too-large", lambda: d2l.distributed.shard_indices(torch.arange(6), 3, 2),
        ValueError, r"rank must be an int in \[0, world_size=2\) \(ranks count from 0\), got 3"),
    bad("shard_indices-world-zero", lambda: d2l.distributed.shard_indices(torch.arange(6), 0, 0),
        ValueError, r"world_size must be the number of processes, an int ≥ 1, got 0"),
    bad("is_main_process-stray-RANK", _env("RANK", "1", d2l.distributed.is_main_process), ValueError,
        r"torchrun's variables are incomplete: RANK set but"),
]

# --- torch: the book-compatible module (from d2lcore import torch as d2l) ----------------------
def _compat() -> Any:
    from d2lcore import torch as compat

    return compat


def _with_cpu_autocast(value: object) -> Callable[[], Any]:
    """``train_ch6`` with ``d2l.cpu_autocast`` set to ``value`` (restored afterwards)."""
    def run() -> Any:
        compat = _compat()
        old = compat.cpu_autocast
        compat.cpu_autocast = value
        try:
            return compat.train_ch6(_linear(), [(F32, Y6.long())], [], 1, 0.1, "cpu")
        finally:
            compat.cpu_autocast = old
    return run


_IMAGES8 = d2l.load_array((torch.rand(8, 1, 28, 28), torch.zeros(8, dtype=torch.long)), 8, is_train=False)
_FLAT = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))

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
    bad("torch-accuracy-one-column", lambda: _compat().accuracy(torch.ones(4, 1), torch.zeros(4, dtype=torch.long)),
        ValueError, r"y_hat has shape \(4, 1\): one column of scores makes every prediction class 0"),
    bad("torch-Animator-legend-int", lambda: _compat().Animator(legend=5), TypeError,
        r"legend must be a list of curve names such as \['train loss', 'test acc'\] \(or one name, "
        r"or None\), got 5"),
    bad("torch-Animator-fmts-str", lambda: _compat().Animator(fmts="m--"), TypeError,
        r"fmts must be a non-empty list of line formats such as \['-', 'm--'\], got 'm--'"),
    bad("torch-Animator-add-lengths", lambda: _compat().Animator().add([1, 2], [0.1, 0.2, 0.3]), ValueError,
        r"Animator\.add: x has 2 values but y has 3; pass one x for all curves or one per curve"),
    bad("torch-cpu_autocast-str", _with_cpu_autocast("bf16"), TypeError,
        r"d2l\.cpu_autocast must be None \(float32, as the book\) or a floating-point "
        r"torch\.dtype \(the dtype object, not its name\), got 'bf16'"),
    bad("torch-cpu_autocast-int-dtype", _with_cpu_autocast(torch.int8), TypeError,
        r"d2l\.cpu_autocast must be None .*got torch\.int8"),
    bad("torch-evaluate_accuracy-shape", lambda: _compat().evaluate_accuracy(nn.Linear(4, 3),
        d2l.load_array((F32, Y6.long()), 3)), ValueError,
        r"evaluate_accuracy: net cannot take a batch X of shape \(3, 2\): .*The model's first layer "
        r"must fit the data"),
    bad("torch-evaluate_accuracy-function-shape", lambda: _compat().evaluate_accuracy(
        lambda X: X @ torch.ones(4, 3), d2l.load_array((F32, Y6.long()), 3)), ValueError,
        r"evaluate_accuracy: net cannot take a batch X of shape \(3, 2\)"),
    bad("torch-evaluate_accuracy_gpu-shape", lambda: _compat().evaluate_accuracy_gpu(nn.Linear(4, 3),
        d2l.load_array((F32, Y6.long()), 3)), ValueError,
        r"evaluate_accuracy_gpu: net cannot take a batch X of shape \(3, 2\)"),
    bad("torch-predict_ch3-n-zero", lambda: _compat().predict_ch3(_FLAT, _IMAGES8, n=0), ValueError,
        r"n must be the number of images to show, an int ≥ 1, got 0"),
    bad("torch-predict_ch3-n-negative", lambda: _compat().predict_ch3(_FLAT, _IMAGES8, n=-1), ValueError,
        r"n must be the number of images to show, an int ≥ 1, got -1"),
    bad("torch-predict_ch3-n-above-batch", lambda: _compat().predict_ch3(_FLAT, _IMAGES8, n=300),
        ValueError, r"n=300 is more than test_iter's first batch holds \(8 images\); pass n ≤ 8, or "
        r"load the data with a larger batch_size"),
    bad("torch-predict_ch3-rgb", lambda: _compat().predict_ch3(_FLAT, d2l.load_array((torch.rand(
        2, 3, 4, 4), torch.zeros(2, dtype=torch.long)), 2), n=2), ValueError,
        r"predict_ch3 shows one-channel images: the batch must be \(n, 1, H, W\), \(n, H, W\) or "
        r"\(n, 784\), got \(2, 3, 4, 4\)"),
    bad("torch-predict_ch3-net-shape", lambda: _compat().predict_ch3(nn.Linear(3, 10), _IMAGES8, n=2),
        ValueError, r"predict_ch3: net cannot take a batch X of shape \(8, 1, 28, 28\)"),
    bad("torch-Accumulator-index", lambda: _compat().Accumulator(2)[5], IndexError,
        r"Accumulator has 2 sums \(indices 0 to 1\), got index 5; create it with Accumulator\(n\)"),
    bad("torch-reshape-list", lambda: _compat().reshape([1, 2, 3, 4], (2, 2)), TypeError,
        r"d2l\.reshape: x must be a torch\.Tensor, got list; make one with d2l\.tensor\(x\)"),
    bad("torch-size-str", lambda: _compat().size("abc"), TypeError,
        r"d2l\.size: x must be a torch\.Tensor, got str"),
    bad("torch-astype-list", lambda: _compat().astype([1, 2], torch.float32), TypeError,
        r"d2l\.astype: x must be a torch\.Tensor, got list"),
    bad("torch-astype-unknown-name", lambda: _compat().astype(torch.ones(2), "float33"), TypeError,
        r"d2l\.astype: 'float33' is not a dtype; pass one such as torch\.float32 \(d2l\.float32\) "
        r"or its name, 'float32'"),
]

CASES = [*CONFIG, *OPS_LINEAR, *DATA, *TRAIN, *REPORTING, *OPS_CLASSIFY,
         *OPS_MLP, *DATA_KFOLD, *OPS_CONV, *OPS_NORM, *MODELS, *PLOT, *DISTRIBUTED,
         *TORCH_COMPAT]


@pytest.mark.parametrize(("call", "error", "message"), CASES)
def test_bad_input(call: Callable[[], Any], error: type[Exception], message: str, tmp_path: Any,
                   monkeypatch: pytest.MonkeyPatch, data_root: Any) -> None:
    monkeypatch.setenv("D2LCORE_DATA", str(data_root))
    monkeypatch.chdir(tmp_path)  # a row that wrongly wrote a file would write it here
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error, f"raised {type(info.value).__name__}, not {error.__name__}"
    assert re.search(message, str(info.value)), f"message: {info.value}"


def test_the_table_is_large_and_its_ids_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)
