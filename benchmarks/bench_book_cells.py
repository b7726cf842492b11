"""The book's training cells, side by side: the book's package ``d2l==0.17.6`` against the same
cells through ``from d2lcore import torch as d2l``, float32 on both sides.

Every training cell of §3.6, §3.7, §4.2, §4.3, §4.6 (from scratch and concise) and §6.6, written
as a reader types it from the book (its network, loss, updater and hyperparameters: batch 256,
the book's learning rates), runs once per round on each side, the order alternating between
rounds; one run is the whole cell (``load_data_fashion_mnist`` included) for ``--epochs`` epochs
(default: the book's 10). The ratio of a round is the book's time over d2lcore's; the table gives
the median of the per-round ratios (the goal: every cell ≥ 5×).

Both sides compute in float32: d2lcore's book module does by default (``d2l.cpu_autocast`` is
None); the script refuses to run when ``D2LCORE_PRECISION`` asks for another precision. Plotting
is left out of the book's side (its ``Animator`` is stubbed, as in ``bench_training.py``);
d2lcore's side keeps its progress output (into a buffer). The book's ``train_ch3`` asserts its
final accuracy after training: with fewer epochs than the book's it may fail, which is reported
and does not affect the timing (it runs after the last epoch).

After each run, outside the timing, the trained model's test accuracy is measured on that
side's own test loader, so the table also shows what the book's code reaches with the book's
epochs (what its plots show, on this machine and in float32) and that d2lcore's module reaches
the same.

Run it with ``make bench`` (which installs d2l 0.17.6 into ``_build/bench/d2l-0.17.6``), or::

    .venv/bin/python benchmarks/bench_book_cells.py [--cells 3.6,6.6] [--rounds 3] [--epochs 10]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import torch
from torch import nn

import d2lcore
from d2lcore import torch as compat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import book_lenet, cpu_name, import_book_d2l, in_folder, link_data  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BATCH = 256


# --------------------------------------------------------------------------------------------
# The cells, as the book writes them; ``d2l`` is either side's module.


def _init_normal(m: nn.Module) -> None:
    if type(m) is nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


def cell_3_6(d2l: ModuleType, epochs: int) -> None:
    """§3.6 softmax regression from scratch (lr 0.1)."""
    train_iter, test_iter = d2l.load_data_fashion_mnist(BATCH)
    W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
    b = torch.zeros(10, requires_grad=True)

    def softmax(X: torch.Tensor) -> torch.Tensor:
        X_exp = torch.exp(X)
        return X_exp / X_exp.sum(1, keepdim=True)

    def net(X: torch.Tensor) -> torch.Tensor:
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    def cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -torch.log(y_hat[range(len(y_hat)), y])

    def updater(batch_size: int) -> None:
        return d2l.sgd([W, b], 0.1, batch_size)

    d2l.train_ch3(net, train_iter, test_iter, cross_entropy, epochs, updater)


def cell_3_7(d2l: ModuleType, epochs: int) -> None:
    """§3.7 concise softmax regression (lr 0.1)."""
    train_iter, test_iter = d2l.load_data_fashion_mnist(BATCH)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    net.apply(_init_normal)
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    d2l.train_ch3(net, train_iter, test_iter, loss, epochs, trainer)


def cell_4_2(d2l: ModuleType, epochs: int) -> None:
    """§4.2 MLP from scratch (256 hidden units, lr 0.1)."""
    train_iter, test_iter = d2l.load_data_fashion_mnist(BATCH)
    num_inputs, num_outputs, num_hiddens = 784, 10, 256
    W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens, requires_grad=True) * 0.01)
    b1 = nn.Parameter(torch.zeros(num_hiddens, requires_grad=True))
    W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs, requires_grad=True) * 0.01)
    b2 = nn.Parameter(torch.zeros(num_outputs, requires_grad=True))
    params = [W1, b1, W2, b2]

    def relu(X: torch.Tensor) -> torch.Tensor:
        return torch.max(X, torch.zeros_like(X))

    def net(X: torch.Tensor) -> torch.Tensor:
        X = X.reshape((-1, num_inputs))
        H = relu(X @ W1 + b1)
        return H @ W2 + b2

    loss = nn.CrossEntropyLoss(reduction="none")
    updater = torch.optim.SGD(params, lr=0.1)
    d2l.train_ch3(net, train_iter, test_iter, loss, epochs, updater)


def cell_4_3(d2l: ModuleType, epochs: int) -> None:
    """§4.3 concise MLP (lr 0.1)."""
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    net.apply(_init_normal)
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    train_iter, test_iter = d2l.load_data_fashion_mnist(BATCH)
    d2l.train_ch3(net, train_iter, test_iter, loss, epochs, trainer)


def cell_4_6_scratch(d2l: ModuleType, epochs: int) -> None:
    """§4.6 dropout from scratch (two hidden layers of 256, dropout 0.2 and 0.5, lr 0.5)."""

    def dropout_layer(X: torch.Tensor, dropout: float) -> torch.Tensor:
        if dropout == 1:
            return torch.zeros_like(X)
        if dropout == 0:
            return X
        mask = (torch.rand(X.shape) > dropout).float()
        return mask * X / (1.0 - dropout)

    class Net(nn.Module):
        def __init__(self, num_inputs: int, num_outputs: int, h1: int, h2: int,
                     is_training: bool = True) -> None:
            super().__init__()
            self.num_inputs = num_inputs
            self.training = is_training
            self.lin1 = nn.Linear(num_inputs, h1)
            self.lin2 = nn.Linear(h1, h2)
            self.lin3 = nn.Linear(h2, num_outputs)
            self.relu = nn.ReLU()

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            H1 = self.relu(self.lin1(X.reshape((-1, self.num_inputs))))
            if self.training:
                H1 = dropout_layer(H1, 0.2)
            H2 = self.relu(self.lin2(H1))
            if self.training:
                H2 = dropout_layer(H2, 0.5)
            return self.lin3(H2)

    net = Net(784, 10, 256, 256)
    loss = nn.CrossEntropyLoss(reduction="none")
    train_iter, test_iter = d2l.load_data_fashion_mnist(BATCH)
    trainer = torch.optim.SGD(net.parameters(), lr=0.5)
    d2l.train_ch3(net, train_iter, test_iter, loss, epochs, trainer)


def cell_4_6_concise(d2l: ModuleType, epochs: int) -> None:
    """§4.6 concise dropout (lr 0.5)."""
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                        nn.Linear(256, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))
    net.apply(_init_normal)
    loss = nn.CrossEntropyLoss(reduction="none")
    train_iter, test_iter = d2l.load_data_fashion_mnist(BATCH)
    trainer = torch.optim.SGD(net.parameters(), lr=0.5)
    d2l.train_ch3(net, train_iter, test_iter, loss, epochs, trainer)


def cell_6_6(d2l: ModuleType, epochs: int) -> None:
    """§6.6 LeNet with ``train_ch6`` (lr 0.9)."""
    net = book_lenet()  # the book's nn.Sequential, layer for layer
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size=BATCH)
    d2l.train_ch6(net, train_iter, test_iter, epochs, 0.9, d2l.try_gpu())


CELLS: dict[str, Callable[[ModuleType, int], None]] = {
    "3.6": cell_3_6, "3.7": cell_3_7, "4.2": cell_4_2, "4.3": cell_4_3,
    "4.6 scratch": cell_4_6_scratch, "4.6 concise": cell_4_6_concise, "6.6": cell_6_6,
}  # fmt: skip


# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def watched(d2l: ModuleType, seen: dict[str, object]) -> Iterator[None]:
    """The side's ``train_ch3``/``train_ch6`` keep their model and test loader in ``seen``."""
    originals = {name: getattr(d2l, name) for name in ("train_ch3", "train_ch6")}

    def keep(name: str) -> Callable[..., object]:
        def train(net: object, train_iter: object, test_iter: object, *args: object,
                  **kwargs: object) -> object:
            seen.update(net=net, test_iter=test_iter)
            return originals[name](net, train_iter, test_iter, *args, **kwargs)
        return train

    for name in originals:
        setattr(d2l, name, keep(name))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(d2l, name, original)


def run_cell(cell: Callable[[ModuleType, int], None], d2l: ModuleType, epochs: int,
             work: Path) -> tuple[float, float, str]:
    """Seconds the cell took, the trained model's test accuracy, and a note ("" or the book's
    failed accuracy assertion)."""
    note = ""
    out = io.StringIO()
    seen: dict[str, object] = {}
    with in_folder(work / "cwd"), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(out), watched(d2l, seen):
        t0 = time.perf_counter()
        try:
            cell(d2l, epochs)
        except AssertionError as err:  # the book's train_ch3 checks its accuracy at the end
            note = f"the book's accuracy assertion failed after training ({err})"
        seconds = time.perf_counter() - t0
        # the trained model on the side's own test loader, outside the timing
        acc = d2lcore.evaluate_accuracy(seen["net"], seen["test_iter"])  # type: ignore[arg-type]
    return seconds, acc, note


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default=",".join(CELLS), help="comma-separated, from: " + ", ".join(CELLS))
    parser.add_argument("--rounds", type=int, default=3, help="paired rounds (median of ratios)")
    parser.add_argument("--epochs", type=int, default=10, help="epochs per cell (the book's: 10)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--d2l-book", type=Path, default=REPO / "_build" / "bench" / "d2l-0.17.6",
                        help="folder holding the book's d2l==0.17.6 (pip install --no-deps --target)")
    parser.add_argument("--out", type=Path, default=REPO / "_build" / "bench",
                        help="folder for the Markdown table and d2l's data link")
    args = parser.parse_args(argv)
    names = [c.strip() for c in args.cells.split(",") if c.strip()]
    unknown = [c for c in names if c not in CELLS]
    if unknown:
        parser.error(f"unknown cell(s) {unknown}; choose from {list(CELLS)}")
    if args.rounds < 1 or args.epochs < 1:
        parser.error("--rounds and --epochs must be ≥ 1")
    if d2lcore.config.requested_precision("float32") != "float32" or compat.cpu_autocast is not None:
        sys.exit("bench_book_cells compares float32 on both sides: unset D2LCORE_PRECISION")
    if args.threads:
        torch.set_num_threads(args.threads)
    os.environ.pop("D2LCORE_QUICK", None)  # the whole data set on d2lcore's side too
    warnings.filterwarnings("ignore", category=UserWarning)
    book = import_book_d2l(args.d2l_book)
    if book is None:
        sys.exit(f"bench_book_cells: the book's d2l==0.17.6 is not in {args.d2l_book}; `make bench` "
                 "installs it there")
    args.out.mkdir(parents=True, exist_ok=True)
    link_data(d2lcore.config.data_root(), args.out)
    d2lcore.tune_malloc()  # fit would do it on its first call; both sides get it from the start
    cpu = d2lcore.device_class("cpu")
    print(f"# {platform.machine()} CPU ({cpu_name()}), {cpu}; {os.cpu_count()} cores, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}, d2l {book.VERSION}; "
          f"float32 on both sides; {args.epochs} epoch(s) per cell; load average "
          f"{os.getloadavg()[0]:.1f} at the start", flush=True)
    rows = []
    for name in names:
        cell = CELLS[name]
        sides = {f"d2l {book.VERSION}": book, "d2lcore.torch": compat}
        times: dict[str, list[float]] = {k: [] for k in sides}
        accs: dict[str, list[float]] = {k: [] for k in sides}
        for r in range(args.rounds):
            order = list(sides) if r % 2 == 0 else list(sides)[::-1]
            for label in order:
                torch.manual_seed(r)
                seconds, acc, note = run_cell(cell, sides[label], args.epochs, args.out)
                times[label].append(seconds)
                accs[label].append(acc)
                print(f"  §{name:<11} round {r + 1}: {label:<14} {seconds:7.1f} s, test acc "
                      f"{acc:.3f}{'  (' + note + ')' if note else ''}", flush=True)
        book_label = f"d2l {book.VERSION}"
        book_t, core_t = times[book_label], times["d2lcore.torch"]
        paired = statistics.median(b / c for b, c in zip(book_t, core_t))
        rows.append((name, statistics.median(book_t), statistics.median(core_t), paired,
                     statistics.median(accs[book_label]), statistics.median(accs["d2lcore.torch"])))
    head = (f"| cell (§) | d2l {book.VERSION} s | d2lcore.torch s | × (median of paired rounds) "
            f"| test acc, d2l {book.VERSION} | test acc, d2lcore.torch |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: |")
    text = "\n".join([head] + [f"| {n} | {b:.1f} | {c:.1f} | {p:.2f}× | {ab:.3f} | {ac:.3f} |"
                               for n, b, c, p, ab, ac in rows])
    print(f"\n{text}\n\n{cpu}; float32 on both sides; {args.epochs} epoch(s) per cell, median of "
          f"{args.rounds} paired round(s); load average {os.getloadavg()[0]:.1f} at the end. Goal: "
          f"every cell ≥ 5×: " + ("met" if all(r[3] >= 5 for r in rows) else
                                    "not met for " + ", ".join(r[0] for r in rows if r[3] < 5))
          + ". Test accuracies: median over the rounds, each side's model on its own test loader.")
    (args.out / "bench_book_cells.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
