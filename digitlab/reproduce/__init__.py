"""The report's experiments, computed once: the results file, the results table, and what the notebooks call.

``python -m digitlab reproduce`` runs every experiment of the results table and
writes ``results/results.json`` (counts of correct images, never rounded
percentages); the README, notebook 00 and the command line print the table from
that file, and the notebooks that compute a number check it against the file.
The sub-package in four modules: ``experiments`` (the runs), ``report_code`` (the
report's softmax code as it ran), ``results`` (the file) and ``table`` (the table
and its summary); every public name is importable from here.

The table has one meaning per column:

- *report*: the number the report states (its softmax counts follow from its
  2,000-image hold-out and test sets; its logistic numbers are rounded and its
  test-set size is not stated);
- *digitlab, the report's recipe*: digitlab running the report's own recipe. For
  logistic regression the batch run of figure 1 (zero start, learning rate
  0.005, no penalty; 10,000 full-batch iterations, a number the report does not
  state: digitlab's choice; notebook 02). For softmax two rows per setting, over
  the same ``SEEDS`` random starts (the mean, its Wilson interval and the range
  over seeds): *restarted at each lambda*, digitlab's reading of the report's
  text (standard-normal start, eta0 = 0.0015 annealed with T = 3 on the summed
  loss, early stopping after 5 epochs of falling hold-out accuracy, lambda chosen
  on the hold-out set from the row's set; notebook 04), and *the report's code as
  it ran* (``report_code``: weights carried across the lambdas, L1 before L2, 10
  epochs per lambda, 1,000 output columns, the bias penalised);
- *optimum*: the regularised training objective (mean cross-entropy plus lambda
  times the row's penalty; L2 for the unregularised logistic rows) solved to
  convergence at each lambda of ``optimum.GRID``, the lambda chosen on the
  hold-out set (``digitlab.optimum``; notebooks 03 and 04). It is not the best
  attainable test accuracy.

Two models on the same images are compared by McNemar's exact test
(``stats.mcnemar``), stored under ``paired`` in the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..splits import Splits, digit_pair, seed_splits
from .experiments import (
    LOGISTIC_LAMS,
    PAIRS,
    REPORT,
    SEEDS,
    SOFTMAX_LAMS,
    SOFTMAX_TOTAL,
    choose_on_holdout,
    kept,
    logistic_batch_run,
    logistic_minibatch_run,
    logistic_optimum,
    logistic_sweep,
    recipe_choice,
    recipe_runs,
    softmax_final_runs,
    softmax_optimum,
    softmax_recipe,
    softmax_report_settings,
)
from .report_code import CLASSES, EPOCHS, ORDER, CodeRun, code_choice, report_code_search, report_code_start
from .results import (
    CODE_VS_RECIPE,
    L2_VS_L1,
    LOGISTIC_VS,
    OPTIMUM_VS_RECIPE,
    RESULTS,
    TOLERANCE,
    check,
    check_recipe,
    code_record,
    compute,
    load_results,
    paired_record,
    stored_code,
    stored_recipe,
    write_results,
)
from .table import HEADER, chosen_code, chosen_recipe, format_summary, format_table, table_rows

__all__ = [
    "CLASSES",
    "CODE_VS_RECIPE",
    "EPOCHS",
    "HEADER",
    "L2_VS_L1",
    "LOGISTIC_LAMS",
    "LOGISTIC_VS",
    "OPTIMUM_VS_RECIPE",
    "ORDER",
    "PAIRS",
    "REPORT",
    "RESULTS",
    "SEEDS",
    "SOFTMAX_LAMS",
    "SOFTMAX_TOTAL",
    "TOLERANCE",
    "CodeRun",
    "check",
    "check_recipe",
    "choose_on_holdout",
    "chosen_code",
    "chosen_recipe",
    "code_choice",
    "code_record",
    "compute",
    "digit_pair",
    "format_summary",
    "format_table",
    "kept",
    "load_results",
    "logistic_batch_run",
    "logistic_minibatch_run",
    "logistic_optimum",
    "logistic_sweep",
    "main",
    "paired_record",
    "recipe_choice",
    "recipe_runs",
    "report_code_search",
    "report_code_start",
    "seed_splits",
    "softmax_final_runs",
    "softmax_optimum",
    "softmax_recipe",
    "softmax_report_settings",
    "stored_code",
    "stored_recipe",
    "table_rows",
    "write_results",
]


def main(figures: str | None = None, output: str | None = None) -> int:
    """Compute every experiment, write the results file, print the table; with ``figures``, write figures 11, 12."""
    splits = seed_splits()
    print("splits (report protocol):", ", ".join(f"{name} {len(d.y)}" for name, d in zip(splits._fields, splits)))
    for a, b in PAIRS:
        sizes = ", ".join(str(len(d.y)) for d in digit_pair(splits, a, b))
        print(f"  digits {a} vs {b}: train / hold-out / test = {sizes}")
    results = compute(splits)
    path = write_results(results, Path(output) if output else RESULTS)
    print(format_table(results))
    print()
    print(format_summary(results))
    print(f"results written to {path}")
    if figures:
        _figures(splits, Path(figures))
    return 0


def _figures(splits: Splits, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plots

    plots.set_style()
    out.mkdir(parents=True, exist_ok=True)
    fit = softmax_final_runs(splits, progress=False)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    plots.plot_curves(fit["normal"].history, "loss", ax=axes[0], title="figure 11a: loss")
    plots.plot_curves(fit["normal"].history, "acc", ax=axes[1], title="figure 11b: accuracy")
    fig.savefig(out / "figure11_softmax_curves.png")
    fig, axes = plt.subplots(2, 10, figsize=(14, 3.6))
    plots.weight_row(fit["zeros"].w.T, axes[0], titles=[str(d) for d in range(10)])
    averages = [splits.train.X[splits.train.y == d, 1:].mean(axis=0) for d in range(10)]
    plots.plot_digits(np.array(averages), axes=axes[1])
    fig.suptitle("figure 12: weights (the report's recipe from a zero start) and average digits")
    fig.savefig(out / "figure12_softmax_weights.png")
    plt.close("all")
    print(f"figures written to {out}")
