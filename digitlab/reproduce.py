"""The report's experiments, run once and shared by the notebooks and the command line.

``python -m digitlab reproduce`` runs them headless and prints the results
table (report / digitlab / convex optimum); the notebooks call the same
functions and draw the figures. The report minimised the SUMMED loss; here
every loss is the mean, so its settings translate as ``lr = eta0 * n`` and
``lam = lam_sum / n`` (n = 18,000 training images for softmax).
"""

from __future__ import annotations

from pathlib import Path

from .descent import Fit, fit_logistic, fit_softmax
from .explorer import fit_for_lambda
from .splits import Splits, digit_pair, seed_splits

__all__ = [
    "LOGISTIC_LAMS",
    "REPORT",
    "SOFTMAX_LAMS",
    "choose_on_holdout",
    "logistic_batch_run",
    "logistic_minibatch_run",
    "logistic_sweep",
    "optimum",
    "results_table",
    "softmax_report_settings",
    "softmax_search",
]

#: The report's numbers (accuracies as fractions).
REPORT = {
    "logistic 2 vs 3 (test)": 0.98,
    "logistic 2 vs 8 (test)": 0.97,
    "softmax L2 (hold-out)": 0.901,
    "softmax L2 (test)": 0.9355,
    "softmax L1 (hold-out)": 0.8945,
    "softmax L1 (test)": 0.9295,
}
LOGISTIC_LAMS = (0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001)
SOFTMAX_LAMS = ((0.01, 0.001, 0.0001), (0.05, 0.005, 0.0005))  # the report's two sets, on the summed loss


def logistic_batch_run(pair: Splits) -> Fit:
    """The report's batch run: zero start, learning rate 0.005, 10,000 full-batch iterations (figure 1)."""
    return fit_logistic(pair, lr=0.005, epochs=10_000, batch_size=None, eval_every=100)


def logistic_minibatch_run(pair: Splits, patience: int | None = None) -> Fit:
    """Mini-batches of about 10% of the training set, 100 epochs at lr 0.5 (figure 2)."""
    return fit_logistic(pair, lr=0.5, epochs=100, batch_size=len(pair.train.y) // 10, patience=patience)


def logistic_sweep(pair: Splits, penalty: str, lams=LOGISTIC_LAMS, **settings) -> dict[float, Fit]:
    """One ``fit_logistic`` per lambda (defaults otherwise): figures 5-10."""
    return {lam: fit_logistic(pair, penalty=penalty, lam=lam, **settings) for lam in lams}


def choose_on_holdout(fits: dict) -> float:
    """The key (lambda) whose kept weights have the best hold-out accuracy (ties: the larger lambda)."""

    def holdout(key):
        fit = fits[key]
        return fit.history["holdout_acc"][list(fit.history["epoch"]).index(fit.best_epoch)]

    return max(sorted(fits, reverse=True), key=holdout)


def softmax_report_settings(n: int, lam_sum: float, penalty: str, epochs: int = 300, patience: int | None = 5):
    """The report's softmax recipe on the mean loss: N(0, 1) start, eta0 = 0.0015 * n annealed with T = 3."""
    return dict(
        lr=0.0015 * n,
        schedule="anneal",
        T=3.0,
        init="normal",
        seed=0,
        penalty=penalty,
        batch_size=None,  # full-batch descent, as in the report
        lam=lam_sum / n,
        epochs=epochs,
        patience=patience,
    )


def softmax_search(splits: Splits, penalty: str, lams=SOFTMAX_LAMS[0], epochs: int = 300) -> dict[float, Fit]:
    """One early-stopped report-recipe softmax fit per (summed-loss) lambda."""
    n = len(splits.train.y)
    return {lam: fit_softmax(splits, **softmax_report_settings(n, lam, penalty, epochs)) for lam in lams}


def optimum(task, lams=None):
    """The convex optimum: L2 solved to convergence at each lambda (on the mean loss), the best hold-out kept.

    The default grid is 1e-2 .. 1e-4 for a digit pair and 1e-3 .. 1e-4 for all ten digits, where the
    hold-out optimum lies; each solve is warm-started from the previous one.
    """
    if lams is None:
        lams = (1e-3, 3e-4, 1e-4) if task == "all" else (1e-2, 3e-3, 1e-3, 3e-4, 1e-4)
    solutions, warm = [], None
    for lam in lams:
        warm = fit_for_lambda(task, "l2", lam, warm_start=None if warm is None else warm.w, tol=1e-8)
        solutions.append(warm)
    return max(solutions, key=lambda s: s.holdout_acc)


def _accuracy(fit: Fit, split: str) -> float:
    return float(fit.history[f"{split}_acc"][list(fit.history["epoch"]).index(fit.best_epoch)])


def results_table(splits: Splits | None = None) -> list[tuple[str, float, float, float]]:
    """Rows ``(experiment, report, digitlab, convex optimum)``, accuracies as fractions."""
    splits = seed_splits() if splits is None else splits
    rows = []
    for a, b in ((2, 3), (2, 8)):
        fit = fit_logistic(digit_pair(splits, a, b))
        rows.append(
            (
                f"logistic {a} vs {b} (test)",
                REPORT[f"logistic {a} vs {b} (test)"],
                _accuracy(fit, "test"),
                optimum((a, b)).test_acc,
            )
        )
    best = optimum("all")
    for penalty in ("l2", "l1"):
        fits = softmax_search(splits, penalty)
        chosen = fits[choose_on_holdout(fits)]
        for split, opt in (("holdout", best.holdout_acc), ("test", best.test_acc)):
            name = f"softmax {penalty.upper()} ({'hold-out' if split == 'holdout' else 'test'})"
            rows.append((name, REPORT[name], _accuracy(chosen, split), opt))
    return rows


def format_table(rows) -> str:
    lines = [f"{'experiment':28} {'report':>8} {'digitlab':>9} {'optimum':>8}"]
    lines += [f"{name:28} {rep:8.2%} {ours:9.2%} {opt:8.2%}" for name, rep, ours, opt in rows]
    return "\n".join(lines)


def main(figures: str | None = None) -> int:
    """Print the split sizes and the results table; with ``figures``, write the main figures there."""
    splits = seed_splits()
    print("splits (report protocol):", ", ".join(f"{name} {len(d.y)}" for name, d in zip(splits._fields, splits)))
    for a, b in ((2, 3), (2, 8)):
        sizes = ", ".join(str(len(d.y)) for d in digit_pair(splits, a, b))
        print(f"  digits {a} vs {b}: train / hold-out / test = {sizes}")
    rows = results_table(splits)
    print(format_table(rows))
    if figures:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from . import plots

        plots.set_style()
        out = Path(figures)
        out.mkdir(parents=True, exist_ok=True)
        fit = fit_softmax(splits, **softmax_report_settings(len(splits.train.y), 0.0001, "l2"))
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
        plots.plot_curves(fit.history, "loss", ax=axes[0], title="figure 11: softmax loss", best_epoch=fit.best_epoch)
        plots.plot_curves(fit.history, "acc", ax=axes[1], title="figure 11: softmax accuracy")
        fig.savefig(out / "figure11_softmax_curves.png")
        fig, axes = plt.subplots(1, 10, figsize=(12, 1.6))
        plots.weight_row(fit.w.T, axes, titles=[str(d) for d in range(10)])
        fig.savefig(out / "figure12_softmax_weights.png")
        plt.close("all")
        print(f"figures written to {out}")
    return 0
