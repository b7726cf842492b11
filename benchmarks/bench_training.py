"""Training throughput, side by side: the book's ``d2l`` package against d2lcore's ``fit``.

One process, one model at a time; the variants alternate (their order rotates every round) so
that each sees the same load, and each is run ``--repeats`` times (median, min, max). One run
is one epoch on the whole of Fashion-MNIST (60,000 training images, then the 10,000 test
images evaluated), timed on the wall clock *including* building the data loaders, loading the
batches and the evaluation:

- LeNet (§6.6): the book's cell ``d2l.train_ch6(net, *d2l.load_data_fashion_mnist(256), 1, 0.9,
  cpu)`` run by the book's package ``d2l==0.17.6`` (what d2l-zh 2.0 tells readers to install; a
  torchvision ``DataLoader`` with 4 worker processes), loaded from its own folder
  (``--d2l-book``), against the same cell through d2lcore's book-compatible module
  (``from d2lcore import torch as d2l``) and against ``d2lcore.fit`` with
  ``d2lcore.load_fashion_mnist(256)``. Without 0.17.6, ``d2l`` 1.0.3's ``train_ch6`` is the
  reference instead.
- Softmax regression (§3.7) and the MLP (§4.3): ``d2l.Trainer`` with ``d2l.FashionMNIST(256)``
  and the book's ``d2l.SoftmaxRegression`` / MLP classifier (lr 0.1), against ``d2lcore.fit``.

Plotting is left out on both sides (d2l's ``Animator`` is replaced by a stub and the
``ProgressBoard`` does not display; ``fit`` gets no callback), so what is compared is data
loading, training and evaluation. FLOPs come from ``torch.utils.flop_counter.FlopCounterMode``
(forward + backward per training example, forward per test example); GFLOP/s is the epoch's
FLOPs over its wall time, and "% mm" relates it to the float32 matrix-multiply rate measured in
the same process (a 2048×2048 ``torch.mm``, before, between and after the rounds).

Run it with ``make bench`` (which installs d2l with ``--no-deps`` beside the few packages its
``torch`` module imports), or ``.venv/bin/python benchmarks/bench_training.py --help``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import random
import re
import resource
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from _common import NoAnimator, book_lenet, cpu_name, import_book_d2l, in_folder, link_data
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import d2lcore

REPO = Path(__file__).resolve().parents[1]
BATCH_SIZE = 256
N_TRAIN, N_TEST = 60_000, 10_000


# --------------------------------------------------------------------------------------------
# Models: the book's architectures, built the same way for both sides.


def core_lenet() -> nn.Module:
    """d2lcore's LeNet: the same architecture with its defaults (sigmoid, average pooling,
    Xavier-uniform weights)."""
    if hasattr(d2lcore, "LeNet"):
        return d2lcore.LeNet()
    net = book_lenet()
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
    return net


def softmax_net() -> nn.Module:
    """Concise softmax regression (§3.7)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))


def mlp_net() -> nn.Module:
    """Concise MLP (§4.3): one hidden layer of 256 ReLU units."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


@dataclass(frozen=True)
class ModelSpec:
    name: str
    build: Callable[[], nn.Module]  # the model d2lcore trains
    lr: float
    d2l_path: str  # "train_ch6" or "Trainer"
    build_book: Callable[[], nn.Module] | None = None  # the model d2l trains, when different


MODELS = {
    "lenet": ModelSpec("LeNet", core_lenet, 0.9, "train_ch6", book_lenet),
    "softmax": ModelSpec("softmax regression", softmax_net, 0.1, "Trainer"),
    "mlp": ModelSpec("MLP", mlp_net, 0.1, "Trainer"),
}


# --------------------------------------------------------------------------------------------
# Measurements.


def matmul_gflops(n: int = 2048, seconds: float = 1.5) -> float:
    """The float32 matrix-multiply rate of this process (2n³ FLOPs per ``torch.mm``), the best of
    three slices of ``seconds``/3."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    out = torch.empty(n, n)
    torch.mm(a, b, out=out)
    best = 0.0
    for _ in range(3):
        k, t0 = 0, time.perf_counter()
        while (dt := time.perf_counter() - t0) < seconds / 3:
            torch.mm(a, b, out=out)
            k += 1
        best = max(best, 2 * n**3 * k / dt)
    return best / 1e9


def flops_per_example(build: Callable[[], nn.Module]) -> tuple[float, float]:
    """(training FLOPs, evaluation FLOPs) per example: forward + backward of the mean
    cross-entropy, and forward alone, counted on a batch of 256."""
    net, X = build(), torch.rand(BATCH_SIZE, 1, 28, 28)
    y = torch.randint(0, 10, (BATCH_SIZE,))
    with FlopCounterMode(display=False) as train:
        nn.functional.cross_entropy(net(X), y).backward()
    with torch.no_grad(), FlopCounterMode(display=False) as evaluate:
        net(X)
    return train.get_total_flops() / BATCH_SIZE, evaluate.get_total_flops() / BATCH_SIZE


@dataclass
class Variant:
    label: str
    run: Callable[[], float]  # one timed epoch; returns the test accuracy
    is_d2l: bool = False
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)  # this process and its workers
    accuracies: list[float] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# The book's d2l package.


def import_d2l(data_root: Path, work: Path):  # noqa: ANN201 - the d2l.torch module
    """Import ``d2l.torch`` and give it the offline Fashion-MNIST: d2l reads ``../data`` from
    the working folder, so ``work/data`` links to d2lcore's data root and d2l runs in
    ``work/cwd``. Nothing is copied."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from d2l import torch as d2l
    except ImportError as err:
        sys.exit(
            f"bench_training: cannot import the book's d2l package ({err}). Run `make bench`, "
            "which installs it with --no-deps beside pandas and scipy, or: .venv/bin/pip install "
            "pandas scipy && .venv/bin/pip install --no-deps d2l==1.0.3"
        )
    link_data(data_root, work)
    d2l.Animator = NoAnimator
    return d2l


def d2l_train_ch6(d2l, spec: ModelSpec, work: Path) -> Callable[[], float]:  # noqa: ANN001
    def run() -> float:
        out = io.StringIO()
        with in_folder(work / "cwd"), contextlib.redirect_stdout(out):
            train_iter, test_iter = d2l.load_data_fashion_mnist(BATCH_SIZE)
            d2l.train_ch6((spec.build_book or spec.build)(), train_iter, test_iter, 1, spec.lr, torch.device("cpu"))
        m = re.search(r"test acc ([0-9.]+)", out.getvalue())
        return float(m.group(1)) if m else float("nan")

    return run


def d2l_trainer(d2l, spec: ModelSpec, work: Path) -> Callable[[], float]:  # noqa: ANN001
    class MLP(d2l.Classifier):  # the book's concise MLP (§5.2 of d2l 1.0, §4.3 of the notes)
        def __init__(self, num_outputs: int, num_hiddens: int, lr: float) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential(
                nn.Flatten(), nn.LazyLinear(num_hiddens), nn.ReLU(), nn.LazyLinear(num_outputs)
            )

    def run() -> float:
        with in_folder(work / "cwd"), contextlib.redirect_stdout(io.StringIO()):
            data = d2l.FashionMNIST(batch_size=BATCH_SIZE)
            if spec.name == "softmax regression":
                model = d2l.SoftmaxRegression(num_outputs=10, lr=spec.lr)
            else:
                model = MLP(num_outputs=10, num_hiddens=256, lr=spec.lr)
            model.board.display = False
            trainer = d2l.Trainer(max_epochs=1)
            trainer.fit(model, data)
        acc = model.board.data.get("val_acc") or model.board.raw_points.get("val_acc")
        return float(acc[-1].y) if acc else float("nan")

    return run


# --------------------------------------------------------------------------------------------
# d2lcore.


def d2lcore_fit(spec: ModelSpec, channels_last: bool = False,
                autocast: torch.dtype | None = None) -> Callable[[], float]:  # fmt: skip
    def run() -> float:
        net = spec.build()
        train_iter, test_iter = d2lcore.load_fashion_mnist(BATCH_SIZE, num_train=N_TRAIN, num_test=N_TEST)
        history = d2lcore.fit(
            net, train_iter, nn.CrossEntropyLoss(reduction="none"), 1,
            torch.optim.SGD(net.parameters(), lr=spec.lr), test_iter=test_iter,
            parts=[d2lcore.FastSettings(autocast=autocast, channels_last=channels_last)],
        )  # fmt: skip
        acc = history.final.test_acc
        return float(acc) if acc is not None else float("nan")

    return run


def compat_train_ch6(spec: ModelSpec) -> Callable[[], float]:
    """The book's LeNet cell through ``from d2lcore import torch as d2l``: the same calls as
    the book's package gets, with its Progress (a tqdm bar here, into a buffer) on."""
    from d2lcore import torch as compat

    def run() -> float:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            train_iter, test_iter = compat.load_data_fashion_mnist(BATCH_SIZE)
            compat.train_ch6((spec.build_book or spec.build)(), train_iter, test_iter, 1, spec.lr,
                             compat.try_gpu())  # fmt: skip
        m = re.search(r"test acc ([0-9.]+)", out.getvalue())
        return float(m.group(1)) if m else float("nan")

    return run


def warm_up(spec: ModelSpec) -> None:
    """A few steps in float32 and in the CPU's fast precision (bfloat16 where native) so that
    one-time kernel set-up is not timed."""
    net, X = spec.build(), torch.rand(BATCH_SIZE, 1, 28, 28)
    y = torch.randint(0, 10, (BATCH_SIZE,))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    fast = d2lcore.fast_settings("cpu").autocast
    for dtype in dict.fromkeys((None, fast)):
        for memory_format in (torch.contiguous_format, torch.channels_last):
            net.to(memory_format=memory_format)
            Xm = X.contiguous(memory_format=memory_format)
            for _ in range(3):
                with torch.autocast("cpu", dtype=dtype or torch.float32, enabled=dtype is not None):
                    loss = nn.functional.cross_entropy(net(Xm), y)
                opt.zero_grad()
                loss.backward()
                opt.step()


# --------------------------------------------------------------------------------------------
# The report.


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def table(rows: list[dict[str, object]]) -> str:
    head = (
        "| model | variant | examples/s median | min | max | test acc | GFLOP/s | % mm | × d2l | × d2l paired |\n"
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['variant']} | {_fmt_rate(r['median'])} | {_fmt_rate(r['min'])} | "
            f"{_fmt_rate(r['max'])} | {r['test_acc']:.3f} | {r['gflops']:.1f} | "
            f"{r['pct_mm']:.0f}% | {r['ratio']:.2f}× | {r['paired_ratio']:.2f}× |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lenet,softmax,mlp",
                        help="comma-separated, from: " + ", ".join(MODELS))  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs per variant (≥ 3)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--no-bf16", action="store_true", help="leave out the bfloat16 variant")
    parser.add_argument("--no-tune-malloc", action="store_true",
                        help="leave glibc's malloc as it is (D2LCORE_TUNE_MALLOC=0)")  # fmt: skip
    parser.add_argument("--d2l-book", type=Path, default=REPO / "_build" / "bench" / "d2l-0.17.6",
                        help="folder holding the book's d2l==0.17.6 (pip install --no-deps --target)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=REPO / "_build" / "bench",
                        help="folder for the JSON/Markdown results and d2l's data link")  # fmt: skip
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be ≥ 1")
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in names if m not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {list(MODELS)}")
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.no_tune_malloc:
        os.environ["D2LCORE_TUNE_MALLOC"] = "0"
    # fit would tune malloc on its first call, and the setting holds for the whole process:
    # tune it before any run, so that both sides, d2l's included, get it from the start.
    malloc_tuned = d2lcore.tune_malloc()
    os.environ.pop("D2LCORE_QUICK", None)  # the compatible module's loaders: the whole data set
    warnings.filterwarnings("ignore", category=UserWarning)

    args.out.mkdir(parents=True, exist_ok=True)
    data_root = d2lcore.config.data_root()
    link_data(data_root, args.out)
    d2l_book = import_book_d2l(args.d2l_book)
    # d2l 1.0.3 (site-packages) runs softmax regression and the MLP, and LeNet without 0.17.6.
    needs_1 = d2l_book is None or any(MODELS[n].d2l_path == "Trainer" for n in names)
    d2l = import_d2l(data_root, args.out) if needs_1 else None
    if d2l_book is None:
        print(f"# the book's d2l==0.17.6 is not in {args.d2l_book} (make bench installs it there); "
              "LeNet is compared with d2l 1.0.3's train_ch6 only", flush=True)  # fmt: skip
    # The fast variants use what d2lcore.precision chooses for this CPU: bfloat16 autocast only
    # where oneDNN computes it natively (AVX512-BF16 or AMX), never an emulated precision.
    fast = d2lcore.fast_settings("cpu")
    bf16 = not args.no_bf16 and fast.autocast is not None

    load_before = os.getloadavg()
    mm = [matmul_gflops()]
    print(
        f"# {platform.machine()} CPU, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, d2l {_version('d2l') if d2l else 'not loaded'}"
        f"{f' and {d2l_book.VERSION} (the book cell)' if d2l_book else ''}; load average "
        f"{load_before[0]:.1f} at the start; float32 matmul {mm[0]:.0f} GFLOP/s; glibc malloc "
        f"{'tuned for both sides' if malloc_tuned else 'untuned'}",
        flush=True,
    )
    rows: list[dict[str, object]] = []
    for name in names:
        spec = MODELS[name]
        warm_up(spec)
        train_flops, eval_flops = flops_per_example(spec.build)
        epoch_flops = N_TRAIN * train_flops + N_TEST * eval_flops
        book = d2l_train_ch6 if spec.d2l_path == "train_ch6" else d2l_trainer
        variants = [
            Variant(f"d2l {spec.d2l_path}", book(d2l, spec, args.out), is_d2l=True),
            Variant("d2lcore fit", d2lcore_fit(spec)),
        ]
        if name == "lenet" and d2l_book is not None:
            # The reference is the book cell run by the book's package (d2l-zh 2.0: 0.17.6).
            variants[0] = Variant(f"d2l {d2l_book.VERSION} train_ch6 (book cell)",
                                  book(d2l_book, spec, args.out), is_d2l=True)  # fmt: skip
            from d2lcore import torch as compat

            precision = ", bf16 autocast" if compat.cpu_autocast is not None else ""
            variants.insert(1, Variant(f"d2lcore.torch train_ch6 (book cell{precision})",
                                       compat_train_ch6(spec)))  # fmt: skip
        if name == "lenet":
            variants.append(Variant("d2lcore fit, channels_last", d2lcore_fit(spec, channels_last=True)))
            if bf16:
                variants.append(Variant(
                    "d2lcore fit, channels_last + bf16 autocast",
                    d2lcore_fit(spec, channels_last=True, autocast=fast.autocast),
                ))  # fmt: skip
        elif bf16 and name == "mlp":
            variants.append(Variant("d2lcore fit, bf16 autocast", d2lcore_fit(spec, autocast=fast.autocast)))
        print(
            f"\n## {spec.name}: {train_flops / 1e6:.3f} MFLOP per training example (forward + "
            f"backward), {eval_flops / 1e6:.3f} per test example",
            flush=True,
        )
        for r in range(args.repeats):
            k = r % len(variants)
            for v in variants[k:] + variants[:k]:
                torch.manual_seed(r)  # the same initial weights and data order for every variant
                random.seed(r)
                t0, c0 = time.perf_counter(), _cpu_seconds()
                acc = v.run()
                dt = time.perf_counter() - t0
                v.seconds.append(dt)
                v.cpu_seconds.append(_cpu_seconds() - c0)
                v.accuracies.append(acc)
                print(f"  round {r + 1}: {v.label:<44} {dt:6.2f} s  {N_TRAIN / dt:9,.0f} examples/s  "
                      f"test acc {acc:.3f}", flush=True)  # fmt: skip
        mm.append(matmul_gflops())
        d2l_median = N_TRAIN / statistics.median(variants[0].seconds)
        for v in variants:
            # Each round ran every variant once: the ratio of a round is d2l's time over this
            # variant's; its median is robust to the machine's slow stretches.
            paired = statistics.median(b / s for b, s in zip(variants[0].seconds, v.seconds))
            rates = [N_TRAIN / s for s in v.seconds]
            med = statistics.median(rates)
            gflops = epoch_flops / statistics.median(v.seconds) / 1e9
            rows.append({
                "model": spec.name, "variant": v.label, "median": med, "min": min(rates),
                "max": max(rates), "seconds": v.seconds, "cpu_seconds": v.cpu_seconds, "test_acc": statistics.median(v.accuracies),
                "gflops": gflops, "ratio": med / d2l_median, "paired_ratio": paired,
                "train_mflop_per_example": train_flops / 1e6,
                "eval_mflop_per_example": eval_flops / 1e6,
            })  # fmt: skip
    mm_rate = statistics.median(mm)
    for r in rows:
        r["pct_mm"] = 100 * r["gflops"] / mm_rate  # type: ignore[operator]
    load_after = os.getloadavg()

    text = table(rows)
    print(f"\nfloat32 matmul: {mm_rate:.0f} GFLOP/s (median of {len(mm)} measurements: "
          f"{', '.join(f'{x:.0f}' for x in mm)}); load average {load_after[0]:.1f} at the end\n")  # fmt: skip
    print(text)
    result = {
        "machine": {"cpu_count": os.cpu_count(), "threads": torch.get_num_threads(),
                    "torch": torch.__version__, "d2l": _version("d2l") if d2l else None,
                    "d2l_book": d2l_book.VERSION if d2l_book else None,
                    "processor": cpu_name(), "bf16": bf16, "malloc_tuned": malloc_tuned},
        "load_average": {"start": load_before, "end": load_after},
        "matmul_gflops": mm, "matmul_gflops_median": mm_rate, "repeats": args.repeats,
        "rows": rows,
    }  # fmt: skip
    (args.out / "bench_training.json").write_text(json.dumps(result, indent=2))
    (args.out / "bench_training.md").write_text(text + "\n")
    lenet = [r for r in rows if r["model"] == "LeNet" and not r["variant"].startswith("d2l ")]
    if lenet:
        fits = [r for r in lenet if r["variant"].startswith("d2lcore fit")]
        best = max(fits, key=lambda r: r["paired_ratio"])  # type: ignore[arg-type, return-value]
        cell = next((r for r in lenet if r["variant"].startswith("d2lcore.torch")), None)
        reference = next(r["variant"] for r in rows if r["model"] == "LeNet" and r["variant"].startswith("d2l "))
        cell_text = (
            f"the book's LeNet cell through d2lcore.torch {cell['paired_ratio']:.2f}× the same cell "
            f"through the book's package (goal ≥ 3×)" if cell else
            "the book's LeNet cell through d2lcore.torch: not measured (d2l==0.17.6 absent)"
        )
        cell_precision = "bfloat16 autocast" if "bf16" in (cell or {}).get("variant", "") else "float32"
        print(
            f"\nLeNet: the fastest d2lcore variant ({best['variant']}) {best['paired_ratio']:.2f}× "
            f"{reference.removesuffix(' (book cell)')} (goal ≥ 4×); {cell_text} "
            f"({cell_precision}); medians of {args.repeats} paired rounds; on "
            f"{d2lcore.device_class('cpu')}."
        )
    return 0


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (d2l's loader workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "absent"


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


if __name__ == "__main__":
    sys.exit(main())
