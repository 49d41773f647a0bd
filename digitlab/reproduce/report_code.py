"""The report's softmax code as it ran (its appendix 6.2), beside the restarted recipe.

The recipe column of the results table is an interpretation of the report's text: every lambda restarts from
the same standard-normal start. The appendix code does otherwise, and this module does what it does:

- one weight matrix is carried through the whole search, in the code's order: L1 before L2
  (``regularization_types = ["L1", "L2"]``), each penalty's lambdas in the order listed; the annealed rate
  restarts at eta0 for each lambda, the weights do not;
- ``epoch_for_tuning_parameters = 10`` full-batch epochs per lambda (its text says 1,000);
- ``classes = 1000``: the weights are ``(785, 1000)`` and the softmax runs over 1,000 columns, 990 of them
  classes no image has; a prediction is the arg max over all 1,000;
- the summed loss, eta0 = 0.0015, T = 3, and the penalty's gradient ``lam * W`` (L2; half of the gradient of
  its written ``lam * sum w^2``) or ``lam * sign(W)`` (L1) on every row, the bias row included;
- the hold-out accuracy is computed once per lambda, after its 10 epochs (the listing's indentation), so its
  early-stopping counter, reset for each lambda, never stops anything; per penalty the weights of the first
  lambda with the highest hold-out accuracy are kept and scored on the test set.

Its listing runs the search on the first lambda set, ``lambdas_set_1 = [0.01, 0.001, 0.0001]``, only; the results
table's row for the code is that set.

The start: the same standard-normal draw as the recipe's (``descent``'s ``init="normal"``, same seed) for the
ten real classes, then the 990 other columns drawn after it from the same generator, in float32 as the code's.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np

from ..kernels import softmax_predict, softmax_scores_loss
from ..progress import Progress
from ..splits import Splits
from ..stats import Accuracy, accuracy

__all__ = ["CLASSES", "EPOCHS", "ORDER", "CodeRun", "code_choice", "report_code_search", "report_code_start"]

CLASSES = 1000  # the appendix's `classes = 1000`
EPOCHS = 10  # the appendix's `epoch_for_tuning_parameters = 10`
ORDER = ("l1", "l2")  # the appendix's `regularization_types = ["L1", "L2"]`
ETA0, T = 0.0015, 3.0


@dataclass
class CodeRun:
    """One lambda of the carried search: the weights ``w (785, CLASSES)`` after its epochs, and their scores."""

    penalty: str
    lam: float
    w: np.ndarray
    holdout: Accuracy
    test: Accuracy


def report_code_start(seed: int, dimensions: int = 785, classes: int = CLASSES) -> np.ndarray:
    """The start ``(dimensions, classes)`` float32: the recipe's ten standard-normal columns, then the rest."""
    rng = np.random.default_rng(seed)
    ten = rng.standard_normal((dimensions, 10))  # exactly the recipe's start for this seed
    rest = rng.standard_normal((dimensions, classes - 10))
    return np.hstack([ten, rest]).astype(np.float32)


def report_code_search(
    splits: Splits,
    lams: Sequence[float],
    seed: int = 0,
    order: Sequence[str] = ORDER,
    epochs: int = EPOCHS,
    classes: int = CLASSES,
    dtype=np.float32,
    progress: bool = False,
) -> list[CodeRun]:
    """The appendix's ``hyper_parameters_tuning`` on ``lams``: one ``CodeRun`` per (penalty, lambda), in its order.

    Parameters
    ----------
    splits : Splits
        All ten digits (``seed_splits()``); ``X (n, 785)``, labels 0-9.
    lams : sequence of float
        One of the report's lambda sets, on the summed loss, in the order the code lists them.
    seed : int
        The start (``report_code_start``).
    dtype : float32 (default) or float64
        The code's arithmetic is float64 after its first step. Measured here, float32 gives the same hold-out
        and test counts (seed 0, all six runs) in half the time.

    The choice, as the code makes it: per penalty the first run of the highest hold-out accuracy
    (``code_choice``).
    """
    X, y = splits.train.X.astype(dtype), splits.train.y
    n = len(y)
    W = report_code_start(seed, X.shape[1], classes).astype(dtype)
    eta0 = dtype(ETA0)
    runs = []
    label = f"the report's code, seed {seed}, lambdas {', '.join(f'{lam:g}' for lam in lams)}"
    with Progress(len(order) * len(lams) * epochs, label, "epochs") if progress else nullcontext() as bar:
        for penalty in order:
            for lam in lams:
                for i in range(epochs):
                    _, grad, _ = softmax_scores_loss(W, X, y)  # the mean loss's gradient: times n is the sum's
                    shrink = W if penalty == "l2" else np.sign(W)  # its lambd * weights, or lambd * np.sign(weights)
                    W = W - eta0 / dtype(1 + i / T) * (dtype(n) * grad + dtype(lam) * shrink)
                    if bar is not None:
                        bar.advance()
                scored = [accuracy(d.y, softmax_predict(W, d.X)) for d in (splits.holdout, splits.test)]
                runs.append(CodeRun(penalty, float(lam), W, *scored))
    return runs


def code_choice(runs: Sequence[CodeRun], penalty: str) -> CodeRun:
    """The code's choice for ``penalty``: the first run with the highest hold-out accuracy (its strict ``>``)."""
    mine = [run for run in runs if run.penalty == penalty]
    best = max(run.holdout.correct for run in mine)
    return next(run for run in mine if run.holdout.correct == best)
