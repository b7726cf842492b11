"""d2lcore.train: fit reduces the loss on data with a known answer, the history it returns,
evaluation on hand-made cases, the from-scratch updater against the optimizer. Divergence,
repeatability, checkpoints and Ctrl-C are in test_train_checkpoint.py."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from torch import nn

import d2lcore as d2l

TRUE_W, TRUE_B = torch.tensor([2.0, -3.4]), 4.2


def _regression(n: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    d2l.seed(0)
    return d2l.synthetic_data(TRUE_W, TRUE_B, n)


def test_fit_from_scratch_recovers_w_and_b() -> None:
    """§3.2: linreg + squared_loss + sgd, 3 epochs at lr 0.03, batch 10."""
    features, labels = _regression()
    w = torch.normal(0, 0.01, (2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    history = d2l.fit(
        lambda X: d2l.linreg(X, w, b), d2l.load_array((features, labels), 10),
        d2l.squared_loss, 3, lambda n: d2l.sgd([w, b], 0.03, n),
    )  # fmt: skip
    losses = history.column("train_loss")
    assert len(history) == 3 and losses[0] > losses[1] > losses[2]
    assert losses[-1] < 1e-3  # ½ noise² = 5e-5 is the floor
    assert torch.allclose(w.detach().reshape(-1), TRUE_W, atol=0.01)
    assert abs(b.item() - TRUE_B) < 0.01
    assert history.final.train_acc is None and history.final.test_acc is None


def test_fit_concise_with_test_loss() -> None:
    """§3.3: nn.Linear + MSELoss + optim.SGD; a regression test set reports its loss."""
    features, labels = _regression()
    net = nn.Linear(2, 1)
    nn.init.zeros_(net.weight)
    nn.init.zeros_(net.bias)
    before = d2l.evaluate_loss(net, d2l.load_array((features, labels), 100, False), nn.MSELoss())
    history = d2l.fit(
        net, d2l.load_array((features, labels), 10), nn.MSELoss(), 3,
        torch.optim.SGD(net.parameters(), lr=0.03),
        test_iter=d2l.load_array((features, labels), 100, is_train=False),
    )  # fmt: skip
    assert history.final.test_loss is not None and history.final.test_loss < 1e-3 < before
    assert torch.allclose(net.weight.detach().reshape(-1), TRUE_W, atol=0.01)
    assert "test loss" in history.summary()


def test_scratch_updater_equals_optimizer_path() -> None:
    """Summed loss + sgd(params, lr, n) and mean loss + optim.SGD take the same steps."""
    features, labels = _regression(200)
    net_a, net_b = nn.Linear(2, 1).double(), nn.Linear(2, 1).double()
    net_b.load_state_dict(net_a.state_dict())
    X, y = features.double(), labels.double()
    d2l.seed(5)
    h_a = d2l.fit(net_a, d2l.load_array((X, y), 16), d2l.squared_loss, 2,
                  lambda n: d2l.sgd(net_a.parameters(), 0.05, n))
    d2l.seed(5)
    h_b = d2l.fit(net_b, d2l.load_array((X, y), 16), d2l.squared_loss, 2,
                  torch.optim.SGD(net_b.parameters(), lr=0.05))
    for p, q in zip(net_a.parameters(), net_b.parameters()):
        assert torch.allclose(p, q, rtol=1e-12, atol=1e-12)
    assert h_a.column("train_loss") == pytest.approx(h_b.column("train_loss"), rel=1e-12)


def _blobs(n: int = 600) -> tuple[torch.Tensor, torch.Tensor]:
    """Three well-separated Gaussian classes in 2-d."""
    d2l.seed(0)
    y = torch.arange(n) % 3
    centres = torch.tensor([[0.0, 4.0], [-4.0, -2.0], [4.0, -2.0]])
    return centres[y] + torch.randn(n, 2), y


def test_fit_classification_history_fields() -> None:
    X, y = _blobs()
    net = nn.Linear(2, 3)
    history = d2l.fit(
        net, d2l.load_array((X, y), 32), nn.CrossEntropyLoss(reduction="none"), 3,
        torch.optim.SGD(net.parameters(), lr=0.1), test_iter=d2l.load_array((X, y), 100, False),
    )  # fmt: skip
    assert [e.epoch for e in history.epochs] == [1, 2, 3]
    first, last = history.epochs[0], history.final
    assert last.train_loss < first.train_loss
    assert last.train_acc is not None and last.train_acc > 0.95
    assert last.test_acc is not None and last.test_acc > 0.95 and last.test_loss is None
    assert all(e.examples_per_sec > 0 and e.seconds > 0 for e in history.epochs)
    assert history.seconds == pytest.approx(sum(e.seconds for e in history.epochs))
    assert not history.interrupted
    text = history.summary()
    assert text.startswith(f"loss {last.train_loss:.3f}, train acc {last.train_acc:.3f}, test acc")
    assert "examples/sec" in text and "in 3 epochs" in text
    assert d2l.History.from_dict(history.to_dict()) == history
    assert history.column("test_acc") == [e.test_acc for e in history.epochs]


def test_fit_zero_epochs_returns_an_empty_history() -> None:
    X, y = _blobs(30)
    net = nn.Linear(2, 3)
    before = net.weight.detach().clone()
    history = d2l.fit(net, d2l.load_array((X, y), 10), nn.CrossEntropyLoss(), 0,
                      torch.optim.SGD(net.parameters(), lr=0.1))
    assert len(history) == 0 and torch.equal(net.weight, before)
    with pytest.raises(ValueError, match="the history is empty"):
        _ = history.final


def test_fit_steps_the_scheduler_per_batch() -> None:
    X, y = _blobs(100)
    net = nn.Linear(2, 3)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    d2l.fit(net, d2l.load_array((X, y), 25), nn.CrossEntropyLoss(), 2, opt, parts=[sched])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**8)  # 2 epochs × 4 batches


class _Fixed(nn.Module):
    """Returns preset scores; counts calls and records whether it ran in training mode."""

    def __init__(self, scores: torch.Tensor) -> None:
        super().__init__()
        self.scores = scores
        self.dummy = nn.Parameter(torch.zeros(1))
        self.modes: list[bool] = []

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self.modes.append(self.training)
        assert torch.is_inference_mode_enabled()
        return self.scores[X.long().reshape(-1)]


def test_evaluate_accuracy_by_hand() -> None:
    scores = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.0, 1.0]])
    labels = torch.tensor([1, 0, 0, 0, 0])  # right, right, wrong, right, wrong → 3/5
    net = _Fixed(scores)
    net.train()
    loader = d2l.load_array((torch.arange(5.0).reshape(5, 1), labels), 2, is_train=False)
    assert d2l.evaluate_accuracy(net, loader) == pytest.approx(0.6)
    assert net.modes == [False, False, False]  # evaluated in eval mode, 3 batches
    assert net.training  # and restored


def test_evaluate_loss_by_hand() -> None:
    X = torch.tensor([[1.0], [2.0], [3.0]])
    y = torch.tensor([[1.0], [1.0], [1.0]])
    loader = d2l.load_array((X, y), 2, is_train=False)
    # squared_loss per example: 0, ½, 2 → mean 5/6, whatever the batch sizes (2 then 1)
    assert d2l.evaluate_loss(lambda X: X, loader, d2l.squared_loss) == pytest.approx(5 / 6)
    # a loss that returns the batch mean is weighted by the batch size
    assert d2l.evaluate_loss(lambda X: X, loader, nn.MSELoss()) == pytest.approx(5 / 3)


def test_evaluate_accuracy_needs_a_classifier() -> None:
    loader = d2l.load_array((torch.ones(4, 1), torch.ones(4, 1)), 2)
    with pytest.raises(ValueError, match="evaluate_accuracy needs a classifier"):
        d2l.evaluate_accuracy(lambda X: X, loader)


def test_callbacks_are_called_in_order() -> None:
    X, y = _blobs(40)
    events: list[tuple] = []

    class Recorder:
        def on_train_begin(self, num_epochs: int, num_batches: int, history: d2l.History) -> None:
            events.append(("begin", num_epochs, num_batches, len(history)))

        def on_batch_end(self, epoch: int, batch: int) -> None:
            events.append(("batch", epoch, batch))

        def on_epoch_end(self, stats: d2l.EpochStats) -> None:
            events.append(("epoch", stats.epoch))

        def on_train_end(self, history: d2l.History) -> None:
            events.append(("end", len(history)))

    class OnlyEnd:  # every method is optional
        def on_train_end(self, history: d2l.History) -> None:
            events.append(("only-end", len(history)))

    net = nn.Linear(2, 3)
    d2l.fit(net, d2l.load_array((X, y), 20), nn.CrossEntropyLoss(), 2,
            torch.optim.SGD(net.parameters(), lr=0.1), parts=[Recorder(), OnlyEnd()])
    assert events == [
        ("begin", 2, 2, 0), ("batch", 1, 1), ("batch", 1, 2), ("epoch", 1),
        ("batch", 2, 1), ("batch", 2, 2), ("epoch", 2), ("end", 2), ("only-end", 2),
    ]  # fmt: skip


class _Moves(nn.Linear):
    """A linear layer that records where it is moved to (a CPU-only machine cannot see a
    move from the CPU to the CPU otherwise)."""

    def __init__(self) -> None:
        super().__init__(2, 3)
        self.moves: list[tuple] = []

    def to(self, *args: Any, **kwargs: Any) -> nn.Module:  # type: ignore[override]
        self.moves.append((args, kwargs))
        return super().to(*args, **kwargs)


def test_fit_moves_the_model_to_the_device() -> None:
    X, y = _blobs(20)
    net = _Moves()
    d2l.fit(net, d2l.load_array((X, y), 10), nn.CrossEntropyLoss(), 1,
            torch.optim.SGD(net.parameters(), lr=0.1), device="cpu")
    assert net.moves == [((torch.device("cpu"),), {})]
    net.moves.clear()
    d2l.fit(net, d2l.load_array((X, y), 10), nn.CrossEntropyLoss(), 1,
            torch.optim.SGD(net.parameters(), lr=0.1),
            parts=[d2l.Precision("float32", channels_last=True)])
    assert net.moves == [((torch.device("cpu"),), {}), ((), {"memory_format": torch.channels_last})]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fit_moves_the_model_to_cuda() -> None:
    X, y = _blobs(20)
    net = nn.Linear(2, 3)
    history = d2l.fit(net, d2l.load_array((X, y), 10), nn.CrossEntropyLoss(), 1,
                      torch.optim.SGD(net.parameters(), lr=0.1), device="cuda",
                      test_iter=d2l.load_array((X, y), 10, False))
    assert net.weight.device.type == "cuda" and history.final.test_acc is not None


def test_fit_test_loss_for_a_classifier_on_request() -> None:
    X, y = _blobs(60)
    net = nn.Linear(2, 3)
    loss = nn.CrossEntropyLoss(reduction="none")
    test_iter = d2l.load_array((X, y), 30, False)
    history = d2l.fit(net, d2l.load_array((X, y), 20), loss, 1,
                      torch.optim.SGD(net.parameters(), lr=0.1), test_iter=test_iter,
                      parts=[d2l.TestLoss()])
    e = history.final
    assert e.test_acc is not None and e.test_loss is not None
    assert e.test_loss == pytest.approx(d2l.evaluate_loss(net, test_iter, loss), rel=1e-6)
    assert e.test_acc == pytest.approx(d2l.evaluate_accuracy(net, test_iter))


def _tiny_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(4, 2))


def _stripes(n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Horizontal (class 0) or vertical (class 1) stripes on 8×8 images."""
    d2l.seed(0)
    y = torch.arange(n) % 2
    X = torch.zeros(n, 2, 8, 8)
    X[y == 0, :, ::2, :] = 1.0
    X[y == 1, :, :, ::2] = 1.0
    return X + 0.1 * torch.randn_like(X), y


@pytest.mark.parametrize(
    ("channels_last", "autocast"), [(False, None), (True, None), (False, torch.bfloat16)]
)
def test_fit_speed_options_train_the_same_model(channels_last: bool, autocast: torch.dtype | None) -> None:
    """The same seed and data with and without the speed options give the same model: equal
    up to float32 rounding in the channels-last layout, up to bfloat16's rounding (8 bits of
    mantissa) under autocast."""

    def train(channels_last: bool, autocast: torch.dtype | None) -> tuple[d2l.History, nn.Module]:
        X, y = _stripes()
        d2l.seed(1)
        net = _tiny_cnn()
        history = d2l.fit(net, d2l.load_array((X, y), 16), nn.CrossEntropyLoss(), 4,
                          torch.optim.Adam(net.parameters(), lr=0.05),
                          test_iter=d2l.load_array((X, y), 64, False),
                          parts=[d2l.FastSettings(autocast, channels_last)])
        return history, net

    reference, ref_net = train(False, None)
    history, net = train(channels_last, autocast)
    rel, atol = (1e-2, 2e-2) if autocast is not None else (1e-5, 1e-5)
    assert history.column("train_loss") == pytest.approx(reference.column("train_loss"), rel=rel)
    assert history.column("test_acc") == reference.column("test_acc")
    for p, q in zip(net.parameters(), ref_net.parameters()):
        assert torch.allclose(p, q, rtol=0, atol=atol)
    losses = history.column("train_loss")
    assert losses[-1] < losses[0] / 2  # and the model did learn
    assert all(p.dtype == torch.float32 for p in net.parameters())  # autocast keeps fp32 weights
    conv = net[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last) == channels_last
    assert conv.is_contiguous() != channels_last  # (4, 2, 3, 3): the two layouts differ


def test_summary_never_rounds_a_small_loss_to_zero() -> None:
    stats = d2l.EpochStats(1, 4.9e-05, None, 5.2e-05, None, 1000.0, 0.5)
    text = d2l.History([stats]).summary()
    assert text.startswith("loss 4.9e-05, test loss 5.2e-05,")
    big = d2l.History([d2l.EpochStats(1, 0.4471, 0.8, None, 0.83, 1000.0, 0.5)]).summary()
    assert big.startswith("loss 0.447, train acc 0.800, test acc 0.830")


# --- errors during a run carry the history; batches and callbacks are checked ----------------


class _FailAt:
    """A callback whose ``method`` raises ``error`` in epoch ``epoch``."""

    def __init__(self, method: str, epoch: int, error: Exception) -> None:
        self.method, self.epoch, self.error = method, epoch, error

    def on_batch_end(self, epoch: int, batch: int) -> None:
        if self.method == "on_batch_end" and epoch == self.epoch:
            raise self.error

    def on_epoch_end(self, stats: d2l.EpochStats) -> None:
        if self.method == "on_epoch_end" and stats.epoch == self.epoch:
            raise self.error

    def on_train_end(self, history: d2l.History) -> None:
        if self.method == "on_train_end":
            raise self.error


def _fit_blobs(num_epochs: int = 3, **kwargs: Any) -> d2l.History:
    X, y = _blobs(60)
    net = nn.Linear(2, 3)
    return d2l.fit(net, d2l.load_array((X, y), 20), nn.CrossEntropyLoss(), num_epochs,
                   torch.optim.SGD(net.parameters(), lr=0.1), **kwargs)


@pytest.mark.parametrize(("method", "epoch", "finished"),
                         [("on_batch_end", 3, 2), ("on_epoch_end", 2, 2), ("on_train_end", 0, 3)])
def test_an_error_after_an_epoch_carries_the_history(method: str, epoch: int, finished: int) -> None:
    error = RuntimeError("the plot window was closed")
    with pytest.raises(d2l.TrainingError) as info:
        _fit_blobs(3, parts=[_FailAt(method, epoch, error)])
    err = info.value
    assert err.__cause__ is error
    assert len(err.history) == finished and [e.epoch for e in err.history.epochs] == list(
        range(1, finished + 1))
    assert err.epoch == max(epoch, finished)
    assert str(err) == (
        f"training stopped in epoch {err.epoch} by RuntimeError: the plot window was closed "
        f"(the {finished} finished epoch(s) are in this error's .history)"
    )


def test_an_error_before_any_epoch_finished_is_raised_as_it_is() -> None:
    error = ValueError("bad labels")
    with pytest.raises(ValueError) as info:
        _fit_blobs(3, parts=[_FailAt("on_batch_end", 1, error)])
    assert info.value is error and not isinstance(info.value, d2l.TrainingError)


def test_diverged_error_is_a_training_error() -> None:
    assert issubclass(d2l.DivergedError, d2l.TrainingError)
    assert issubclass(d2l.DivergedError, FloatingPointError)  # what it was before
    assert issubclass(d2l.TrainingError, RuntimeError)


class _EmptyFrom:
    """A re-iterable loader without ``len`` that yields nothing from pass ``empty_from`` on."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, empty_from: int) -> None:
        self.X, self.y, self.empty_from, self.passes = X, y, empty_from, 0

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        self.passes += 1
        if self.passes < self.empty_from:
            yield self.X, self.y


def test_an_empty_test_iter_is_named_and_the_trained_epoch_kept() -> None:
    X, y = _blobs(30)
    for empty_from in (1, 2):
        with pytest.raises(d2l.TrainingError, match=rf"^test_iter yielded no examples after epoch "
                           rf"{empty_from}, so nothing could be evaluated; the epoch's training "
                           r"numbers are in this error's \.history") as info:
            _fit_blobs(2, test_iter=_EmptyFrom(X, y, empty_from=empty_from))
        history = info.value.history
        assert info.value.epoch == empty_from and len(history) == empty_from
        assert history.final.train_acc is not None and history.final.test_acc is None
        assert isinstance(info.value.__cause__, ValueError)
    with pytest.raises(ValueError, match=r"^train_iter yielded no examples$"):
        net = nn.Linear(2, 3)
        d2l.fit(net, _EmptyFrom(X, y, empty_from=1), nn.CrossEntropyLoss(), 1,
                torch.optim.SGD(net.parameters(), lr=0.1))


class _BadFrom:
    """A loader whose first batch of pass ``bad_from`` on is a single tensor."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, bad_from: int) -> None:
        self.X, self.y, self.bad_from, self.passes = X, y, bad_from, 0

    def __len__(self) -> int:
        return 1

    def __iter__(self) -> Iterator[Any]:
        self.passes += 1
        yield self.X if self.passes >= self.bad_from else (self.X, self.y)


def test_the_first_batch_of_every_pass_is_checked() -> None:
    X, y = _blobs(30)
    net = nn.Linear(2, 3)
    with pytest.raises(d2l.TrainingError, match=r"epoch 2 by TypeError: train_iter must yield "
                       r"\(X, y\) pairs of tensors, but its first batch is a single tensor of shape "
                       r"\(30, 2\)"):
        d2l.fit(net, _BadFrom(X, y, bad_from=2), nn.CrossEntropyLoss(), 2,
                torch.optim.SGD(net.parameters(), lr=0.1))


def test_a_dataset_of_pairs_is_accepted_as_a_list_of_lists() -> None:
    """torch's DataLoader yields [X, y] lists, not tuples: both are (X, y) pairs."""
    X, y = _blobs(30)
    net = nn.Linear(2, 3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=10)
    assert isinstance(next(iter(loader)), list)
    history = d2l.fit(net, loader, nn.CrossEntropyLoss(), 1,
                      torch.optim.SGD(net.parameters(), lr=0.1), test_iter=loader)
    assert history.final.test_acc is not None
    assert d2l.evaluate_accuracy(net, loader) == history.final.test_acc


def test_a_set_d2lcore_device_is_checked_by_fit_and_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _blobs(30)
    loader = d2l.load_array((X, y), 10)
    monkeypatch.setenv("D2LCORE_DEVICE", "cpu")
    assert len(_fit_blobs(1)) == 1  # a good value: the model stays where it is
    monkeypatch.setenv("D2LCORE_DEVICE", "garbage")
    for call in (lambda: _fit_blobs(1), lambda: d2l.evaluate_accuracy(nn.Linear(2, 3), loader),
                 lambda: d2l.evaluate_loss(nn.Linear(2, 3), loader, nn.CrossEntropyLoss())):
        with pytest.raises(ValueError, match=r"D2LCORE_DEVICE: 'garbage' is not a device name"):
            call()


def test_callback_methods_may_be_any_subset() -> None:
    """One method is enough; an object with none of them is refused (see test_bad_input)."""
    seen: list[int] = []

    class OnlyEpochs:
        def on_epoch_end(self, stats: d2l.EpochStats) -> None:
            seen.append(stats.epoch)

    _fit_blobs(2, parts=(OnlyEpochs(),))
    assert seen == [1, 2]


def test_warnings_stay_quiet_on_a_plain_run() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(_fit_blobs(2)) == 2


def test_losses_of_any_per_example_shape_are_accepted() -> None:
    """Per-example (n,), per-element (n, k) with y of the same shape, and the batch mean."""
    X = torch.randn(12, 2)
    Y = torch.cat([X.sum(1, keepdim=True), X[:, :1] - X[:, 1:]], 1)  # (12, 2), two outputs
    for loss in (nn.MSELoss(reduction="none"), nn.MSELoss(), lambda y_hat, y: ((y_hat - y) ** 2).sum(1)):
        net = nn.Linear(2, 2)
        history = d2l.fit(net, d2l.load_array((X, Y), 4), loss, 1,
                          torch.optim.SGD(net.parameters(), lr=0.01),
                          test_iter=d2l.load_array((X, Y), 4, False))
        assert history.final.test_loss is not None


def test_a_broadcast_loss_is_caught() -> None:
    """(n, 1) predictions against (n,) labels make an (n, n) loss whose mean is not the loss."""
    X, y = _regression(40)
    y = y.reshape(-1)
    net = nn.Linear(2, 1)
    with pytest.raises(ValueError, match=r"loss returned shape \(10, 10\) for a batch of 10 "
                       r"examples \(y_hat \(10, 1\), y \(10,\)\)"):
        d2l.fit(net, d2l.load_array((X, y), 10), lambda y_hat, y: (y_hat - y) ** 2, 1,
                torch.optim.SGD(net.parameters(), lr=0.03))
    # the same with the labels shaped as the predictions trains
    history = d2l.fit(net, d2l.load_array((X, y.reshape(-1, 1)), 10), lambda y_hat, y: (y_hat - y) ** 2,
                      1, torch.optim.SGD(net.parameters(), lr=0.03))
    assert len(history) == 1
