"""digitlab: logistic and softmax regression on MNIST, for teaching.

The package holds what the numbered notebooks reuse, in wings that import
downward only (``docs/architecture.md`` draws them):

- ground floor: ``validate`` (every argument check), ``stats`` (accuracies,
  intervals, the hold-out choice), ``progress`` (progress bars), ``threads``
  (the BLAS thread policy), ``palette`` (colours and limits);
- data: ``idx`` and ``data`` (files -> arrays), ``fetch`` (downloads),
  ``splits`` (the report's protocol);
- models: ``kernels`` (losses and gradients), ``descent`` (the training loop,
  readable, and the fast engine held equal to it; ``Fit``), ``solvers``
  (L-BFGS-B and Newton steps), ``optimum`` (the one solve pipeline);
- pictures: ``plots``;
- on top: ``explorer`` (the lambda slider), ``checks`` (feedback on
  coursework), ``reproduce`` (the report's experiments and the results file).

It favours clarity over cleverness. The names below are the public face the
notebooks use; the functions a notebook introduces say which one.
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
