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
