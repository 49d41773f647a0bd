"""Gradient descent for the kernels: full batch or mini-batch, with early stopping.

Two loops with one meaning. ``descend`` is the loop to read: one run, one
model, a few lines per idea (a step, a mini-batch, the learning-rate
schedule ``eta0 / (1 + epoch / T)``, an evaluation, early stopping).
``descend_many`` is the fast engine behind ``fit_logistic`` and
``fit_softmax``: several runs stacked side by side so one matrix product
serves them all, the pixels no training image lights left out of the
products, float32, one BLAS thread (``threads``). The tests hold the engine
equal to the readable loop. Every ``eval_every`` epochs both record the
cross-entropy (without the penalty) and the accuracy on train, hold-out and
test; early stopping watches the hold-out accuracy, as the report does: it
stops after ``patience`` evaluations in a row below the best so far and keeps
the best weights (the latest of equals). Why these defaults and how fast:
``docs/architecture.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import validate
from .kernels import (
    logistic_labels,
    logistic_scores_loss,
    penalty_term,
    soft_threshold,
    softmax_labels,
    softmax_scores_loss,
)
from .splits import Splits, lit_pixels
from .threads import blas_on_one_thread

__all__ = [
    "DEFAULTS",
    "DivergedError",
    "Fit",
    "annealed_rate",
    "descend",
    "descend_many",
    "fit_logistic",
    "fit_logistic_many",
    "fit_softmax",
    "fit_softmax_many",
    "minibatches",
]


def annealed_rate(epoch, eta0, T):
    """The report's learning-rate schedule ``eta0 / (1 + epoch / T)`` at ``epoch`` (from 0).

    ``eta0`` is the setting ``lr``; the value returned is the rate of that epoch. Numbers or arrays that
    broadcast (one rate per run); ``T = inf`` gives the constant rate ``eta0``.
    Introduced in ``04_softmax_regression.ipynb``.
    """
    return eta0 / (1 + epoch / T)


def minibatches(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch's mini-batches: ``rng.permutation(n)`` cut into pieces of ``batch_size``, the last one kept.

    Returns a list of int arrays, each ``(<= batch_size,)``, together every index 0..n-1 once; one call
    draws one permutation from ``rng``. Introduced in ``02_logistic_regression.ipynb``.
    """
    order = rng.permutation(n)
    return [order[start : start + batch_size] for start in range(0, n, batch_size)]


#: The settings and their defaults, shared by both models.
DEFAULTS = {
    "lr": 0.15,  # learning rate (eta0 when annealed), on the MEAN loss
    "epochs": 40,  # passes over the training set
    "batch_size": 100,  # None: full batch; else mini-batches of this size, reshuffled every epoch
    "schedule": "constant",  # "constant" or "anneal": lr / (1 + epoch / T)
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


def _settings(splits: Splits, runs: Sequence[dict], n_classes: int | None = None) -> list[dict]:
    """Each run's settings with the defaults filled in, after ``validate.fit_call`` has seen them all."""
    for run in runs:
        validate.fit_call(splits, run, DEFAULTS, n_classes)
    return [{**DEFAULTS, **run} for run in runs]


def descend(core: Callable, labels_of: Callable, w: np.ndarray, splits: Splits, s: dict) -> Fit:
    """Gradient descent for one run, written to be read (``descend_many`` is the fast engine, held equal to it).

    Parameters
    ----------
    core : callable
        ``core(w, X, y, gradient=True) -> (loss, grad, scores)``, the unregularised loss core
        (``kernels.logistic_scores_loss`` or ``kernels.softmax_scores_loss``).
    labels_of : callable
        ``scores -> labels``.
    w : ndarray, shape (d,) or (d, k)
        Initial weights, in the training dtype.
    splits : Splits
    s : dict
        Checked settings (see ``DEFAULTS``).
    """
    (X, y), *others = [(d.X.astype(s["dtype"]), d.y) for d in splits]
    n, rng = len(y), np.random.default_rng(s["seed"])
    full_batch = s["batch_size"] is None or s["batch_size"] >= n
    T = s["T"] if s["schedule"] == "anneal" else np.inf  # T = inf: a constant learning rate
    proximal = s["penalty"] == "l1" and s["l1_step"] == "proximal"
    history = {key: [] for key in HISTORY_KEYS}
    best, waited = (-1.0, w, 0), 0  # (hold-out accuracy, weights, epoch), evaluations since the best
    for epoch in range(s["epochs"] + 1):
        if epoch % s["eval_every"] == 0 or epoch == s["epochs"]:
            numbers = [epoch]
            for X_split, y_split in [(X, y), *others]:
                loss, _, scores = core(w, X_split, y_split, gradient=False)
                numbers += [float(loss), float(np.mean(labels_of(scores) == y_split))]
            if not np.isfinite(numbers[1]):
                raise _diverged(epoch, numbers[1], s["lr"])
            for key, value in zip(HISTORY_KEYS, numbers):
                history[key].append(value)
            if numbers[4] >= best[0]:
                best, waited = (numbers[4], w.copy(), epoch), 0
            else:
                waited += 1
                if s["patience"] is not None and waited >= s["patience"]:
                    break
        if epoch == s["epochs"]:
            break
        rate = np.dtype(s["dtype"]).type(annealed_rate(epoch, s["lr"], T))  # in the training dtype
        for batch in [slice(None)] if full_batch else minibatches(n, s["batch_size"], rng):
            loss, grad, _ = core(w, X[batch], y[batch])
            if not np.isfinite(loss):
                raise _diverged(epoch, loss, s["lr"])
            if not proximal:
                grad = grad + penalty_term(w, s["lam"], s["penalty"])[1]
            w = w - rate * grad
            if proximal:
                w = soft_threshold(w, rate * s["lam"])
    kept, kept_epoch = best[1:] if s["patience"] is not None else (w, epoch)
    history = {key: np.asarray(values) for key, values in history.items()}
    return Fit(w=np.asarray(kept, dtype=np.float64), history=history, best_epoch=int(kept_epoch), settings=s)


def _diverged(epoch: int, loss, lr: float) -> DivergedError:
    return DivergedError(
        f"gradient descent diverged at epoch {epoch} (loss {loss}) with learning rate lr={lr:g}; "
        f"try a smaller one, e.g. lr={lr / 10:g}"
    )


#: Settings that runs trained side by side must share (mini-batches: also the batch size and the seed,
#: which orders the batches).
SHARED = ("epochs", "eval_every", "dtype")


def descend_many(
    core: Callable,
    labels_of: Callable,
    starts: Sequence[np.ndarray],
    splits: Splits,
    settings: Sequence[dict],
    progress: Callable[[int, int], None] | None = None,
) -> list[Fit]:
    """Several descents side by side on the same splits: one matrix product serves them all.

    Each run has its own start, learning rate, schedule, penalty, lambda and early
    stopping; the loop stacks their weights into one array, ``(d, R)`` or
    ``(d, R, k)``, so every pass over the images is one BLAS call for all R runs
    instead of R thin ones (the images are read once, not R times). A run that stops
    early leaves the stack. Each run's numbers are those it gets alone, up to float
    rounding in the order of a sum.

    Parameters
    ----------
    core, labels_of : callable
        As for ``descend``; ``core`` takes stacked weights.
    starts : sequence of ndarray, each shape (d,) or (d, k)
        Initial weights, in the training dtype.
    splits : Splits
    settings : sequence of dict
        Checked settings, one per run; they share ``SHARED`` and either all use full
        batches or all the same mini-batch size and seed.
    progress : callable, optional
        ``progress(epoch, running)`` after each epoch: the epoch just finished and how
        many runs are still descending.

    Returns
    -------
    list of Fit, one per start, in order.
    """
    if len(starts) != len(settings) or not starts:
        raise ValueError("give one settings dict per start, and at least one start")
    n = len(splits.train.y)
    full = {s["batch_size"] is None or s["batch_size"] >= n for s in settings}
    if len(full) > 1:
        raise ValueError("runs side by side must all use full batches or all mini-batches")
    full_batch = full.pop()
    for key in SHARED + (() if full_batch else ("batch_size", "seed")):
        values = {repr(s[key]) for s in settings}
        if len(values) > 1:
            raise ValueError(f"runs side by side must share {key}; got {sorted(values)}")
    s0 = settings[0]
    dtype, epochs, every = s0["dtype"], s0["epochs"], s0["eval_every"]
    (Xtr, ytr), *others = [(d.X.astype(dtype, copy=False), d.y) for d in splits]
    # A pixel that no training image lights gets no gradient from the data (only from the penalty), so the
    # training products leave it out: W's rows are held with the lit pixels first (the bias row leading),
    # the training images keep only those columns, and the hold-out and test images are reordered to match.
    lit = lit_pixels(Xtr)
    order = np.r_[lit, np.setdiff1d(np.arange(Xtr.shape[1]), lit)]
    m = len(lit)
    if m < len(order):
        Xtr = np.ascontiguousarray(Xtr[:, order[:m]])
        others = [(np.ascontiguousarray(X[:, order]), y) for X, y in others]

    ids = np.arange(len(starts))  # the runs still descending, by their place in ``starts``
    W = np.stack(starts, axis=1)[order]  # (d, R) or (d, R, k), rows in ``order``
    lr = np.array([s["lr"] for s in settings], dtype=np.float64)
    T = np.array([s["T"] if s["schedule"] == "anneal" else np.inf for s in settings])
    history = [{key: [] for key in HISTORY_KEYS} for _ in starts]
    best = [(-1.0, None, 0) for _ in starts]  # hold-out accuracy, weights, epoch
    waited = [0] * len(starts)
    finished: dict[int, tuple[np.ndarray, int]] = {}  # run -> (last weights, last epoch)
    rng = np.random.default_rng(s0["seed"])

    def groups(ids):
        """The active runs (columns of W) grouped by how they are penalised: (penalty, lam, proximal) -> columns."""
        found: dict[tuple, list[int]] = {}
        for column, i in enumerate(ids):
            s = settings[i]
            if s["lam"] > 0:
                proximal = s["penalty"] == "l1" and s["l1_step"] == "proximal"
                found.setdefault((s["penalty"], s["lam"], proximal), []).append(column)
        every_run = len(ids)
        return [(key, slice(None) if len(cols) == every_run else np.array(cols)) for key, cols in found.items()]

    def step(rate: np.ndarray, grad: np.ndarray, penalised) -> None:
        """One descent step for every active run, in place; the proximal L1 step soft-thresholds."""
        for (penalty, lam, proximal), cols in penalised:
            if not proximal:
                grad[:, cols] += penalty_term(W[:, cols], lam, penalty)[1]
        W[...] -= rate * grad
        for (_, lam, proximal), cols in penalised:
            if proximal:
                W[:, cols] = soft_threshold(W[:, cols], rate[:, cols] * lam)

    def diverged(epoch: int, losses: np.ndarray) -> DivergedError:
        column = int(np.flatnonzero(~np.isfinite(losses))[0])
        return _diverged(epoch, losses[column], lr[ids[column]])

    def scored(X, y, scores=None, loss=None):
        if scores is None:
            loss, _, scores = core(W if X.shape[1] == len(W) else W[:m], X, y, gradient=False)
        return np.atleast_1d(loss), np.mean(labels_of(scores) == y[:, None], axis=0)

    # full batches: the training images also transposed, C-contiguous, for the softmax forward product
    XT = np.ascontiguousarray(Xtr.T) if full_batch and core is softmax_scores_loss else None

    def fitted(X, y):
        """Loss, gradient (all rows: zero on the unlit ones) and scores on training images ``X (b, m)``."""
        loss, grad, scores = core(W[:m], X, y) if XT is None or X is not Xtr else core(W[:m], X, y, XT=XT)
        if m < len(W):
            grad = np.concatenate([grad, np.zeros((len(W) - m, *grad.shape[1:]), dtype=grad.dtype)])
        return loss, grad, scores

    penalised = groups(ids)
    shape = (1, -1) + (1,) * (W.ndim - 2)  # a per-run number broadcast over the stack
    with blas_on_one_thread(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(epochs + 1):
            due = epoch % every == 0 or epoch == epochs
            if full_batch:
                loss, grad, scores = fitted(Xtr, ytr)
                if not np.all(np.isfinite(loss)):
                    raise diverged(epoch, np.atleast_1d(loss))
            if due:
                train = scored(Xtr, ytr, scores, loss) if full_batch else scored(Xtr, ytr)
                if not np.all(np.isfinite(train[0])):
                    raise diverged(epoch, train[0])
                (h_loss, h_acc), (t_loss, t_acc) = (scored(X, y) for X, y in others)
                stopped = []
                for column, i in enumerate(ids):
                    values = (epoch, train[0][column], train[1][column], h_loss[column], h_acc[column])
                    for key, value in zip(HISTORY_KEYS, (*values, t_loss[column], t_acc[column])):
                        history[i][key].append(float(value) if key != "epoch" else value)
                    if h_acc[column] >= best[i][0]:
                        best[i], waited[i] = (float(h_acc[column]), W[:, column].copy(), epoch), 0
                    else:
                        waited[i] += 1
                        patience = settings[i]["patience"]
                        if patience is not None and waited[i] >= patience:
                            stopped.append(column)
                if epoch == epochs:
                    stopped = list(range(len(ids)))
                if stopped:
                    for column in stopped:
                        finished[int(ids[column])] = (W[:, column].copy(), epoch)
                    keep = np.setdiff1d(np.arange(len(ids)), stopped)
                    if len(keep) == 0:
                        break
                    ids, W = ids[keep], np.ascontiguousarray(W[:, keep])
                    if full_batch:
                        grad = np.ascontiguousarray(grad[:, keep])
                    penalised = groups(ids)
            if epoch == epochs:
                break
            anneal = annealed_rate(epoch, lr[ids], T[ids])  # T = inf for a constant rate
            rate = anneal.astype(dtype).reshape(shape)
            if full_batch:
                step(rate, grad, penalised)
            else:
                for batch in minibatches(n, s0["batch_size"], rng):
                    loss, grad, _ = fitted(Xtr[batch], ytr[batch])
                    if not np.all(np.isfinite(loss)):
                        raise diverged(epoch, np.atleast_1d(loss))
                    step(rate, grad, penalised)
            if progress is not None:
                progress(epoch + 1, len(ids))

    fits = []
    back = np.argsort(order)  # rows back to pixel order
    for i, s in enumerate(settings):
        last, last_epoch = finished[i]
        kept, kept_epoch = (best[i][1], best[i][2]) if s["patience"] is not None else (last, last_epoch)
        fits.append(
            Fit(
                w=kept[back].astype(np.float64),
                history={key: np.asarray(values) for key, values in history[i].items()},
                best_epoch=int(kept_epoch),
                settings=s,
            )
        )
    return fits


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
    (s,) = _settings(splits, [settings])
    w = _start((splits.train.X.shape[1],), s)
    return descend_many(logistic_scores_loss, logistic_labels, [w], splits, [s])[0]


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
    (s,) = _settings(splits, [settings], n_classes)
    W = _start((splits.train.X.shape[1], n_classes), s)
    return descend_many(softmax_scores_loss, softmax_labels, [W], splits, [s])[0]


def fit_logistic_many(splits: Splits, runs: Sequence[dict], progress=None) -> list[Fit]:
    """``fit_logistic`` for several settings at once, side by side (``descend_many``): one ``Fit`` per run.

    The runs share epochs, eval_every and dtype, and full batches or one mini-batch size and seed.
    ``progress(epoch, running)`` is called after each epoch.

    Introduced in ``03_regularization.ipynb``.
    """
    checked = _settings(splits, runs)
    starts = [_start((splits.train.X.shape[1],), s) for s in checked]
    return descend_many(logistic_scores_loss, logistic_labels, starts, splits, checked, progress)


def fit_softmax_many(splits: Splits, runs: Sequence[dict], n_classes: int = 10, progress=None) -> list[Fit]:
    """``fit_softmax`` for several settings at once, side by side (``descend_many``): one ``Fit`` per run.

    Introduced in ``04_softmax_regression.ipynb``.
    """
    checked = _settings(splits, runs, n_classes)
    starts = [_start((splits.train.X.shape[1], n_classes), s) for s in checked]
    return descend_many(softmax_scores_loss, softmax_labels, starts, splits, checked, progress)
