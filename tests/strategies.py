"""Hypothesis strategies shared by the tests (one file, as in minitorch's tests/strategies.py).

Each block is headed by the module whose tests use it; add yours with a small edit.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# --- ops.classify (§3.4–3.7): logits and labels ------------------------------------------


@st.composite
def logits(
    draw: st.DrawFn, max_rows: int = 8, max_classes: int = 12, bound: float = 1000.0
) -> torch.Tensor:
    """A float64 (n, q) matrix of scores in [-bound, bound]; the default reaches ±1000, where
    a naive exp overflows."""
    n = draw(st.integers(1, max_rows))
    q = draw(st.integers(1, max_classes))
    elements = st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)
    return torch.from_numpy(draw(hnp.arrays(np.float64, (n, q), elements=elements)))


@st.composite
def logits_and_labels(
    draw: st.DrawFn, max_rows: int = 8, max_classes: int = 12, bound: float = 1000.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scores (n, q) as in :func:`logits` and int64 labels (n,) in [0, q)."""
    O = draw(logits(max_rows, max_classes, bound))
    n, q = O.shape
    y = draw(st.lists(st.integers(0, q - 1), min_size=n, max_size=n))
    return O, torch.tensor(y, dtype=torch.int64)


# --- ops.mlp (§4.1–4.8): element-wise inputs, dropout probabilities ----------------------


@st.composite
def float_arrays(
    draw: st.DrawFn, max_dims: int = 3, max_side: int = 6, bound: float = 50.0
) -> torch.Tensor:
    """A float64 tensor of rank 0 … ``max_dims`` with values in [-bound, bound] (zeros and
    ±bound included, so activations are checked at their kink and in their saturated tails)."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=1, max_side=max_side))
    elements = st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)
    return torch.from_numpy(draw(hnp.arrays(np.float64, shape, elements=elements)))


def dropout_probabilities() -> st.SearchStrategy[float]:
    """A dropout probability p in [0, 1], with the edge cases 0 and 1 drawn often."""
    return st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0, exclude_max=True))


# --- ops.linear, data.loader, train (§3.1–3.3): regression problems, batch sizes ----------


@st.composite
def linreg_inputs(
    draw: st.DrawFn, max_rows: int = 8, max_features: int = 6, bound: float = 10.0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Float64 ``X`` (n, d), ``w`` (d,) or (d, 1) and a scalar ``b`` for ŷ = Xw + b."""
    n = draw(st.integers(1, max_rows))
    d = draw(st.integers(1, max_features))
    elements = st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)
    X = torch.from_numpy(draw(hnp.arrays(np.float64, (n, d), elements=elements)))
    w_shape = draw(st.sampled_from([(d,), (d, 1)]))
    w = torch.from_numpy(draw(hnp.arrays(np.float64, w_shape, elements=elements)))
    b = torch.tensor(draw(elements), dtype=torch.float64)
    return X, w, b


def loader_sizes() -> st.SearchStrategy[tuple[int, int]]:
    """(number of examples, batch size), including a batch larger than the data set and
    sizes that leave a last, partial batch."""
    return st.tuples(st.integers(1, 50), st.integers(1, 60))


# --- ops.conv (§6.2–6.5): convolution and pooling problems -----------------------------------


@st.composite
def conv_problems(
    draw: st.DrawFn, max_batch: int = 3, max_channels: int = 4, max_size: int = 9, max_kernel: int = 4
) -> dict[str, object]:
    """A float64 conv2d problem whose kernel fits the padded input: ``X`` (n, c_i, h, w),
    ``weight`` (c_o, c_i, k_h, k_w), ``bias`` (c_o,) or None, ``stride`` and ``padding`` pairs."""
    n, c_i, c_o = (draw(st.integers(1, m)) for m in (max_batch, max_channels, max_channels))
    k = (draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    hw = tuple(draw(st.integers(max(1, k[d] - 2 * p[d]), max_size)) for d in range(2))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    X = torch.randn(n, c_i, *hw, dtype=torch.float64, generator=g)
    weight = torch.randn(c_o, c_i, *k, dtype=torch.float64, generator=g)
    bias = torch.randn(c_o, dtype=torch.float64, generator=g) if draw(st.booleans()) else None
    return {"X": X, "weight": weight, "bias": bias, "stride": s, "padding": p}


@st.composite
def pool_problems(draw: st.DrawFn, max_size: int = 9, max_window: int = 4) -> dict[str, object]:
    """A float64 pooling problem as ``F.max_pool2d`` accepts it: padding ≤ half the window,
    the window fits the padded input; ``stride`` may be None (= the window)."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    k = (draw(st.integers(1, max_window)), draw(st.integers(1, max_window)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    hw = tuple(draw(st.integers(max(1, k[d] - 2 * p[d]), max_size)) for d in range(2))
    s = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    X = torch.randn(n, c, *hw, dtype=torch.float64, generator=g)
    return {"X": X, "pool_size": k, "stride": s, "padding": p}


# --- ops.norm (§7.5): batch-norm problems -----------------------------------------------------


@st.composite
def batch_norm_problems(draw: st.DrawFn, max_batch: int = 6, max_channels: int = 5, max_size: int = 5) -> dict[str, object]:
    """A float64 batch-norm problem: ``X`` (n, d) or (n, c, h, w) with more than one value per
    feature, ``gamma``/``beta`` and running statistics (c,), ``eps`` and ``momentum``."""
    conv = draw(st.booleans())
    c = draw(st.integers(1, max_channels))
    hw = (draw(st.integers(1, max_size)), draw(st.integers(1, max_size))) if conv else ()
    min_batch = 2 if not conv or hw == (1, 1) else 1
    n = draw(st.integers(min_batch, max_batch))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    scale = draw(st.sampled_from([1e-2, 1.0, 1e2]))
    X = torch.randn(n, c, *hw, dtype=torch.float64, generator=g) * scale + torch.randn(1, dtype=torch.float64, generator=g)
    return {
        "X": X,
        "gamma": torch.randn(c, dtype=torch.float64, generator=g),
        "beta": torch.randn(c, dtype=torch.float64, generator=g),
        "moving_mean": torch.randn(c, dtype=torch.float64, generator=g),
        "moving_var": torch.rand(c, dtype=torch.float64, generator=g) + 0.5,
        "eps": draw(st.sampled_from([1e-5, 1e-3])),
        "momentum": draw(st.sampled_from([0.1, 0.5, 1.0])),
    }
