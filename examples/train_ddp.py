"""Train §7.6's ResNet-18 in the book's configuration on N processes (data parallel).

    torchrun --nproc-per-node=N examples/train_ddp.py                # the book: 96×96, 10 epochs
    torchrun --nproc-per-node=2 examples/train_ddp.py --epochs 1 --train-examples 512 \
        --test-examples 256 --batch-size 64 --resize 32 --width 0.125 --threads 1   # a CPU try

Every process runs this script; ``d2l.fit`` finds torchrun's variables, starts the process
group (gloo on CPUs, nccl on GPUs: one GPU per process, ``--nproc-per-node`` ≤ GPUs), wraps
the model in DistributedDataParallel and gives each process its part of every minibatch, so
``--batch-size`` is the whole minibatch, as in one process. Only rank 0 draws progress, prints
and writes the checkpoint. Without torchrun, ``python examples/train_ddp.py`` trains in one
process. See the appendix page "多 GPU 与多机训练" (chapters/appendix/multi_gpu.md).
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.distributed
from torch import nn

import d2lcore as d2l


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=10, help="the book: 10")
    p.add_argument("--batch-size", type=int, default=256, help="the whole minibatch (the book: 256)")
    p.add_argument("--lr", type=float, default=0.05, help="SGD learning rate (the book: 0.05)")
    p.add_argument("--resize", type=int, default=96, help="image side (the book: 96)")
    p.add_argument("--width", type=float, default=1.0, help="channel multiplier (the book: 1)")
    p.add_argument("--train-examples", type=int, default=None, help="use the first N (default all 60,000)")
    p.add_argument("--test-examples", type=int, default=None, help="use the first N (default all 10,000)")
    p.add_argument("--device", default=None, help="cpu or cuda (default: d2l.device())")
    p.add_argument("--threads", type=int, default=None, help="CPU threads per process")
    p.add_argument("--checkpoint", default=None, help="a file written after each epoch by rank 0")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint (every rank loads it)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if args.resume and not args.checkpoint:
        p.error("--resume needs --checkpoint FILE to resume from")
    return args


def first(loader: d2l.ArrayLoader, n: int | None) -> d2l.ArrayLoader:
    """The loader over its first ``n`` examples (all when ``n`` is None)."""
    if n is None:
        return loader
    return d2l.ArrayLoader(loader.features[:n], loader.labels[:n], loader.batch_size,
                           shuffle=loader.shuffle, convert=loader.convert)  # fmt: skip


def main() -> None:
    args = parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    d2l.seed(args.seed)  # the same on every rank; DDP starts all ranks from rank 0's weights
    device = d2l.device(args.device)
    net = d2l.ResNet18(resolution=args.resize, width=args.width)
    train_iter, test_iter = d2l.load_fashion_mnist(args.batch_size, resize=args.resize)
    train_iter, test_iter = first(train_iter, args.train_examples), first(test_iter, args.test_examples)
    main_process = d2l.distributed.is_main_process()
    history = d2l.fit(
        net, train_iter, nn.CrossEntropyLoss(), args.epochs,
        torch.optim.SGD(net.parameters(), lr=args.lr), test_iter=test_iter, device=device,
        parts=[d2l.Progress(), d2l.Precision("float32", channels_last=True),
               *([d2l.Checkpoint(args.checkpoint, resume=args.resume)] if args.checkpoint else [])],
    )  # fmt: skip
    if main_process:
        world = torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1
        per_epoch = history.seconds / max(len(history), 1)
        print(f"{world} process(es) on {device.type}, {torch.get_num_threads()} thread(s) each: "
              f"{history.summary()}; {per_epoch:.1f} s per epoch")  # fmt: skip
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    if d2l.distributed.is_main_process():
        print(f"wall time {time.perf_counter() - t0:.1f} s")
