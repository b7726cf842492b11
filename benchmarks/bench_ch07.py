"""Chapter 7's CPU configurations: time per training step, per memory layout and precision, and
whether each page's training fits its time budget on this CPU.

For each page's CPU configuration (the same networks, widths, batch sizes and epochs as the
pages' full mode) this times one training step (forward, backward, AdamW step; a random batch
of 28×28 images) and one evaluation batch, in up to three variants that alternate within every
round:

- ``float32, channels-last`` and ``float32, NCHW``: which layout is faster on this CPU class;
- ``fast settings``: what :func:`d2lcore.fast_settings` chooses here (bfloat16 autocast only
  where oneDNN computes it natively), when that differs from both;
- ``bfloat16 autocast`` (``--all-precisions``): bfloat16 even where it is emulated, to show
  what forcing it costs.

It reports the median of ``--rounds`` rounds (each the mean of ``--steps`` steps), and each
page's estimated training time: epochs × (training steps + evaluation batches) plus the page's
further trainings (§7.1's dropout experiment, §7.3's fully connected head), against the page's
time budget (``BUDGET_S``, on 2 cores: the whole book must build in 20 minutes on an AVX2
laptop). A page over its budget is marked ``OVER``; the exit status is 1 when one is (so a page
that forces an emulated precision fails here, not by a reader's patience).

Run it on both CPU classes: as the machine is, and under the AVX2 profile (what most readers'
laptops have; ``make bench-ch07`` runs both)::

    .venv/bin/python benchmarks/bench_ch07.py [--pages alexnet,vgg] [--rounds 5]
    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 .venv/bin/python benchmarks/bench_ch07.py

Each printed figure names the CPU class (oneDNN's ISA and whether bfloat16 is native), the
thread count and the load average: on a shared machine, quote figures as "measured under load".
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from _common import cpu_name
from torch import nn

import d2lcore as d2l

N_TRAIN, N_TEST = 60_000, 10_000
BUDGET_S = 180  # per page's training, full mode, 2 cores (make book ≤ 20 min in all)


@dataclass
class Page:
    """One page's CPU configuration (full mode), as the page builds it."""

    section: str
    build: Callable[[], nn.Module]
    batch_size: int
    epochs: int
    # Further trainings on the page: (build, number of training examples, epochs, batch size,
    # number of test examples) each.
    extra: list[tuple[Callable[[], nn.Module], int, int, int, int]] = field(default_factory=list)


def _bn_lenet() -> nn.Module:
    from collections import OrderedDict

    layers = []
    for name, layer in d2l.LeNet().named_children():
        layers.append((name, layer))
        if name in ("conv1", "conv2"):
            layers.append((f"bn{name[-1]}", d2l.BatchNorm(layer.out_channels, num_dims=4)))
        elif name in ("fc1", "fc2"):
            layers.append((f"bn{int(name[-1]) + 2}", d2l.BatchNorm(layer.out_features, num_dims=2)))
    return nn.Sequential(OrderedDict(layers))


def _nin_fc_head() -> nn.Module:
    """§7.3's comparison: NiN's trunk without its last block, with AlexNet's FC head (512)."""
    trunk = d2l.NiN(resolution=28, width=0.125, small_stem=True).features[:-1]
    n = trunk(torch.zeros(1, 1, 28, 28)).numel()
    return nn.Sequential(trunk, nn.Flatten(), nn.Linear(n, 512), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, 10))


# The pages' CPU configurations in full mode. Keep them equal to the pages' `cfg` cells.
PAGES: dict[str, Page] = {
    "alexnet": Page("7.1", lambda: d2l.AlexNet(resolution=28, width=0.125, hidden=512, small_stem=True),
                    128, 6,
                    extra=[(lambda: d2l.AlexNet(resolution=28, width=0.125, hidden=128,
                                                small_stem=True, dropout=0.5), 1000, 30 * 6, 128, 1000)]),
    "vgg": Page("7.2", lambda: d2l.VGG(((1, 32), (2, 64), (2, 128)), resolution=28, width=1.0,
                                       hidden=512), 128, 12),
    "nin": Page("7.3", lambda: d2l.NiN(resolution=28, width=0.125, small_stem=True), 128, 5,
                extra=[(_nin_fc_head, N_TRAIN, 5, 128, N_TEST)]),
    "googlenet": Page("7.4", lambda: d2l.GoogLeNet(resolution=28, width=0.1875, small_stem=True),
                      128, 5),
    "bn": Page("7.5", _bn_lenet, 256, 10),
    "resnet": Page("7.6", lambda: d2l.ResNet18(resolution=28, width=0.125, small_stem=True), 256, 3),
}

# Other configurations, timed by name (``--pages vgg-w0.5``) when choosing the pages' ones.
CANDIDATES: dict[str, Page] = {
    "alexnet-w0.125": Page("7.1", lambda: d2l.AlexNet(resolution=28, width=0.125, hidden=512,
                                                      small_stem=True), 128, 6),
    "vgg-w0.5": Page("7.2", lambda: d2l.VGG(((1, 32), (2, 64), (2, 128)), resolution=28,
                                            width=0.5, hidden=512), 128, 8),
    "vgg-w0.5-b256": Page("7.2", lambda: d2l.VGG(((1, 32), (2, 64), (2, 128)), resolution=28,
                                                 width=0.5, hidden=512), 256, 8),
    "nin-w0.125": Page("7.3", lambda: d2l.NiN(resolution=28, width=0.125, small_stem=True), 128, 4),
    "googlenet-w0.1875": Page("7.4", lambda: d2l.GoogLeNet(resolution=28, width=0.1875,
                                                           small_stem=True), 128, 5),
    "googlenet-w0.125": Page("7.4", lambda: d2l.GoogLeNet(resolution=28, width=0.125,
                                                          small_stem=True), 128, 6),
    "resnet-w0.09375": Page("7.6", lambda: d2l.ResNet18(resolution=28, width=0.09375,
                                                        small_stem=True), 128, 4),
    "googlenet-b256": Page("7.4", lambda: d2l.GoogLeNet(resolution=28, width=0.25,
                                                        small_stem=True), 256, 3),
    "googlenet-w0.1875-b256": Page("7.4", lambda: d2l.GoogLeNet(resolution=28, width=0.1875,
                                                                small_stem=True), 256, 5),
    "resnet-b256": Page("7.6", lambda: d2l.ResNet18(resolution=28, width=0.125,
                                                    small_stem=True), 256, 3),
}


@dataclass
class Variant:
    label: str
    channels_last: bool
    autocast: torch.dtype | None
    step_ms: list[float] = field(default_factory=list)
    eval_ms: list[float] = field(default_factory=list)


def _time_steps(net: nn.Module, v: Variant, batch_size: int, steps: int) -> tuple[float, float]:
    """Mean ms of one training step and of one evaluation batch (after one warm-up each)."""
    fmt = torch.channels_last if v.channels_last else torch.contiguous_format
    net.to(memory_format=fmt)
    X = (torch.rand(batch_size, 1, 28, 28) * 255).to(torch.uint8)
    y = torch.randint(0, 10, (batch_size,))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    loss = nn.CrossEntropyLoss()
    ctx = (lambda: torch.autocast("cpu", dtype=v.autocast)) if v.autocast else (
        lambda: torch.autocast("cpu", enabled=False))

    def step() -> None:
        Xf = (X.float() / 255).contiguous(memory_format=fmt)
        with ctx():
            out = loss(net(Xf), y)
        opt.zero_grad(set_to_none=True)
        out.backward()
        opt.step()

    def evaluate() -> None:
        with torch.inference_mode(), ctx():
            net((X.float() / 255).contiguous(memory_format=fmt)).argmax(1)

    net.train()
    step()
    t0 = _clock()
    for _ in range(steps):
        step()
    train_ms = (_clock() - t0) / steps * 1e3
    net.eval()
    evaluate()
    t0 = _clock()
    for _ in range(max(1, steps // 2)):
        evaluate()
    eval_ms = (_clock() - t0) / max(1, steps // 2) * 1e3
    return train_ms, eval_ms


_clock = time.perf_counter  # --cpu-time: time.process_time


def cpu_class() -> str:
    """The CPU class the figures belong to: ATen's and oneDNN's instruction set and bfloat16."""
    native = d2l.cpu_native_bf16()
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip() or "unrestricted"
    return (f"ATen {torch.backends.cpu.get_cpu_capability()}, oneDNN ISA {isa}, bfloat16 "
            f"{'native' if native else 'not native (emulated)'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default=",".join(PAGES),
                        help="comma-separated, from: " + ", ".join([*PAGES, *CANDIDATES]))
    parser.add_argument("--rounds", type=int, default=3, help="rounds; variants alternate within each")
    parser.add_argument("--steps", type=int, default=5, help="timed training steps per round and variant")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--all-precisions", action="store_true",
                        help="also time bfloat16 autocast where it is emulated")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time the process's CPU seconds, not the wall clock: with --threads 1 "
                             "it is what a step costs on one core, even on a busy machine; the "
                             "estimate then assumes 2 cores run no faster than one (as on 2-vCPU "
                             "VMs whose vCPUs share a core)")
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds per page's training")
    args = parser.parse_args(argv)
    names = [p.strip() for p in args.pages.split(",") if p.strip()]
    known = {**PAGES, **CANDIDATES}
    unknown = [p for p in names if p not in known]
    if unknown:
        parser.error(f"unknown page(s) {unknown}; choose from {list(known)}")
    if args.rounds < 1 or args.steps < 1:
        parser.error("--rounds and --steps must be ≥ 1")
    if args.threads:
        torch.set_num_threads(args.threads)
    global _clock
    cores = 1.0
    if args.cpu_time:
        _clock = time.process_time
        cores = 1.0 / torch.get_num_threads()  # the budget's 2 cores taken as one (conservative)
    d2l.tune_malloc()
    fast = d2l.fast_settings("cpu")
    print(f"# {platform.machine()} CPU ({cpu_name()}), {cpu_class()}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; load average {os.getloadavg()[0]:.1f} at the start; "
          f"fast settings here: {fast.precision}, channels_last={fast.channels_last}", flush=True)
    rows = []
    over = []
    for name in names:
        page = known[name]
        variants = [Variant("float32, channels-last", True, None), Variant("float32, NCHW", False, None)]
        if fast.autocast is not None:
            variants.append(Variant(f"fast: {fast.precision}", fast.channels_last, fast.autocast))
        elif args.all_precisions:
            variants.append(Variant("bfloat16 (emulated here)", True, torch.bfloat16))
        torch.manual_seed(0)
        nets = {v.label: page.build() for v in variants}
        extra_nets = [(b(), n, e, bs, nt) for b, n, e, bs, nt in page.extra]
        extra_ms: dict[str, list[tuple[float, float]]] = {v.label: [] for v in variants}
        for r in range(args.rounds):
            k = r % len(variants)
            for v in variants[k:] + variants[:k]:
                tr, ev = _time_steps(nets[v.label], v, page.batch_size, args.steps)
                v.step_ms.append(tr)
                v.eval_ms.append(ev)
                if r == 0:  # the further trainings: one round is enough for an estimate
                    for net, *_rest in extra_nets:
                        extra_ms[v.label].append(_time_steps(net, v, _rest[2], args.steps))
        for v in variants:
            step, ev = statistics.median(v.step_ms), statistics.median(v.eval_ms)
            seconds = page.epochs / cores * (math.ceil(N_TRAIN / page.batch_size) * step
                                     + math.ceil(N_TEST / page.batch_size) * ev) / 1e3
            for (tr_x, ev_x), (_, n, e, bs, nt) in zip(extra_ms[v.label], extra_nets):
                seconds += e / cores * (math.ceil(n / bs) * tr_x + math.ceil(nt / bs) * ev_x) / 1e3
            rows.append((page.section, name, v.label, step, ev, seconds))
            chosen = v.channels_last == fast.channels_last and v.autocast == fast.autocast
            if chosen and seconds > args.budget:
                over.append(name)
            print(f"  {page.section} {name:<9} {v.label:<26} {step:8.1f} ms/step  {ev:7.1f} ms/eval "
                  f"batch  ≈ {seconds:6.0f} s of training{' (fast settings)' if chosen else ''}"
                  f"{'  OVER' if chosen and seconds > args.budget else ''}", flush=True)
    print("\n| page | variant | ms/step | ms/eval batch | est. training s |\n| --- | --- | ---: | ---: | ---: |")
    for section, name, label, step, ev, seconds in rows:
        print(f"| {section} {name} | {label} | {step:.1f} | {ev:.1f} | {seconds:.0f} |")
    clock = (f"CPU time at {torch.get_num_threads()} thread(s), estimates for 2 cores taken as "
             f"one (conservative)" if args.cpu_time else "wall clock")
    print(f"\n{cpu_class()}; load average {os.getloadavg()[0]:.1f} at the end; {clock}; median of "
          f"{args.rounds} rounds of {args.steps} steps. Budget {args.budget:.0f} s per page "
          f"with d2lcore's fast settings: "
          + (f"OVER for {', '.join(over)}" if over else "every page within it"))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
