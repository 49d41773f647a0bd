"""The report's experiments as runs: its logistic batch and mini-batch runs, its lambda searches, the optimum.

Each function runs one experiment of the results table (``digitlab.reproduce``) or of a notebook and returns
the fits; the results file (``results``) and the table (``table``) are built from them. The report minimised the
SUMMED softmax loss; here every loss is the mean, so its settings translate as ``lr = eta0 * n`` and
``lam = lam_sum / n`` (n = 18,000 training images).
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import optimum as opt
from ..descent import Fit, fit_logistic, fit_logistic_many, fit_softmax_many
from ..progress import Progress
from ..splits import Splits
from ..stats import Accuracy, best_on_holdout

__all__ = [
    "LOGISTIC_LAMS",
    "PAIRS",
    "REPORT",
    "SEEDS",
    "SOFTMAX_LAMS",
    "SOFTMAX_TOTAL",
    "choose_on_holdout",
    "kept",
    "logistic_batch_run",
    "logistic_minibatch_run",
    "logistic_optimum",
    "logistic_sweep",
    "recipe_choice",
    "recipe_runs",
    "softmax_final_runs",
    "softmax_optimum",
    "softmax_recipe",
    "softmax_report_settings",
]

PAIRS = ((2, 3), (2, 8))
LOGISTIC_LAMS = (0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001)  # the report's code (its figures show six)
SOFTMAX_LAMS = ((0.01, 0.001, 0.0001), (0.05, 0.005, 0.0005))  # the report's two sets, on the summed loss
SEEDS = (0, 1, 2, 3, 4)  # random starts of the report's softmax recipe

#: The report's numbers (fractions). Softmax: its hold-out and test sets hold 2,000 images, as here.
REPORT = {
    "logistic 2 vs 3": {"test": 0.98},
    "logistic 2 vs 8": {"test": 0.97},
    "softmax L2, set 1": {"holdout": 0.901, "test": 0.9355},
    "softmax L1, set 1": {"holdout": 0.8945, "test": 0.9295},
    "softmax L2, set 2": {"holdout": 0.8985, "test": 0.934},
    "softmax L1, set 2": {"holdout": 0.8845, "test": 0.929},
}
SOFTMAX_TOTAL = 2000


# ---------------------------------------------------------------- logistic regression (notebooks 02, 03)


def logistic_batch_run(pair: Splits, progress: bool = False, label: str = "the report's batch run") -> Fit:
    """The report's batch run: zero start, learning rate 0.005, full batches (figure 1).

    10,000 iterations is digitlab's choice: the report does not state the number.
    """
    settings = dict(lr=0.005, epochs=10_000, batch_size=None, eval_every=100)
    with _bar(progress, settings["epochs"], label, "iterations", done=f"{label}: done") as bar:
        return fit_logistic_many(pair, [settings], progress=bar and (lambda epoch, _: bar.update(epoch)))[0]


def logistic_minibatch_run(pair: Splits, lr: float = 0.1, patience: int | None = None) -> Fit:
    """Ten mini-batches of ceil(N / 10) images (the last a few short), reshuffled every epoch, 100 epochs.

    ``lr = 0.1`` stays below 2 / L (about 0.16 for 2 vs 3, 0.15 for 2 vs 8), figures 2 and 3.
    """
    n = len(pair.train.y)
    return fit_logistic(pair, lr=lr, epochs=100, batch_size=-(-n // 10), patience=patience)


def logistic_sweep(pair: Splits, penalty: str, lams=LOGISTIC_LAMS, **settings) -> dict[float, Fit]:
    """One ``fit_logistic`` per lambda (defaults otherwise), all side by side: figures 5, 6, 8-10."""
    fits = fit_logistic_many(pair, [dict(settings, penalty=penalty, lam=lam) for lam in lams])
    return dict(zip(lams, fits))


def logistic_optimum(
    pair: Splits, penalty: str = "l2", progress: bool = False, label: str = "digit pair"
) -> tuple[list[opt.Solution], opt.Solution]:
    """The optimum column for a digit pair: the path over ``optimum.GRID['pair']`` and the hold-out choice."""
    lams = opt.GRID["pair"]
    with _bar(progress, len(lams), f"{label}: optimum, {penalty.upper()}", "lambdas") as bar:
        path = opt.solve_grid(pair, penalty, lams, bar.update if bar else None)
    return path, opt.choose_on_holdout(path)


def kept(fit: Fit, splits: Splits, split: str) -> Accuracy:
    """The accuracy on ``split`` ("train", "holdout" or "test") of the weights a fit kept, as a count.

    Read from the fit's history (the numbers its curves show), at the kept epoch.
    """
    at = list(fit.history["epoch"]).index(fit.best_epoch)
    total = len(getattr(splits, split).y)
    return Accuracy(int(round(fit.history[f"{split}_acc"][at] * total)), total)


def choose_on_holdout(fits: dict) -> float:
    """The key (lambda) whose kept weights have the best hold-out accuracy (ties: the larger lambda)."""

    def holdout(key):
        fit = fits[key]
        return fit.history["holdout_acc"][list(fit.history["epoch"]).index(fit.best_epoch)]

    lam = best_on_holdout(list(fits), [holdout(key) for key in fits])
    return next(key for key in fits if key == lam)


# ---------------------------------------------------------------- softmax regression (notebook 04)


def softmax_report_settings(n: int, lam_sum: float, penalty: str, epochs: int = 300, patience: int | None = 5, seed=0):
    """The report's softmax recipe on the mean loss: N(0, 1) start, eta0 = 0.0015 * n annealed with T = 3."""
    return dict(
        lr=0.0015 * n,
        schedule="anneal",
        T=3.0,
        init="normal",
        seed=seed,
        penalty=penalty,
        batch_size=None,  # full-batch descent, as in the report
        lam=lam_sum / n,
        epochs=epochs,
        patience=patience,
    )


def recipe_runs(n: int, seed: int, penalties: Sequence[str] = ("l2", "l1", "none")) -> list[tuple[tuple, dict]]:
    """One seed's runs of the report's lambda search: (init, penalty, lambda on the sum) -> settings.

    Both lambda sets for each of ``penalties`` ("l2", "l1"), and for "none" the same recipe with no penalty
    at all (lambda 0, the control).
    """
    runs = [
        (("normal", penalty, lam), softmax_report_settings(n, lam, penalty, seed=seed))
        for penalty in ("l2", "l1")
        if penalty in penalties
        for lam in SOFTMAX_LAMS[0] + SOFTMAX_LAMS[1]
    ]
    if "none" in penalties:
        runs.append((("normal", "none", 0.0), softmax_report_settings(n, 0.0, "l2", seed=seed)))
    return runs


def softmax_recipe(
    splits: Splits, seed: int = 0, progress: bool = True, penalties: Sequence[str] = ("l2", "l1", "none")
) -> dict[tuple, Fit]:
    """The report's lambda search from one random start, each lambda restarted: its runs side by side.

    Every run starts from the same standard-normal draw: digitlab's reading of the report's text, an
    interpretation (its code carries the weights from one lambda to the next: ``report_code``).

    Returns ``{(init, penalty, lam_sum): Fit}``: ``("normal", "l2" or "l1", lam)`` for the six lambdas of
    both sets, and ``("normal", "none", 0.0)``, the same recipe with no penalty; ``penalties`` picks which
    (each run's numbers are the same whichever others run beside it). Each run stops after 5 evaluations in
    a row below its best hold-out accuracy and keeps the best weights.
    """
    runs = recipe_runs(len(splits.train.y), seed, penalties)
    label = f"report's softmax recipe, seed {seed}" + ("" if len(penalties) == 3 else f", {'+'.join(penalties)}")
    return _side_by_side(splits, runs, label, progress)


def softmax_final_runs(splits: Splits, progress: bool = True, starts: Sequence[str] = ("normal", "zeros")):
    """The report's final run (figures 11 and 12): L2, lambda 0.0001 on the sum, 300 epochs, no early stopping.

    ``{"normal": Fit, "zeros": Fit}``: from the report's standard-normal start (seed 0) and from a zero start
    (``starts`` picks which).
    """
    settings = softmax_report_settings(len(splits.train.y), 0.0001, "l2", patience=None)
    runs = [(start, dict(settings, init=start)) for start in starts]
    return _side_by_side(splits, runs, f"report's final softmax run, {' and '.join(starts)} start", progress)


def _side_by_side(splits: Splits, runs: list, label: str, progress: bool) -> dict:
    epochs = runs[0][1]["epochs"]
    done = f"{label}: {len(runs)} run{'s' * (len(runs) != 1)} done"
    with _bar(progress, epochs, label, "epochs", done=done) as bar:
        report = None if bar is None else (lambda epoch, running: bar.update(epoch, f"{running} runs descending"))
        fits = fit_softmax_many(splits, [settings for _, settings in runs], progress=report)
    return {key: fit for (key, _), fit in zip(runs, fits)}


def recipe_choice(fits: dict[tuple, Fit], penalty: str, lams: Sequence[float]) -> tuple[float, Fit]:
    """The report's choice among one seed's runs: the lambda of ``lams`` whose kept weights do best on hold-out."""
    lam = choose_on_holdout({lam: fits["normal", penalty, lam] for lam in lams})
    return lam, fits["normal", penalty, lam]


def softmax_optimum(splits: Splits, penalty: str, progress: bool = True) -> tuple[list[opt.Solution], opt.Solution]:
    """The optimum column for ten digits: the path over ``optimum.GRID['all']`` and the hold-out choice."""
    lams = opt.GRID["all"]
    with _bar(progress, len(lams), f"softmax optimum, {penalty.upper()}", "lambdas") as bar:
        path = opt.solve_grid(splits, penalty, lams, bar.update if bar else None)
    return path, opt.choose_on_holdout(path)


class _NoBar:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return None


def _bar(show: bool, total: int, label: str, unit: str, done: str | None = None):
    return Progress(total, label, unit, done) if show else _NoBar()
