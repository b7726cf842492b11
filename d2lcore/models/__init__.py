"""Model architectures: blocks, config tables and thin builders, with the width and input
size as parameters so one class serves the book's model and a CPU-sized one. The chapter-7
models share one scaffold (``scaffold.ImageClassifier``: input checks, the minimum resolution
walked from the layers). Models never import the training loop."""

from . import alexnet, googlenet, lenet, nin, pooling, resnet, scaffold, summary, vgg
from .alexnet import *  # noqa: F403
from .googlenet import *  # noqa: F403
from .lenet import *  # noqa: F403
from .nin import *  # noqa: F403
from .pooling import *  # noqa: F403
from .resnet import *  # noqa: F403
from .scaffold import *  # noqa: F403
from .summary import *  # noqa: F403
from .vgg import *  # noqa: F403

__all__ = [
    *summary.__all__, *scaffold.__all__, *pooling.__all__, *lenet.__all__, *alexnet.__all__, *vgg.__all__, *nin.__all__,
    *googlenet.__all__, *resnet.__all__,
]  # fmt: skip
