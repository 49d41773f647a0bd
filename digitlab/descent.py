"""Gradient descent for the kernels: full batch or mini-batch, with early stopping.

``fit_logistic`` and ``fit_softmax`` run the same loop (``descend``) on a
model's loss core. Each epoch is one pass over the training set; the learning
rate is constant or annealed as ``eta0 / (1 + t / T)`` (t the epoch, from 0).
Every ``eval_every`` epochs the loop records the cross-entropy (without the
penalty) and the accuracy on train, hold-out and test; with full batches the
training numbers come from the forward pass the gradient needs anyway. Early
stopping watches the hold-out accuracy, as the report does: it stops after
``patience`` evaluations in a row below the best so far and keeps the best
weights (the latest of equals).
Training runs in float32 (same accuracies as float64, about twice as fast).
The defaults (mini-batches of 100, learning rate 0.15, 40 epochs) reach
within one point of the convex optimum's test accuracy on every digit pair
and on all ten digits; 0.15 stays below 2 / L for the steepest curvature L
of the mean loss on MNIST (about 12).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import validate
from .kernels import (
    PENALTIES,
    logistic_labels,
    logistic_scores_loss,
    penalty_term,
    softmax_labels,
    softmax_scores_loss,
)
from .splits import Splits

__all__ = ["DEFAULTS", "DivergedError", "Fit", "descend", "fit_logistic", "fit_softmax"]

#: The settings and their defaults, shared by both models.
DEFAULTS = {
    "lr": 0.15,  # learning rate (eta0 when annealed), on the MEAN loss
    "epochs": 40,  # passes over the training set
    "batch_size": 100,  # None: full batch; else mini-batches of this size, reshuffled every epoch
    "schedule": "constant",  # "constant" or "anneal": lr / (1 + t / T)
    "T": 3.0,  # annealing time constant, in epochs
    "penalty": "l2",  # "l2" or "l1"
    "l1_step": "subgradient",  # L1 only: "subgradient" (lam * sign w) or "proximal" (soft-thresholding)
    "lam": 0.0,  # regularisation strength, >= 0
    "patience": None,  # stop after this many evaluations in a row below the best hold-out accuracy; None: never
    "seed": 0,  # seeds the shuffling and the "normal" start
    "init": "zeros",  # "zeros" or "normal" (standard normal weights)
    "eval_every": 1,  # record the history every this many epochs
    "dtype": np.float32,  # training precision
}
HISTORY_KEYS = ("epoch", "train_loss", "train_acc", "holdout_loss", "holdout_acc", "test_loss", "test_acc")


class DivergedError(FloatingPointError):
    """The loss became inf or nan: the learning rate is too large."""


@dataclass
class Fit:
    """A trained model.

    Attributes
    ----------
    w : ndarray, shape (785,) or (785, k)
        The weights kept (float64): the best hold-out accuracy when early stopping, else the last.
    history : dict of str -> ndarray, shape (n_evaluations,)
        ``epoch`` and ``{train,holdout,test}_{loss,acc}``; losses are the cross-entropy without the penalty.
    best_epoch : int
        The epoch whose weights ``w`` holds.
    settings : dict
        The settings used (``DEFAULTS`` updated with the call's).
    """

    w: np.ndarray
    history: dict
    best_epoch: int
    settings: dict = field(default_factory=dict)


def _check_settings(splits: Splits, settings: dict) -> dict:
    unknown = set(settings) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)}; the settings are {sorted(DEFAULTS)}")
    s = {**DEFAULTS, **settings}
    if not s["lr"] > 0:
        raise ValueError(f"learning rate lr={s['lr']!r} must be > 0")
    if not s["lam"] >= 0:
        raise ValueError(f"lam={s['lam']!r} must be >= 0")
    if s["penalty"] not in PENALTIES:
        raise ValueError(f"penalty {s['penalty']!r} is unknown; use 'l2' or 'l1'")
    if s["batch_size"] is not None and not s["batch_size"] >= 1:
        raise ValueError(f"batch_size={s['batch_size']!r} must be >= 1, or None for full batches")
    if not (isinstance(s["epochs"], (int, np.integer)) and s["epochs"] >= 0):
        raise ValueError(f"epochs={s['epochs']!r} must be a whole number >= 0")
    if s["schedule"] not in ("constant", "anneal"):
        raise ValueError(f"schedule {s['schedule']!r} is unknown; use 'constant' or 'anneal'")
    if not s["T"] > 0:
        raise ValueError(f"T={s['T']!r} must be > 0")
    if s["patience"] is not None and not s["patience"] >= 1:
        raise ValueError(f"patience={s['patience']!r} must be >= 1, or None for no early stopping")
    if s["l1_step"] not in ("subgradient", "proximal"):
        raise ValueError(f"l1_step {s['l1_step']!r} is unknown; use 'subgradient' or 'proximal'")
    if s["init"] not in ("zeros", "normal"):
        raise ValueError(f"init {s['init']!r} is unknown; use 'zeros' or 'normal'")
    if not s["eval_every"] >= 1:
        raise ValueError(f"eval_every={s['eval_every']!r} must be >= 1")
    for name, data in zip(splits._fields, splits):
        if len(data.y) == 0:
            raise ValueError(f"the {name} split is empty; check the digits chosen or the data")
    return s


def descend(core: Callable, labels_of: Callable, w: np.ndarray, splits: Splits, s: dict) -> Fit:
    """The descent loop shared by both models.

    Parameters
    ----------
    core : callable
        ``core(w, X, y) -> (loss, grad, scores)``, the unregularised loss core.
    labels_of : callable
        ``scores -> labels``.
    w : ndarray, shape (d,) or (d, k)
        Initial weights, in the training dtype (updated in place).
    splits : Splits
    s : dict
        Checked settings (see ``DEFAULTS``).
    """
    dtype = s["dtype"]
    (Xtr, ytr), *others = [(d.X.astype(dtype, copy=False), d.y) for d in splits]
    n, lr, lam = len(ytr), s["lr"], s["lam"]
    proximal = s["penalty"] == "l1" and s["l1_step"] == "proximal"
    penalty = s["penalty"]

    def step(rate: float, grad: np.ndarray) -> None:
        """One descent step in place; the proximal L1 step soft-thresholds instead of adding lam * sign w."""
        if not proximal:
            w[...] -= rate * (grad + penalty_term(w, lam, penalty)[1])
            return
        w[...] -= rate * grad
        w[1:] = np.sign(w[1:]) * np.maximum(np.abs(w[1:]) - rate * lam, 0)

    full_batch = s["batch_size"] is None or s["batch_size"] >= n
    rng = np.random.default_rng(s["seed"])
    history = {key: [] for key in HISTORY_KEYS}
    best = (-1.0, w.copy(), 0)  # hold-out accuracy, weights, epoch
    waited = 0

    def diverged(epoch: int, loss: float) -> DivergedError:
        return DivergedError(
            f"gradient descent diverged at epoch {epoch} (loss {loss}) with learning rate lr={lr:g}; "
            f"try a smaller one, e.g. lr={lr / 10:g}"
        )

    def scored(X, y):
        loss, _, scores = core(w, X, y)
        return loss, np.mean(labels_of(scores) == y)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(s["epochs"] + 1):
            due = epoch % s["eval_every"] == 0 or epoch == s["epochs"]
            if full_batch:
                loss, grad, scores = core(w, Xtr, ytr)
                if not np.isfinite(loss):
                    raise diverged(epoch, loss)
            if due:
                train = (loss, np.mean(labels_of(scores) == ytr)) if full_batch else scored(Xtr, ytr)
                (h_loss, h_acc), (t_loss, t_acc) = (scored(X, y) for X, y in others)
                for key, value in zip(HISTORY_KEYS, (epoch, *train, h_loss, h_acc, t_loss, t_acc)):
                    history[key].append(value)
                if not np.isfinite(train[0]):
                    raise diverged(epoch, train[0])
                if h_acc >= best[0]:
                    best, waited = (h_acc, w.copy(), epoch), 0
                else:
                    waited += 1
                    if s["patience"] is not None and waited >= s["patience"]:
                        break
            if epoch == s["epochs"]:
                break
            rate = lr / (1 + epoch / s["T"]) if s["schedule"] == "anneal" else lr
            if full_batch:
                step(rate, grad)
                continue
            order = rng.permutation(n)
            for start in range(0, n, s["batch_size"]):
                batch = order[start : start + s["batch_size"]]
                loss, grad, _ = core(w, Xtr[batch], ytr[batch])
                if not np.isfinite(loss):
                    raise diverged(epoch, loss)
                step(rate, grad)

    kept, kept_epoch = (best[1], best[2]) if s["patience"] is not None else (w, history["epoch"][-1])
    return Fit(
        w=kept.astype(np.float64),
        history={key: np.asarray(values) for key, values in history.items()},
        best_epoch=int(kept_epoch),
        settings=s,
    )


def _start(shape: tuple, s: dict) -> np.ndarray:
    if s["init"] == "normal":
        return np.random.default_rng(s["seed"]).standard_normal(shape).astype(s["dtype"])
    return np.zeros(shape, dtype=s["dtype"])


def fit_logistic(splits: Splits, **settings) -> Fit:
    """Train binary logistic regression (labels 0 / 1) by gradient descent.

    Parameters
    ----------
    splits : Splits
        Usually ``digit_pair(seed_splits(), a, b)``; ``X (n, d)``, ``y (n,)`` in {0, 1}.
    **settings
        Any of ``DEFAULTS``: lr, epochs, batch_size, schedule, T, penalty, lam,
        patience, seed, init, eval_every, dtype.

    Returns
    -------
    Fit
        ``w (d,)``, the history and the kept epoch.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    validate.fit_call(splits, settings, DEFAULTS)
    s = _check_settings(splits, settings)
    w = _start((splits.train.X.shape[1],), s)
    return descend(logistic_scores_loss, logistic_labels, w, splits, s)


def fit_softmax(splits: Splits, n_classes: int = 10, **settings) -> Fit:
    """Train softmax regression over ``n_classes`` by gradient descent.

    Parameters
    ----------
    splits : Splits
        Usually ``seed_splits()``; ``X (n, d)``, ``y (n,)`` integer labels.
    n_classes : int
        k, the number of classes.
    **settings
        Any of ``DEFAULTS`` (see ``fit_logistic``).

    Returns
    -------
    Fit
        ``w (d, k)``, the history and the kept epoch.

    Introduced in ``04_softmax_regression.ipynb``.
    """
    validate.fit_call(splits, settings, DEFAULTS, n_classes, model="softmax")
    s = _check_settings(splits, settings)
    for name, data in zip(splits._fields, splits):
        if data.y.min() < 0 or data.y.max() >= n_classes:
            raise ValueError(f"the {name} split has labels outside 0..{n_classes - 1}; set n_classes")
    W = _start((splits.train.X.shape[1], n_classes), s)
    return descend(softmax_scores_loss, softmax_labels, W, splits, s)
