"""d2lcore.progress: outside a notebook a tqdm bar and one line per epoch (never a bare
``<Figure ...>``); in a notebook a live plot updated through one display handle."""

from __future__ import annotations

import io
import re

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

import d2lcore as d2l
from d2lcore import progress as progress_module


def _train(callback: d2l.Progress, epochs: int = 3) -> d2l.History:
    d2l.seed(0)
    y = torch.arange(90) % 3
    X = torch.tensor([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])[y] + 0.3 * torch.randn(90, 2)
    net = nn.Linear(2, 3)
    return d2l.fit(net, d2l.load_array((X, y), 30), nn.CrossEntropyLoss(), epochs,
                   torch.optim.SGD(net.parameters(), lr=0.5),
                   test_iter=d2l.load_array((X, y), 45, False), parts=[callback])


def test_not_in_a_notebook_here() -> None:
    assert progress_module.in_notebook() is False
    assert d2l.Progress().live is False


def test_text_output_one_line_per_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    open_before = plt.get_fignums()  # (another test's figures are not this one's)
    stream = io.StringIO()
    history = _train(d2l.Progress(stream=stream))
    text = stream.getvalue()
    lines = [line for line in re.split(r"[\r\n]", text) if line.startswith("epoch ") and "loss" in line]
    assert len(lines) == 3
    for e, line in zip(history.epochs, lines):
        assert line.startswith(f"epoch {e.epoch}/3, loss {e.train_loss:.4f}, train acc {e.train_acc:.3f}")
        assert f"test acc {e.test_acc:.3f}" in line and "ex/s" in line
    assert "batch" in text  # the tqdm bar over the batches was drawn
    assert text.rstrip().endswith(history.summary())  # the book's summary line comes last
    assert "<Figure" not in text and "<Figure" not in capsys.readouterr().out
    assert plt.get_fignums() == open_before  # no figure was created


def test_text_output_goes_to_stdout_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    _train(d2l.Progress(live=False), epochs=1)
    out = capsys.readouterr()
    assert "epoch 1/1, loss" in out.out and "examples/sec" in out.out
    assert "<Figure" not in out.out + out.err


def test_regression_lines_show_the_test_loss() -> None:
    stream = io.StringIO()
    d2l.seed(0)
    X, y = d2l.synthetic_data(torch.tensor([1.0]), 0.0, 50)
    net = nn.Linear(1, 1)
    d2l.fit(net, d2l.load_array((X, y), 10), nn.MSELoss(), 2,
            torch.optim.SGD(net.parameters(), lr=0.1),
            test_iter=d2l.load_array((X, y), 50, False), parts=[d2l.Progress(stream=stream)])
    text = stream.getvalue()
    assert "test loss" in text and "acc" not in text


class _Handle:
    def __init__(self, log: list) -> None:
        self.log = log

    def update(self, obj: object) -> None:
        self.log.append(("update", obj))


def test_live_plot_uses_one_display_handle(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    log: list = []

    def display(obj: object, display_id: bool = False) -> _Handle:
        log.append(("display", obj, display_id))
        return _Handle(log)

    monkeypatch.setattr(IPython.display, "display", display)
    open_before = plt.get_fignums()  # (another test's figures are not this one's)
    stream = io.StringIO()
    progress = d2l.Progress(live=True, stream=stream, title="blobs", yscale="log")
    history = _train(progress, epochs=3)
    kinds = [entry[0] for entry in log]
    assert kinds == ["display", "update", "update"]  # one figure, replaced in place per epoch
    assert log[0][2] is True
    figures = [entry[1] for entry in log]
    assert all(isinstance(f, plt.Figure) for f in figures)
    ax = figures[-1].axes[0]
    assert ax.get_title() == "blobs" and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train loss", "train acc", "test acc"]
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3]
    assert list(ax.lines[0].get_ydata()) == pytest.approx(history.column("train_loss"))
    assert plt.get_fignums() == open_before  # each figure closed: nothing left for a bare repr
    assert stream.getvalue().strip() == history.summary()  # no per-epoch text, no tqdm bar


def test_live_plot_picks_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    shown: list = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda obj, display_id=False: shown.append(obj) or _Handle(shown))
    _train(d2l.Progress(["test_acc"], live=True, stream=io.StringIO(), ylim=(0, 1)), epochs=1)
    ax = shown[-1].axes[0]
    assert len(ax.lines) == 1 and ax.get_ylim() == (0, 1)


def test_notebook_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython

    class ZMQInteractiveShell:  # what a Jupyter kernel runs
        pass

    class TerminalInteractiveShell:  # plain IPython in a terminal: no inline figures
        pass

    monkeypatch.setattr(IPython, "get_ipython", lambda: ZMQInteractiveShell())
    assert progress_module.in_notebook() and d2l.Progress().live
    monkeypatch.setattr(IPython, "get_ipython", lambda: TerminalInteractiveShell())
    assert not progress_module.in_notebook() and not d2l.Progress().live


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"live": "no"}, TypeError, r"live must be True, False or None, got 'no' \(str\)"),
        ({"ylim": (1, 0)}, ValueError, (r"ylim must be a pair \(low, high\) of finite numbers "
                                        r"with low < high \(or None\), got \(1, 0\)")),
        ({"ylim": 0.5}, ValueError, r"ylim must be a pair .*got 0\.5"),
        ({"figsize": (3.5, 0)}, ValueError, (r"figsize must be a pair of numbers > 0 \(width, "
                                             r"height\) in inches, got \(3\.5, 0\)")),
        ({"figsize": "big"}, ValueError, r"figsize must be a pair of numbers > 0 .*got 'big'"),
        ({"stream": "out.txt"}, TypeError, r"stream must be a text stream with write\(\) .*got str"),
        ({"title": 3}, TypeError, r"title must be a string \(or None\), got 3 \(int\)"),
    ],
)
def test_progress_checks_its_arguments(kwargs: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        d2l.Progress(**kwargs)


def test_progress_takes_good_arguments() -> None:
    p = d2l.Progress(live=False, ylim=[0, 1], figsize=(4, 3), stream=io.StringIO(), title="LeNet")
    assert p.live is False and p.ylim == [0, 1] and p.title == "LeNet"


def test_pages_print_the_summary_once() -> None:
    """Progress prints ``history.summary()`` when training ends; a page cell that trains with it
    and prints the summary again shows the line twice (as 4.2, 4.3 and 4.6 once did)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    cells = []
    for page in sorted((root / "chapters").glob("ch*/*.md")):
        for cell in re.findall(r"```\{code-cell\}[^\n]*\n(.*?)\n```", page.read_text("utf-8"), re.S):
            if "Progress(" in cell:
                cells.append((page.name, cell))
    assert len(cells) >= 10  # the training cells were found
    twice = [name for name, cell in cells if re.search(r"print\([^)]*\.summary\(\)", cell)]
    assert twice == [], f"cells that print the summary Progress already printed: {twice}"


def test_summary_false_prints_the_epochs_but_no_summary_line() -> None:
    stream = io.StringIO()
    history = _train(d2l.Progress(stream=stream, summary=False), epochs=2)
    text = stream.getvalue()
    assert "epoch 2/2, loss" in text
    assert history.summary() not in text
    stream = io.StringIO()
    history = _train(d2l.Progress(stream=stream), epochs=2)  # the default prints it
    assert stream.getvalue().rstrip().endswith(history.summary())


def test_live_figure_displays_once_then_replaces(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    log: list[tuple[str, object]] = []

    class Handle:
        def update(self, obj: object) -> None:
            log.append(("update", obj))

    def display(obj: object, display_id: bool = False) -> Handle:
        assert display_id is True  # a handle is asked for, so the next show replaces it
        log.append(("display", obj))
        return Handle()

    monkeypatch.setattr(IPython.display, "display", display)
    figure = d2l.LiveFigure()
    figure.show("first")
    figure.show("second")
    figure.show("third")
    assert log == [("display", "first"), ("update", "second"), ("update", "third")]
