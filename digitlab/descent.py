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
Training runs in float32 (same accuracies as float64, about twice as fast) on
one BLAS thread, and skips the pixels no training image lights (they get no
gradient from the data). ``descend_many`` (``fit_logistic_many``,
``fit_softmax_many``) trains several settings side by side, so that one matrix
product per step serves them all: a lambda sweep or a search over seeds costs
little more than one run.
The defaults (mini-batches of 100, learning rate 0.15, 40 epochs) reach
within one point of the convex optimum's test accuracy on every digit pair
and on all ten digits; 0.15 stays below 2 / L for the steepest curvature L
of the mean loss on MNIST (about 12).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from . import validate
from .kernels import (
    logistic_labels,
    logistic_scores_loss,
    penalty_term,
    soft_threshold,
    softmax_labels,
    softmax_scores_loss,
)
from .splits import Splits

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


def annealed_rate(t, eta0, T):
    """The report's learning-rate schedule ``eta0 / (1 + t / T)`` at epoch ``t`` (from 0).

    Numbers or arrays that broadcast (one rate per run); ``T = inf`` gives the constant rate ``eta0``.
    Introduced in ``04_softmax_regression.ipynb``.
    """
    return eta0 / (1 + t / T)


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


def _settings(splits: Splits, runs: Sequence[dict], n_classes: int | None = None) -> list[dict]:
    """Each run's settings with the defaults filled in, after ``validate.fit_call`` has seen them all."""
    for run in runs:
        validate.fit_call(splits, run, DEFAULTS, n_classes)
    return [{**DEFAULTS, **run} for run in runs]


def descend(core: Callable, labels_of: Callable, w: np.ndarray, splits: Splits, s: dict) -> Fit:
    """The descent loop shared by both models, for one run (``descend_many`` with a single start).

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
    return descend_many(core, labels_of, [w], splits, [s])[0]


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
    lit = Xtr.any(axis=0)
    order = np.r_[np.flatnonzero(lit), np.flatnonzero(~lit)]
    m = int(lit.sum())
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
        lr_run = lr[ids[column]]
        return DivergedError(
            f"gradient descent diverged at epoch {epoch} (loss {losses[column]}) with learning rate lr={lr_run:g}; "
            f"try a smaller one, e.g. lr={lr_run / 10:g}"
        )

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
    # One BLAS thread: measured on this two-core machine, a second thread never made descent faster (at best
    # 1.2 times on the largest products with the other core idle; the softmax and sigmoid around them run on
    # one core anyway) and, with anything else running, made it 1.5-2 times slower while using twice the CPU.
    with threadpool_limits(1, user_api="blas"), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
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
    (s,) = _settings(splits, [settings], n_classes)
    W = _start((splits.train.X.shape[1], n_classes), s)
    return descend(softmax_scores_loss, softmax_labels, W, splits, s)


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
