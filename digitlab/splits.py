"""The report's protocol: which images train, which hold out, which test.

From the report's text: the first 20,000 training images, of which the first
10% (2,000) are the hold-out set and the other 18,000 train; the last 2,000
test images are the test set. Pixels are scaled to [0, 1] and a bias feature
1 is put in column 0, so every design matrix is ``(n, 785)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import validate
from .data import MNIST, load_mnist

__all__ = ["Data", "Splits", "digit_pair", "features", "lit_pixels", "seed_splits"]

N_POOL, N_HOLDOUT, N_TEST = 20_000, 2_000, 2_000


class Data(NamedTuple):
    """One split: ``X float64 (n, 785)`` with the bias in column 0, ``y int64 (n,)``."""

    X: np.ndarray
    y: np.ndarray


class Splits(NamedTuple):
    """The report's three splits."""

    train: Data
    holdout: Data
    test: Data


def features(images: np.ndarray) -> np.ndarray:
    """Images ``uint8 (n, 28, 28)`` -> design matrix ``float64 (n, 785)``: bias 1, then pixels / 255."""
    n = len(images)
    X = np.empty((n, 785))
    X[:, 0] = 1.0
    np.divide(images.reshape(n, 784), 255.0, out=X[:, 1:])
    return X


def seed_splits(mnist: MNIST | None = None) -> Splits:
    """The report's splits of MNIST (loaded from ``data/`` when not given).

    Returns
    -------
    Splits
        ``train`` 18,000, ``holdout`` 2,000 and ``test`` 2,000 images as ``Data(X, y)``.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    if mnist is not None:
        validate.mnist(mnist)
    m = load_mnist() if mnist is None else mnist
    pool_X, pool_y = m.train_images[:N_POOL], m.train_labels[:N_POOL].astype(np.int64)
    test_X, test_y = m.test_images[-N_TEST:], m.test_labels[-N_TEST:].astype(np.int64)
    return Splits(
        train=Data(features(pool_X[N_HOLDOUT:]), pool_y[N_HOLDOUT:]),
        holdout=Data(features(pool_X[:N_HOLDOUT]), pool_y[:N_HOLDOUT]),
        test=Data(features(test_X), test_y),
    )


def digit_pair(splits: Splits, a: int, b: int) -> Splits:
    """The splits restricted to digits ``a`` and ``b``, relabelled ``y = 0`` for a and ``y = 1`` for b.

    Raises ``ValueError`` when a or b is not a digit 0-9 (an int: not a bool, string or float) or when
    they are equal.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    a, b = validate.digits(a, b)

    def restrict(data: Data) -> Data:
        keep = (data.y == a) | (data.y == b)
        return Data(data.X[keep], (data.y[keep] == b).astype(np.int64))

    return Splits(*(restrict(d) for d in splits))


def lit_pixels(X: np.ndarray) -> np.ndarray:
    """The columns of ``X (n, d)`` that some row lights (non-zero), ``int (m,)``; the bias column 0 first.

    A pixel no training image lights gets no gradient from the data, so either penalty holds its weight
    at exactly 0: the solvers and the descent leave those columns out of their products.
    """
    return np.flatnonzero(np.asarray(X).any(axis=0))
