"""d2lcore.train: runs that stop and go on. Divergence stops at its epoch, runs repeat bit
for bit (which resuming relies on), checkpoints are atomic, safe to load and checked before
training, resuming gives the same numbers (and warns where it cannot), Ctrl-C keeps the
history."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import nn

import d2lcore as d2l
from d2lcore import train as train_module

# --- divergence ------------------------------------------------------------------------------


class _Passes:
    """A re-iterable loader whose passes from ``poison_from`` on carry a NaN feature."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, poison_from: int) -> None:
        self.X, self.y, self.poison_from, self.passes = X, y, poison_from, 0

    def __len__(self) -> int:
        return 2

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        self.passes += 1
        X = self.X.clone()
        if self.passes >= self.poison_from:
            X[3, 0] = float("nan")
        yield X[:10], self.y[:10]
        yield X[10:], self.y[10:]


def _regression(n: int = 200) -> tuple[torch.Tensor, torch.Tensor]:
    d2l.seed(0)
    return d2l.synthetic_data(torch.tensor([2.0, -3.4]), 4.2, n)


def test_nan_stops_at_that_epoch(tmp_path: Path) -> None:
    X, y = _regression(20)
    net = nn.Linear(2, 1)
    ended: list[int] = []

    class End:
        def on_train_end(self, history: d2l.History) -> None:
            ended.append(len(history))

    ckpt = tmp_path / "run.pt"
    with pytest.raises(d2l.DivergedError) as info:
        d2l.fit(net, _Passes(X, y, poison_from=3), d2l.squared_loss, 10,
                torch.optim.SGD(net.parameters(), lr=0.01), parts=[End(), d2l.Checkpoint(ckpt)])
    message = str(info.value)
    assert "the training loss became nan in epoch 3" in message
    assert "Try a smaller learning rate" in message
    assert info.value.epoch == 3 and len(info.value.history) == 2
    assert ended == [2]  # callbacks were closed with the finished epochs
    assert len(d2l.load_checkpoint(ckpt, nn.Linear(2, 1))) == 2  # the last good checkpoint stays


def test_too_large_a_learning_rate_diverges() -> None:
    X, y = _regression()
    w = torch.zeros(2, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    with pytest.raises(d2l.DivergedError, match=r"became (inf|nan) in epoch 1; .*smaller learning rate"):
        d2l.fit(lambda X: d2l.linreg(X, w, b), d2l.load_array((X, y), 10), d2l.squared_loss, 3,
                lambda n: d2l.sgd([w, b], 100.0, n))


# --- repeatability ---------------------------------------------------------------------------


def _blobs(n: int = 240) -> tuple[torch.Tensor, torch.Tensor]:
    d2l.seed(0)
    y = torch.arange(n) % 3
    centres = torch.tensor([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    return centres[y] + torch.randn(n, 2), y


def _mlp() -> nn.Module:
    """Small, with dropout, so the global RNG matters to the weights as well as the order."""
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))


def _numbers(history: d2l.History) -> list[tuple]:
    """Everything in a history but the clock."""
    return [(e.epoch, e.train_loss, e.train_acc, e.test_loss, e.test_acc) for e in history.epochs]


def _run(seed: int, epochs: int = 4, *parts: object) -> tuple[d2l.History, dict]:
    X, y = _blobs()
    d2l.seed(seed)
    net = _mlp()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.7)
    history = d2l.fit(
        net, d2l.load_array((X, y), 32), nn.CrossEntropyLoss(reduction="none"), epochs, opt,
        test_iter=d2l.load_array((X, y), 64, is_train=False), parts=[sched, *parts],
    )  # fmt: skip
    return history, {k: v.clone() for k, v in net.state_dict().items()}


def _same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_same_seed_same_run_bit_for_bit() -> None:
    h1, w1 = _run(seed=3)
    h2, w2 = _run(seed=3)
    assert _numbers(h1) == _numbers(h2)  # exact floats, not approx
    assert _same_weights(w1, w2)
    h3, w3 = _run(seed=4)
    assert _numbers(h3) != _numbers(h1) and not _same_weights(w1, w3)


def test_from_scratch_run_repeats() -> None:
    """The §3.2 path: data_iter (Python's random) and sgd."""
    X, y = _regression()

    def run() -> tuple[list[float], torch.Tensor]:
        d2l.seed(11)
        w = torch.normal(0, 0.01, (2, 1), requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        losses = []
        for _ in range(2):
            for Xb, yb in d2l.data_iter(10, X, y):
                d2l.squared_loss(d2l.linreg(Xb, w, b), yb).sum().backward()
                d2l.sgd([w, b], 0.03, len(yb))
            losses.append(d2l.squared_loss(d2l.linreg(X, w, b), y).mean().item())
        return losses, torch.cat([w.detach().reshape(-1), b.detach()])

    (l1, p1), (l2, p2) = run(), run()
    assert l1 == l2 and torch.equal(p1, p2)


# --- checkpoints, resume, Ctrl-C -------------------------------------------------------------


class _CtrlC:
    """Raise KeyboardInterrupt at a given batch of a given epoch, as Ctrl-C would."""

    def __init__(self, epoch: int, batch: int) -> None:
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, epoch: int, batch: int) -> None:
        if (epoch, batch) == (self.epoch, self.batch):
            raise KeyboardInterrupt


def test_ctrl_c_keeps_the_history_and_resume_gives_the_same_numbers(tmp_path: Path) -> None:
    full, full_weights = _run(seed=0, epochs=4)
    ckpt = tmp_path / "ckpt" / "mlp.pt"
    with pytest.warns(UserWarning, match=r"training interrupted; the history keeps the 2 finished"):
        stopped, _ = _run(0, 4, d2l.Checkpoint(ckpt), _CtrlC(epoch=3, batch=4))
    assert stopped.interrupted and _numbers(stopped) == _numbers(full)[:2]
    assert [p.name for p in ckpt.parent.iterdir()] == ["mlp.pt"]  # no temporary file left
    # a fresh process would start with another seed and another initialisation
    resumed, resumed_weights = _run(12345, 4, d2l.Checkpoint(ckpt, resume=True))
    assert not resumed.interrupted
    assert _numbers(resumed) == _numbers(full)
    assert _same_weights(resumed_weights, full_weights)
    assert len(d2l.load_checkpoint(ckpt, _mlp())) == 4


def test_ctrl_c_from_the_loader_keeps_the_history() -> None:
    X, y = _blobs(60)

    class Loader:
        passes = 0

        def __len__(self) -> int:
            return 1

        def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            Loader.passes += 1
            if Loader.passes == 3:
                raise KeyboardInterrupt
            yield X, y

    net = nn.Linear(2, 3)
    lines: list[str] = []

    class Stream:
        def write(self, text: str) -> None:
            lines.append(text)

        def flush(self) -> None:
            pass

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        history = d2l.fit(net, Loader(), nn.CrossEntropyLoss(), 5,
                          torch.optim.SGD(net.parameters(), lr=0.1),
                          parts=[d2l.Progress(live=False, stream=Stream())])  # type: ignore[arg-type]
    assert history.interrupted and len(history) == 2
    assert any("(interrupted)" in line for line in lines)


def test_resume_without_a_checkpoint_file_starts_afresh(tmp_path: Path) -> None:
    h1, w1 = _run(seed=0, epochs=2)
    h2, w2 = _run(0, 2, d2l.Checkpoint(tmp_path / "new.pt", resume=True))
    assert _numbers(h1) == _numbers(h2) and _same_weights(w1, w2)
    assert (tmp_path / "new.pt").exists()


def test_checkpoint_write_is_atomic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    net = _mlp()
    path = tmp_path / "c.pt"
    history = d2l.History([d2l.EpochStats(1, 0.5, 0.8, None, 0.7, 100.0, 1.0)])
    d2l.save_checkpoint(path, net, None, history)
    good = path.read_bytes()

    def crash(obj: object, f: object, *args: object, **kwargs: object) -> None:
        Path(f).write_bytes(b"half a checkpoint")  # type: ignore[arg-type]
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module.torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        d2l.save_checkpoint(path, net, None, d2l.History())
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]
    monkeypatch.undo()
    assert d2l.load_checkpoint(path, _mlp()) == history


_EXECUTED: list[str] = []


def _side_effect() -> list[str]:
    _EXECUTED.append("code from the checkpoint ran")
    return []


class _Payload:
    def __reduce__(self) -> tuple:
        return (_side_effect, ())


def test_loading_runs_no_code_from_the_file(tmp_path: Path) -> None:
    """weights_only=True: a checkpoint that pickles a callable is refused, not executed."""
    path = tmp_path / "evil.pt"
    net = nn.Linear(2, 3)
    torch.save({"model": net.state_dict(), "optimizer": None, "scheduler": None,
                "history": {"epochs": _Payload()}, "rng": {}}, path)
    with pytest.raises(ValueError, match=r"evil\.pt is not a readable d2lcore checkpoint \(Unpickling"):
        d2l.load_checkpoint(path, net)
    assert _EXECUTED == []


def test_not_a_checkpoint_and_wrong_model(tmp_path: Path) -> None:
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.ones(3)}, other)
    with pytest.raises(ValueError, match=r"other\.pt is not a d2lcore checkpoint \(expected the keys"):
        d2l.load_checkpoint(other, nn.Linear(2, 3))
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00" * 10)
    with pytest.raises(ValueError, match="is not a readable d2lcore checkpoint"):
        d2l.load_checkpoint(garbage, nn.Linear(2, 3))
    ckpt = tmp_path / "linear.pt"
    d2l.save_checkpoint(ckpt, nn.Linear(2, 3), None, d2l.History())
    with pytest.raises(ValueError, match=r"linear\.pt was saved from a different model .*delete it"):
        d2l.load_checkpoint(ckpt, nn.Linear(5, 3))
    with pytest.raises(FileNotFoundError):
        d2l.load_checkpoint(tmp_path / "absent.pt", nn.Linear(2, 3))
    odd = tmp_path / "odd.pt"
    torch.save({"model": nn.Linear(2, 3).state_dict(), "optimizer": None, "scheduler": None,
                "history": {"runs": []}, "rng": {}}, odd)
    with pytest.raises(ValueError, match=r"odd\.pt is not a d2lcore checkpoint \(its history does "
                       r"not read: KeyError: 'epochs'\); delete it"):
        d2l.load_checkpoint(odd, nn.Linear(2, 3))


# --- the checkpoint path is checked before training; resuming warns where it cannot ---------


class _Batches:
    """Counts the batches fit trains on."""

    def __init__(self) -> None:
        self.count = 0

    def on_batch_end(self, epoch: int, batch: int) -> None:
        self.count += 1


def _fit_with_checkpoint(checkpoint: object, seen: _Batches) -> d2l.History:
    X, y = _blobs(60)
    net = _mlp()
    return d2l.fit(net, d2l.load_array((X, y), 20), nn.CrossEntropyLoss(), 2,
                   torch.optim.SGD(net.parameters(), lr=0.1),
                   parts=[d2l.Checkpoint(checkpoint), seen])  # type: ignore[arg-type]


def test_a_folder_as_checkpoint_fails_before_training(tmp_path: Path) -> None:
    seen = _Batches()
    with pytest.raises(ValueError, match=rf"^checkpoint: {tmp_path} is a folder, not a checkpoint "
                       rf"file; pass a file path in it, e.g. {tmp_path / 'model.pt'}$"):
        _fit_with_checkpoint(tmp_path, seen)
    assert seen.count == 0


def test_a_checkpoint_under_a_file_fails_before_training(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    path = tmp_path / "notes.txt" / "run" / "c.pt"
    seen = _Batches()
    with pytest.raises(ValueError, match=r"checkpoint: cannot create the folder of .*c\.pt: a part "
                       r"of it is a file, not a folder .*notes\.txt"):
        _fit_with_checkpoint(path, seen)
    assert seen.count == 0 and (tmp_path / "notes.txt").read_text() == "mine"


def test_an_unwritable_checkpoint_folder_fails_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(A read-only folder, as seen by a user who is not root: root may write anywhere.)"""

    def refuse(self: Path, data: bytes) -> int:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "write_bytes", refuse)
    seen = _Batches()
    with pytest.raises(ValueError, match=r"checkpoint: cannot write in the folder of .*c\.pt "
                       r"\(PermissionError: Permission denied\); pass a path in a folder you "
                       r"can write to"):
        _fit_with_checkpoint(tmp_path / "c.pt", seen)
    assert seen.count == 0 and list(tmp_path.iterdir()) == []


def test_the_trial_write_leaves_only_the_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "c.pt"
    history = _fit_with_checkpoint(path, _Batches())
    assert [p.name for p in path.parent.iterdir()] == ["c.pt"]
    assert d2l.load_checkpoint(path, _mlp()) == history


def test_an_error_after_a_checkpoint_says_how_to_go_on(tmp_path: Path) -> None:
    class Fail:
        def on_epoch_end(self, stats: d2l.EpochStats) -> None:
            if stats.epoch == 2:
                raise OSError("disk full")

    path = tmp_path / "c.pt"
    with pytest.raises(d2l.TrainingError) as info:
        _run(0, 3, d2l.Checkpoint(path), Fail())
    assert str(info.value) == (
        f"training stopped in epoch 2 by OSError: disk full (the 2 finished epoch(s) are in this "
        f"error's .history and in {path}; fix the cause and pass d2l.Checkpoint(..., resume=True) to go on)"
    )
    assert len(d2l.load_checkpoint(path, _mlp())) == 2


def test_resuming_with_fewer_epochs_warns_and_trains_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.pt"
    full, weights = _run(0, 2, d2l.Checkpoint(path))
    with pytest.warns(UserWarning, match=rf"resume: {path} already holds 2 epochs, more than "
                      r"num_epochs=1; nothing is trained and its 2 epochs are returned\. Pass "
                      r"num_epochs > 2 to train on\.") as record:
        resumed, resumed_weights = _run(1, 1, d2l.Checkpoint(path, resume=True))
    assert record[0].filename == __file__  # points at the caller's line
    assert _numbers(resumed) == _numbers(full) and _same_weights(resumed_weights, weights)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as many epochs as asked for: no warning
        _run(1, 2, d2l.Checkpoint(path, resume=True))


@pytest.mark.filterwarnings("ignore:.*holds no scheduler state")
def test_resuming_without_optimizer_state_warns(tmp_path: Path) -> None:
    path, bare = tmp_path / "c.pt", tmp_path / "bare.pt"
    one_epoch = d2l.History([d2l.EpochStats(1, 0.5, 0.8, None, 0.7, 100.0, 1.0)])
    d2l.save_checkpoint(path, _mlp(), None, one_epoch)
    d2l.save_checkpoint(bare, _mlp(), None, one_epoch)
    with pytest.warns(UserWarning, match=rf"{path} holds no optimizer state \(it was saved with "
                      r"optimizer=None\), so SGD's state starts afresh \(momentum"):
        history, _ = _run(0, 2, d2l.Checkpoint(path, resume=True))
    assert [e.epoch for e in history.epochs] == [1, 2]
    path = bare
    net = _mlp()
    with pytest.warns(UserWarning, match=r"holds no optimizer state") as record:
        d2l.load_checkpoint(path, net, torch.optim.Adam(net.parameters()))
    assert record[0].filename == __file__
    scheduler = torch.optim.lr_scheduler.StepLR(torch.optim.SGD(net.parameters(), lr=0.1), 1)
    with pytest.warns(UserWarning, match=r"holds no scheduler state \(it was saved with "
                      r"scheduler=None\), so StepLR's state starts afresh"):
        d2l.load_checkpoint(path, net, None, scheduler)


def test_resuming_a_function_updater_warns(tmp_path: Path) -> None:
    X, y = _blobs(60)
    path = tmp_path / "c.pt"

    def run(epochs: int) -> d2l.History:
        net = _mlp()
        return d2l.fit(net, d2l.load_array((X, y), 20), nn.CrossEntropyLoss(), epochs,
                       lambda n: d2l.sgd(net.parameters(), 0.1, n),
                       parts=[d2l.Checkpoint(path, resume=True)])

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to resume yet: no warning
        run(1)
    with pytest.warns(UserWarning, match=rf"resume: updater is a function, so {path} holds no "
                      r"optimizer state; any state the updater keeps \(momentum, say\) starts "
                      r"afresh\. Pass a torch\.optim\.Optimizer"):
        assert len(run(2)) == 2


# --- resuming with other settings than the checkpoint's (issue #23) --------------------------


def _one_epoch(path: Path, lr: float = 0.1, scheduler: bool = False) -> None:
    X, y = _blobs(60)
    net = _mlp()
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5) if scheduler else None
    d2l.fit(net, d2l.load_array((X, y), 20), nn.CrossEntropyLoss(), 1, opt,
            parts=[sched, d2l.Checkpoint(path)])  # fmt: skip


def _resume(path: Path, lr: float, scheduler: object = None) -> torch.optim.Optimizer:
    X, y = _blobs(60)
    net = _mlp()
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    sched = scheduler(opt) if callable(scheduler) else None
    d2l.fit(net, d2l.load_array((X, y), 20), nn.CrossEntropyLoss(), 2, opt,
            parts=[sched, d2l.Checkpoint(path, resume=True)])  # fmt: skip
    return opt


def test_resuming_with_another_learning_rate_warns_naming_both(tmp_path: Path) -> None:
    path = tmp_path / "c.pt"
    _one_epoch(path, lr=0.1)
    with pytest.warns(UserWarning, match=rf"resume: {path} was saved with the learning rate 0\.1 "
                      r"\(param group 0\), but updater has lr=0\.05; loading the optimizer's state "
                      r"brings back 0\.1, so training goes on at the saved rate") as record:
        opt = _resume(path, lr=0.05)
    assert record[0].filename == __file__
    assert opt.param_groups[0]["lr"] == 0.1  # what the warning says happened
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same rate: no warning
        _resume(tmp_path / "c.pt", lr=0.1)


def test_resuming_without_the_saved_scheduler_warns(tmp_path: Path) -> None:
    path = tmp_path / "c.pt"
    _one_epoch(path, scheduler=True)  # StepLR halves the rate every batch: saved lr 0.0125
    with pytest.warns(UserWarning) as record:
        _resume(path, lr=0.1)
    messages = [str(w.message) for w in record]
    assert any(f"resume: {path} holds the state of a StepLR learning-rate schedule, but no "
               "scheduler was passed" in m for m in messages), messages  # fmt: skip
    assert any("was saved with the learning rate 0.0125" in m for m in messages), messages


def test_resuming_with_the_saved_scheduler_and_rate_is_silent(tmp_path: Path) -> None:
    path = tmp_path / "c.pt"
    _one_epoch(path, scheduler=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt = _resume(path, 0.1, lambda o: torch.optim.lr_scheduler.StepLR(o, 1, gamma=0.5))
    assert opt.param_groups[0]["lr"] == 0.1 * 0.5**6  # 3 batches per epoch, 2 epochs


def test_another_scheduler_class_is_refused_before_anything_loads(tmp_path: Path) -> None:
    path = tmp_path / "c.pt"
    _one_epoch(path, scheduler=True)
    state = torch.load(path, weights_only=True)
    del state["scheduler_class"]  # a checkpoint from before the class was stored
    torch.save(state, tmp_path / "old.pt")
    for file, said in ((path, r"a StepLR scheduler \(torch\.optim\.lr_scheduler\.StepLR != "
                       r"torch\.optim\.lr_scheduler\.OneCycleLR\)"), (tmp_path / "old.pt",
                       r"another class's scheduler \(its state has \[.*'step_size'\], not \[.*"
                       r"'total_steps'.*\]\)")):
        net = _mlp()
        before = {k: v.clone() for k, v in net.state_dict().items()}
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=20)
        with pytest.raises(ValueError, match=rf"{file} holds the state of {said}, but scheduler "
                           r"is a OneCycleLR; a schedule's state only fits its own class"):
            d2l.load_checkpoint(file, net, opt, sched)
        assert _same_weights(net.state_dict(), before)  # nothing was loaded
