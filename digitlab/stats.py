"""How far an accuracy can be trusted: counts, Wilson intervals and the spread over seeds.

An accuracy measured on n images is a count, ``correct / total``; the test set
is one sample of the images the model will meet, so the count carries sampling
noise. ``wilson`` gives the 95% Wilson score interval for it (good at small n
and near 100%, where the plain ``p +- 1.96 sqrt(p (1 - p) / n)`` is not). On a
digit pair's ~400 test images one image is 0.25 points and the interval at 98%
is about +-1.4 points; on the 2,000 ten-digit images it is about +-1 point at
93%. Two accuracies whose intervals overlap widely are not told apart by that
test set. A recipe with a random start has a second source of spread, the seed:
``SeedSpread`` holds one count per seed and reports their mean and range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Z95", "Accuracy", "SeedSpread", "accuracy", "best_on_holdout", "confusion_matrix", "wilson"]

Z95 = 1.959963984540054  # the two-sided 95% point of the standard normal


def wilson(correct: float, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval ``(low, high)`` for ``correct`` successes out of ``total``.

    ``correct`` may be a mean count (not a whole number), as for the mean over seeds.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    if total <= 0:
        raise ValueError(f"total={total!r}: an accuracy needs at least one image")
    if not 0 <= correct <= total:
        raise ValueError(f"correct={correct!r} must lie in 0..total={total}")
    p = correct / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z / (1 + z2 / total) * np.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


@dataclass(frozen=True)
class Accuracy:
    """``correct`` of ``total`` images right; ``value`` the fraction, ``interval`` its 95% Wilson interval."""

    correct: int
    total: int

    @property
    def value(self) -> float:
        return self.correct / self.total

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.correct, self.total)

    def __str__(self) -> str:
        low, high = self.interval
        return f"{100 * self.value:.2f}% ({self.correct}/{self.total}; 95% CI {100 * low:.1f}-{100 * high:.1f})"


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> Accuracy:
    """The ``Accuracy`` of predictions ``y_pred (n,)`` against labels ``y_true (n,)``.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"labels {y_true.shape} and predictions {y_pred.shape} differ in shape")
    return Accuracy(int(np.sum(y_true == y_pred)), len(y_true))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """``C (k, k)``, ``C[i, j]`` the number of images of true label i predicted as j; ``y_true``, ``y_pred (n,)``.

    Introduced in ``04_softmax_regression.ipynb``.
    """
    C = np.zeros((k, k), dtype=np.int64)
    np.add.at(C, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return C


def best_on_holdout(lams: Sequence[float], holdout_acc: Sequence[float]) -> float:
    """The lambda of the best hold-out accuracy; of equals, the larger lambda (the simpler model).

    ``lams``, ``holdout_acc`` : shape (k,), in any order. The one tie rule of the project.
    Introduced in ``03_regularization.ipynb``.
    """
    lams, holdout_acc = np.asarray(lams, dtype=np.float64), np.asarray(holdout_acc)
    return float(lams[holdout_acc == holdout_acc.max()].max())


@dataclass(frozen=True)
class SeedSpread:
    """One count per seed on the same ``total`` images: the mean, its Wilson interval, the range over seeds.

    The Wilson interval of the mean count is the test-set sampling noise; the range is the spread that the
    random start adds. Both matter when a number is compared with another.

    Introduced in ``04_softmax_regression.ipynb``.
    """

    correct: tuple[int, ...]
    total: int

    @classmethod
    def of(cls, accuracies: Sequence[Accuracy]) -> SeedSpread:
        totals = {a.total for a in accuracies}
        if len(totals) != 1:
            raise ValueError(f"the seeds were measured on different totals {sorted(totals)}")
        return cls(tuple(a.correct for a in accuracies), totals.pop())

    @property
    def mean(self) -> float:
        return float(np.mean(self.correct)) / self.total

    @property
    def sd(self) -> float:
        """The standard deviation over seeds (n - 1 in the denominator), as a fraction."""
        return float(np.std(self.correct, ddof=1)) / self.total if len(self.correct) > 1 else 0.0

    @property
    def low(self) -> float:
        return min(self.correct) / self.total

    @property
    def high(self) -> float:
        return max(self.correct) / self.total

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(float(np.mean(self.correct)), self.total)

    def __str__(self) -> str:
        low, high = self.interval
        return (
            f"{100 * self.mean:.2f}% (mean {np.mean(self.correct):g}/{self.total}; 95% CI {100 * low:.1f}-"
            f"{100 * high:.1f}; {len(self.correct)} seeds {100 * self.low:.2f}-{100 * self.high:.2f}, "
            f"sd {100 * self.sd:.2f})"
        )
