"""The results file is current: what README and notebook 00 show is the file, and the file is what the code computes.

The notebooks recompute the cheap rows when they run (02: logistic recipe; 03: logistic optimum; 04: softmax
recipe, seed 0) and check them against ``results/results.json``. The tests here recompute the rest (the softmax
recipe from seeds 1-4, the ten-digit optimum: a few minutes), so that a change to the code that moves a number
fails until ``python -m digitlab reproduce`` is run again.
"""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from digitlab import optimum
from digitlab import reproduce as rp
from digitlab.stats import Accuracy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def results():
    return rp.load_results()


def test_the_file_holds_the_experiments_the_code_defines(results):
    assert results["seeds"] == list(rp.SEEDS) and len(rp.SEEDS) >= 5
    assert results["grid"] == {key: list(lams) for key, lams in optimum.GRID.items()}
    assert sorted(results["logistic"]) == [f"{a} vs {b}" for a, b in rp.PAIRS]
    for seed in rp.SEEDS:
        keys = {(r["init"], r["penalty"], r["lam"]) for r in results["softmax"]["recipe"][str(seed)]}
        assert keys == {key for key, _ in rp._recipe_runs(18000, seed)}
    for penalty in ("l2", "l1"):
        best = results["softmax"]["optimum"][penalty]
        assert [p["lam"] for p in best["path"]] == list(optimum.GRID["all"])
        assert best["penalty"] == penalty and best["lam"] in optimum.GRID["all"]


def test_readme_and_notebook_00_show_the_file(results):
    table = rp.format_table(results)
    summary = rp.format_summary(results)
    readme = (ROOT / "README.md").read_text()
    assert table in readme and summary in readme, "run: python tools/navigation.py"
    index = json.loads((ROOT / "notebooks" / "00_index.ipynb").read_text())
    shown = [
        "".join(output["data"].get("text/markdown", ""))
        for cell in index["cells"]
        if cell["cell_type"] == "code"
        for output in cell["outputs"]
        if "data" in output
    ]
    assert table + "\n\n" + summary in shown, "run: python tools/run_notebooks.py notebooks/00_index.ipynb"


def test_every_accuracy_in_the_table_is_a_count_with_its_interval(results):
    rows = rp.table_rows(results)
    assert len(rows) == 2 + 2 * 2 * 2  # two pairs; L2 and L1 for both lambda sets, hold-out and test
    for row in rows:
        for cell in row[1:]:
            if "rounded" not in cell:
                assert "/" in cell and "-" in cell.split(";")[1], cell  # correct/total; low-high
    assert any("0.05, 0.005, 0.0005" in row[0] for row in rows)  # the report's second lambda set
    assert all("L1 lambda" in row[3] for row in rows if row[0].startswith("softmax L1"))


def test_check_flags_a_stale_count():
    rp.check(Accuracy(1826, 2000), [1830, 2000])  # within the tolerance: float rounding elsewhere
    with pytest.raises(AssertionError, match="stale"):
        rp.check(Accuracy(1826, 2000), [1800, 2000], "softmax")


@pytest.fixture(scope="module")
def splits():
    return rp.seed_splits()


@pytest.mark.parametrize("seed", [s for s in rp.SEEDS if s != 0])  # seed 0: notebook 04 runs it
def test_softmax_recipe_from_each_seed_matches_the_file(results, splits, seed):
    rp.check_recipe(rp.softmax_recipe(splits, seed, progress=False), splits, results, seed)


@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_ten_digit_optimum_matches_the_file(results, splits, penalty):
    path, best = rp.softmax_optimum(splits, penalty, progress=False)
    stored = results["softmax"]["optimum"][penalty]
    assert best.lam == stored["lam"]
    for solved, point in zip(path, stored["path"]):
        assert solved.lam == point["lam"]
        rp.check(solved.holdout, point["holdout"], f"optimum {penalty} {solved.lam:g}")
        rp.check(solved.test, point["test"], f"optimum {penalty} {solved.lam:g}")
        assert solved.optimality < 1e-4


def test_optimum_solves_the_objective_it_names(splits):
    pair = rp.digit_pair(splits, 2, 8)
    l1 = optimum.solve(pair, "l1", 0.01)
    l2 = optimum.solve(pair, "l2", 0.01)
    assert l1.optimality < 1e-4 and l2.optimality < 1e-4
    assert np.mean(l1.w[1:] == 0) > 0.8 > np.mean(l2.w[1:] == 0)  # L1 lands on exact zeros, L2 does not
    ties = [dataclasses.replace(l2, lam=lam, holdout_correct=5, holdout_total=9) for lam in (1e-3, 1e-2)]
    assert optimum.choose_on_holdout(ties).lam == 1e-2  # a tie goes to the larger lambda
    with pytest.raises(ValueError, match="lam=0"):
        optimum.solve(pair, "l2", 0)
