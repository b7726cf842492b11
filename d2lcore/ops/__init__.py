"""From-scratch functional operations: the lessons of the book, written by hand and tested
against ``torch.nn.functional``. This package imports nothing else of d2lcore but
:mod:`d2lcore.validate`.

One file per idea: :mod:`.linear` (§3.1–3.2), :mod:`.classify` (§3.4–3.6), :mod:`.mlp`
(§4.1–4.8), :mod:`.conv` (§6.2–6.5), :mod:`.norm` (§7.5).
"""

from . import classify, conv, linear, mlp, norm
from .classify import *  # noqa: F403
from .conv import *  # noqa: F403
from .linear import *  # noqa: F403
from .mlp import *  # noqa: F403
from .norm import *  # noqa: F403

__all__ = [*linear.__all__, *classify.__all__, *mlp.__all__, *conv.__all__, *norm.__all__]
