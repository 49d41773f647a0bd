"""How far an accuracy can be trusted: counts, Wilson intervals and the spread over seeds.

An accuracy measured on n images is a count, ``correct / total``; the test set
is one sample of the images the model will meet, so the count carries sampling
noise. ``wilson`` gives the 95% Wilson score interval for it (good at small n
and near 100%, where the plain ``p +- 1.96 sqrt(p (1 - p) / n)`` is not). On a
digit pair's ~400 test images one image is 0.25 points and the interval at 98%
is about +-1.4 points; on the 2,000 ten-digit images it is about +-1.1 points at
93%. An interval is one model's uncertainty. Two models scored on the same
images are compared with a paired test, ``mcnemar``: only the images one gets
right and the other wrong carry information, and whether the two intervals
overlap is no test at all. A recipe with a random start has a second source of
spread, the seed: ``SeedSpread`` holds one count per seed and reports their mean
and range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import comb

import numpy as np

__all__ = [
    "Z95",
    "Accuracy",
    "Paired",
    "SeedSpread",
    "accuracy",
    "best_on_holdout",
    "confusion_matrix",
    "mcnemar",
    "mcnemar_p",
    "wilson",
]

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


# ---------------------------------------------------------------- two models on the same images


def mcnemar_p(b: int, c: int) -> float:
    """The exact two-sided p-value of McNemar's test from the discordant counts ``b`` and ``c``.

    Under "the two models are equally accurate" each of the ``b + c`` images that exactly one model gets
    right is equally likely to be either model's, so ``b ~ Binomial(b + c, 1/2)``; the p-value is twice the
    smaller tail, ``2 P(X <= min(b, c))``, at most 1 (1 when ``b == c``, also when ``b + c == 0``).
    Computed in whole numbers, exact for any count.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    for name, value in (("b", b), ("c", c)):
        if int(value) != value or value < 0:
            raise ValueError(f"{name}={value!r}: a discordant count is a whole number >= 0")
    b, c = int(b), int(c)
    n = b + c
    tail = sum(comb(n, i) for i in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2**n)


@dataclass(frozen=True)
class Paired:
    """McNemar's exact test of two models A and B on the same images.

    ``b``: images A gets right and B wrong; ``c``: B right and A wrong; ``same``: images both get right or
    both wrong (they say nothing about which is better); ``p``: the exact two-sided p-value.
    """

    b: int
    c: int
    same: int

    @property
    def p(self) -> float:
        return mcnemar_p(self.b, self.c)

    def __str__(self) -> str:
        return f"b = {self.b} (A right, B wrong), c = {self.c} (B right, A wrong), exact McNemar p = {self.p:.3g}"


def mcnemar(right_a: np.ndarray, right_b: np.ndarray) -> Paired:
    """McNemar's exact test from each model's per-image correctness, ``right_a``, ``right_b`` bool ``(n,)``.

    Both must be scored on the same ``n`` images in the same order, e.g. ``right_a = model_a_labels == y``.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    right_a, right_b = np.asarray(right_a), np.asarray(right_b)
    if right_a.shape != right_b.shape or right_a.ndim != 1:
        raise ValueError(
            f"per-image correctness of shapes {right_a.shape} and {right_b.shape}: a paired test needs both "
            "models scored on the same images, one flag per image"
        )
    if right_a.dtype != bool or right_b.dtype != bool:
        raise ValueError("pass per-image correctness as booleans (labels == y), not labels or scores")
    b = int(np.sum(right_a & ~right_b))
    c = int(np.sum(~right_a & right_b))
    return Paired(b, c, len(right_a) - b - c)
