"""digitlab: logistic and softmax regression on MNIST, for teaching.

The package holds what the numbered notebooks reuse, in the order data flows:
``idx`` and ``data`` (files -> arrays), ``splits`` (the report's protocol),
``kernels`` (losses and gradients), ``descent`` (the training loop and its
``Fit``), ``plots`` and ``explorer`` (figures and the lambda slider). It
favours clarity over cleverness; every public function says which notebook
introduces it.
"""

from .data import MNIST, MNISTFileError, load_mnist
from .descent import DivergedError, Fit, fit_logistic, fit_softmax
from .idx import IDXError, read_idx
from .kernels import (
    check_gradient,
    logistic_curvature,
    logistic_loss,
    logistic_predict,
    sigmoid,
    softmax,
    softmax_loss,
    softmax_predict,
)
from .splits import Data, Splits, digit_pair, seed_splits

__version__ = "0.1.0"
__all__ = [
    "MNIST",
    "Data",
    "DivergedError",
    "Fit",
    "IDXError",
    "MNISTFileError",
    "Splits",
    "check_gradient",
    "digit_pair",
    "fit_logistic",
    "fit_softmax",
    "load_mnist",
    "logistic_curvature",
    "logistic_loss",
    "logistic_predict",
    "read_idx",
    "seed_splits",
    "sigmoid",
    "softmax",
    "softmax_loss",
    "softmax_predict",
]
