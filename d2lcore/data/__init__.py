"""Data: synthetic data with a known answer, minibatch loaders, Fashion-MNIST, K-fold splits."""

from . import fashion_mnist, kfold, loader, synthetic
from .fashion_mnist import *  # noqa: F403
from .kfold import *  # noqa: F403
from .loader import *  # noqa: F403
from .synthetic import *  # noqa: F403

__all__ = [*synthetic.__all__, *loader.__all__, *fashion_mnist.__all__, *kfold.__all__]
