"""The one solve pipeline: the results table and the explorer get the same answer from it."""

import numpy as np
import pytest

import digitlab as dl
from digitlab import optimum
from digitlab.explorer import solve_for_lambda


@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_a_task_and_its_splits_and_the_explorer_get_one_answer(splits, penalty):
    by_task = optimum.solve((4, 9), penalty, 3e-3, tol=1e-10)
    by_splits = optimum.solve(dl.digit_pair(splits, 4, 9), penalty, 3e-3, tol=1e-10)
    explorer = solve_for_lambda((4, 9), penalty, 3e-3, tol=1e-10)
    for other in (by_splits, explorer):
        np.testing.assert_array_equal(other.w, by_task.w)
        assert (other.test, other.holdout, other.objective) == (by_task.test, by_task.holdout, by_task.objective)
    assert by_task.task == (4, 9) and by_splits.task is None
    assert by_task.optimality < 1e-4 and np.isnan(explorer.optimality)  # the explorer does not measure it


def test_the_model_follows_the_labels(splits):
    pair = optimum.solve((2, 3), "l2", 1e-1, tol=1e-6, measure=False)
    ten = optimum.solve("all", "l2", 1e-1, tol=1e-3, measure=False)
    assert pair.w.shape == (785,) and ten.w.shape == (785, 10)
    assert pair.size == 784 and ten.size == 7840
    assert ten.unseen_count % 10 == 0  # a pixel never lit keeps its weight 0 in each of the ten classes
    np.testing.assert_allclose(ten.w[0].mean(), 0, atol=1e-12)  # softmax's ten biases centred


def test_pixels_no_training_image_lights_keep_weight_zero(splits):
    pair = dl.digit_pair(splits, 0, 1)
    dark = np.setdiff1d(np.arange(785), dl.splits.lit_pixels(pair.train.X))
    solution = optimum.solve(pair, "l2", 1e-3, tol=1e-8, measure=False)
    assert len(dark) > 0 and np.all(solution.w[dark] == 0)
    assert solution.unseen_count == len(dark)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (((2, 3), "l3", 1e-3), ValueError, "penalty 'l3' is unknown; use 'l2' or 'l1'"),
        (((2, 3), "l2", 0.0), ValueError, "lam=0.0 must be > 0"),
        (((2, 2), "l2", 1e-3), ValueError, "both digits are 2"),
    ],
)
def test_bad_requests_are_refused_before_any_work(args, error, message):
    with pytest.raises(error, match=message):
        optimum.solve(*args)
