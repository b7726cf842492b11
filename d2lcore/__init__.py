"""d2lcore: the small, tested library behind the D2L Companion (chapters 3–7 of *Dive into
Deep Learning*). Import it as ``import d2lcore as d2l``.

This module only re-exports the public names of the modules below it:
:mod:`~d2lcore.config` (mode, data root, device, seed, precision), :mod:`~d2lcore.precision`
(the fast precision and layout per device), :mod:`~d2lcore.ops` (from-scratch operations),
:mod:`~d2lcore.data`, :mod:`~d2lcore.models`, :mod:`~d2lcore.train`, :mod:`~d2lcore.progress`
and :mod:`~d2lcore.plot`.
"""

from . import (
    config,
    data,
    distributed,  # noqa: F401 (several processes under torchrun; not star-imported)
    models,
    ops,
    precision,
    progress,
    results,
    train,
    validate,  # noqa: F401 (argument checks, for readers who extend d2lcore)
)
from . import plot as _plot_module
from .config import *  # noqa: F403
from .data import *  # noqa: F403
from .models import *  # noqa: F403
from .ops import *  # noqa: F403
from .plot import *  # noqa: F403
from .precision import *  # noqa: F403
from .progress import *  # noqa: F403
from .results import *  # noqa: F403
from .train import *  # noqa: F403

__version__ = "0.1.0"

# ``d2lcore.plot`` is the function (as in the book); the module is ``d2lcore._plot_module``
# here and ``import d2lcore.plot`` still imports the module.

__all__ = [
    *config.__all__, *ops.__all__, *data.__all__, *models.__all__, *train.__all__,
    *precision.__all__, *progress.__all__, *results.__all__, *_plot_module.__all__,
]  # fmt: skip
