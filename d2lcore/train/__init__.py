"""Training: :func:`fit` (the one loop every chapter uses), evaluation, checkpoints, and
what a run reports and leaves behind. One idea per module:

- :mod:`~d2lcore.train.history`: :class:`EpochStats`, :class:`History` and its summary line;
- :mod:`~d2lcore.train.callbacks`: the :class:`Callback` protocol fit reports to;
- :mod:`~d2lcore.train.errors`: :class:`TrainingError`, :class:`DivergedError`;
- :mod:`~d2lcore.train.checks`: the argument checks;
- :mod:`~d2lcore.train.evaluate`: evaluation and the meter training shares with it;
- :mod:`~d2lcore.train.checkpoint`: save/load, RNG state, the atomic writer;
- :mod:`~d2lcore.train.parts`: what fit takes in ``parts=[...]`` (:class:`Checkpoint`,
  :class:`TestLoss`, besides callbacks, a precision policy and a scheduler);
- :mod:`~d2lcore.train.legacy`: fit's deprecated keyword arguments, folded into parts;
- :mod:`~d2lcore.train.strategy`: one process, or several under torchrun (DDP);
- :mod:`~d2lcore.train.loop`: :func:`fit` and one epoch of it.

This module knows nothing of plotting (``d2lcore.progress`` draws through a callback).
"""

import torch  # noqa: F401 (d2lcore.train.torch, as before the package split)

from .callbacks import Callback
from .checkpoint import load_checkpoint, save_checkpoint
from .errors import DivergedError, TrainingError
from .evaluate import evaluate_accuracy, evaluate_loss
from .history import EpochStats, History
from .loop import fit
from .parts import Checkpoint, TestLoss

__all__ = [
    "EpochStats",
    "History",
    "Callback",
    "TrainingError",
    "DivergedError",
    "fit",
    "Checkpoint",
    "TestLoss",
    "evaluate_accuracy",
    "evaluate_loss",
    "save_checkpoint",
    "load_checkpoint",
]
