"""Test accuracy of the §4.2/§4.3 MLPs over seeds, in full mode (10 epochs, lr 0.1, batch 256).

The thresholds that pages 4.2 and 4.3 assert come from these runs (the numbers are in comments
next to the asserts). One JSON line per run: the final and per-epoch test accuracy.

    python benchmarks/mlp_seeds.py            # seeds 0-4, three variants, 15 runs
    python benchmarks/mlp_seeds.py 0,1        # other seeds

Variants: ``scratch`` = §4.2 (N(0, 0.01^2) init, d2l.sgd on the summed loss, the page's RNG
order); ``concise-default`` = §4.3 (nn.Linear's default init, torch.optim.SGD on the mean loss);
``concise-book`` = §4.3 with the book's N(0, 0.01^2) init. One thread: on a loaded machine two
OpenMP threads spend most of their time waiting for each other.
"""
import json
import sys
import time

import torch
from torch import nn

import d2lcore as d2l

torch.set_num_threads(1)  # a loaded 2-core machine: no OpenMP barrier spinning

SEEDS = [int(s) for s in sys.argv[1].split(",")] if len(sys.argv) > 1 else [0, 1, 2, 3, 4]


def scratch(seed):
    d2l.seed(seed)
    train_iter, test_iter = d2l.load_fashion_mnist(256)
    next(iter(train_iter))  # the page draws one batch before the init
    W1 = nn.Parameter(torch.randn(784, 256) * 0.01)
    b1 = nn.Parameter(torch.zeros(256))
    W2 = nn.Parameter(torch.randn(256, 10) * 0.01)
    b2 = nn.Parameter(torch.zeros(10))
    params = [W1, b1, W2, b2]
    def net(X):
        return d2l.relu(X.reshape(-1, 784) @ W1 + b1) @ W2 + b2

    return d2l.fit(net, train_iter, d2l.cross_entropy_logits, 10,
                   lambda n: d2l.sgd(params, 0.1, n), test_iter=test_iter)


def concise(seed, book_init):
    d2l.seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    if book_init:
        for m in net:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.01)
                nn.init.zeros_(m.bias)
    train_iter, test_iter = d2l.load_fashion_mnist(256)
    return d2l.fit(net, train_iter, nn.CrossEntropyLoss(reduction="none"), 10,
                   torch.optim.SGD(net.parameters(), lr=0.1), test_iter=test_iter)


VARIANTS = [("scratch", lambda s: scratch(s)),
            ("concise-default", lambda s: concise(s, False)),
            ("concise-book", lambda s: concise(s, True))]
for name, run in VARIANTS:
    for seed in SEEDS:
        t = time.time()
        h = run(seed)
        row = {"variant": name, "seed": seed, "final_test_acc": round(h.final.test_acc, 4),
               "final_train_loss": round(h.final.train_loss, 4), "seconds": round(time.time() - t, 1),
               "test_acc_per_epoch": [round(a, 4) for a in h.column("test_acc")]}
        print(json.dumps(row), flush=True)
