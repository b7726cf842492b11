"""The from-scratch convolution against PyTorch's: forward + backward time per call.

``d2lcore.conv2d`` (§6.2–6.4: im2col with ``as_strided``, then one matrix product per chunk of
images; col2im in the backward pass) against ``torch.nn.functional.conv2d`` (oneDNN / cuDNN),
on two shapes:

- LeNet's second convolution (§6.6): a batch of 256, 6 → 16 channels, 14×14, 5×5 kernel;
- a VGG block's convolution (§7.2): a batch of 32, 64 → 64 channels, 56×56, 3×3, padding 1;

and, for contrast, the book's loop ``corr2d_multi_in_out`` on one image of the LeNet shape
(forward only; it is far too slow for a batch).

Each variant is timed ``--repeats`` times after a warm-up (the median is reported, the minimum
beside it), with the variants alternating so that each sees the same machine load. The input
and the weights require gradients, so the backward pass computes all three gradients.
By default PyTorch runs on one thread (``--threads``): on a shared machine more threads mostly
measure the other jobs. The last line is the ratio d2lcore / PyTorch on the VGG-block shape
(the target is within 2×).

    .venv/bin/python benchmarks/bench_conv.py [--repeats 5] [--threads 1] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

import d2lcore as d2l

SHAPES = {  # name: (batch, c_in, height, width, c_out, kernel, padding)
    "LeNet conv2": (256, 6, 14, 14, 16, 5, 0),
    "VGG block conv": (32, 64, 56, 56, 64, 3, 1),
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_call(fn: Callable[[], None], repeats: int, device: torch.device) -> list[float]:
    fn()  # warm-up
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def fwd_bwd(conv: Callable[..., torch.Tensor], X: torch.Tensor, W: torch.Tensor, b: torch.Tensor,
            padding: int) -> Callable[[], None]:  # fmt: skip
    def run() -> None:
        X.grad = W.grad = b.grad = None
        conv(X, W, b, 1, padding).sum().backward()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (0: leave)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = d2l.device(args.device)
    torch.manual_seed(0)

    print(f"torch {torch.__version__}, device {device}, {torch.get_num_threads()} thread(s), "
          f"median of {args.repeats} (min in brackets), forward + backward")
    print(f"{'shape':<16} {'variant':<26} {'ms / call':>18} {'vs F.conv2d':>12}")
    ratios = {}
    for name, (n, c_i, h, w, c_o, k, p) in SHAPES.items():
        X = torch.randn(n, c_i, h, w, device=device, requires_grad=True)
        W = torch.randn(c_o, c_i, k, k, device=device, requires_grad=True)
        b = torch.randn(c_o, device=device, requires_grad=True)
        assert torch.allclose(d2l.conv2d(X, W, b, 1, p), F.conv2d(X, W, b, 1, p), rtol=1e-3, atol=1e-2)
        runs: dict[str, list[float]] = {"F.conv2d (PyTorch)": [], "d2l.conv2d (im2col)": []}
        fns = {"F.conv2d (PyTorch)": fwd_bwd(F.conv2d, X, W, b, p),
               "d2l.conv2d (im2col)": fwd_bwd(d2l.conv2d, X, W, b, p)}  # fmt: skip
        for _ in range(args.repeats):  # alternate, one call at a time
            for variant, fn in fns.items():
                runs[variant] += time_call(fn, 1, device)
        base = statistics.median(runs["F.conv2d (PyTorch)"])
        for variant, times in runs.items():
            med = statistics.median(times)
            print(f"{name:<16} {variant:<26} {med * 1e3:9.1f} ({min(times) * 1e3:6.1f}) {med / base:11.2f}×")
        ratios[name] = statistics.median(runs["d2l.conv2d (im2col)"]) / base
        if name == "LeNet conv2":
            x1, W1 = X[0].detach().cpu(), W.detach().cpu()
            cpu = torch.device("cpu")
            # the lambdas are called at once, inside this iteration (B023 does not apply)
            loop = time_call(lambda: d2l.corr2d_multi_in_out(x1, W1), 1, cpu)[0]  # noqa: B023
            one = statistics.median(time_call(lambda: F.conv2d(X[:1], W, b), args.repeats, device))  # noqa: B023
            print(f"{name:<16} {'loop corr2d, 1 image, fwd':<26} {loop * 1e3:9.1f} {'':8} "
                  f"{loop / one:11.0f}× (vs F.conv2d fwd, 1 image)")
    print(f"ratio d2l.conv2d / F.conv2d (forward + backward): LeNet conv2 {ratios['LeNet conv2']:.2f}×, "
          f"VGG block conv {ratios['VGG block conv']:.2f}× (target ≤ 2×)")


if __name__ == "__main__":
    main()
