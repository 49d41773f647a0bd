import numpy as np
import pytest

import digitlab as dl
from digitlab.explorer import Explorer, LatestWins, PathCache, fit_for_lambda, task_splits


def test_l2_solution_is_the_optimum_of_digitlab_loss():
    solution = fit_for_lambda((2, 3), "l2", 1e-3, tol=1e-10)
    X, y = task_splits((2, 3)).train
    _, grad = dl.logistic_loss(solution.w, X.astype(np.float64), y, lam=1e-3)
    assert np.abs(grad).max() < 1e-4  # stationary: the gradient of the regularised loss vanishes


def test_long_gradient_descent_reaches_the_same_optimum():
    pair = task_splits((2, 8))
    solution = fit_for_lambda((2, 8), "l2", 1e-2, tol=1e-10)
    fit = dl.fit_logistic(pair, lam=1e-2, lr=0.15, epochs=3000, batch_size=None, eval_every=3000, dtype=np.float64)
    X, y = pair.train.X.astype(np.float64), pair.train.y
    solved, descended = (dl.logistic_loss(w, X, y, lam=1e-2)[0] for w in (solution.w, fit.w))
    assert solved <= descended + 1e-6  # the solver is at least as far down as 3,000 epochs of descent
    assert descended - solved < 1e-3  # and descent is closing in on the same optimum
    assert abs(fit.history["test_acc"][-1] - solution.test_acc) <= 0.005


def test_l1_gives_exact_zeros_and_more_of_them_as_lambda_grows():
    weak = fit_for_lambda((4, 9), "l1", 1e-4)
    strong = fit_for_lambda((4, 9), "l1", 1e-2, warm_start=weak.w)
    assert strong.zero_fraction > weak.zero_fraction > 0
    assert strong.norm < weak.norm


def test_l1_answer_meets_the_optimality_condition_on_every_pixel():
    # the solver screens pixels out; the condition is checked here on all 785 rows
    lam = 1e-3
    solution = fit_for_lambda((4, 9), "l1", lam, tol=1e-11)
    X, y = task_splits((4, 9)).train
    _, grad = dl.logistic_loss(solution.w, X.astype(np.float64), y)  # loss only: lam = 0
    body, g = solution.w[1:], grad[1:]
    zero = body == 0
    assert 0 < zero.mean() < 1
    assert np.abs(g[zero]).max() <= lam * 1.01  # a zero weight: the loss gradient within [-lam, lam]
    assert np.abs(g[~zero] + lam * np.sign(body[~zero])).max() < 1e-2 * lam  # otherwise it balances the penalty
    assert abs(grad[0]) < 1e-2 * lam  # the free bias


def test_l1_quadratic_model_is_minimised_exactly():
    from digitlab.solvers import l1_quadratic

    rng = np.random.default_rng(4)
    A = rng.normal(size=(40, 12))
    H, b = A.T @ A / 40 + 0.05 * np.eye(12), rng.normal(size=12)
    cost = np.full(12, 0.4)
    cost[0] = 0.0  # a free weight, like a bias
    x = l1_quadratic(H, b, np.zeros(12), cost)
    grad = H @ x + b
    zero = x == 0
    assert 0 < zero.sum() < 11  # the penalty zeroes some weights, not all
    assert np.all(np.abs(grad[zero]) <= cost[zero] + 1e-12)  # a zero weight: the gradient within [-cost, cost]
    np.testing.assert_allclose(grad[~zero], -cost[~zero] * np.sign(x[~zero]), atol=1e-10)  # the rest balance it


def test_ten_digit_l1_by_newton_steps_meets_the_optimality_condition():
    from digitlab.solvers import NEWTON_STEPS

    lam = 1e-2
    solution = fit_for_lambda("all", "l1", lam)
    assert solution.iterations < NEWTON_STEPS  # Newton alone finished: no L-BFGS-B hand-over
    X, y = task_splits("all").train
    _, grad = dl.softmax_loss(solution.w, X.astype(np.float64), y)  # loss only: lam = 0
    body, g = solution.w[1:], grad[1:]
    zero = body == 0
    assert 0.5 < zero.mean() < 1
    assert np.abs(g[zero]).max() <= lam * 1.01
    assert np.abs(g[~zero] + lam * np.sign(body[~zero])).max() < 2e-2 * lam


@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_pixels_never_seen_in_training_get_zero_weight(penalty):
    X, _ = task_splits((0, 1)).train
    unseen = ~X.any(axis=0)
    assert unseen.sum() > 100
    assert np.all(fit_for_lambda((0, 1), penalty, 1e-4).w[unseen] == 0)


def test_ten_digit_biases_are_centred():
    w = fit_for_lambda("all", "l2", 1e-1, tol=1e-4).w
    assert w.shape == (785, 10)
    assert abs(w[0].sum()) < 1e-9 and np.abs(w[0]).max() > 1e-3


def test_path_start_follows_the_line_through_the_two_nearest_solutions():
    from types import SimpleNamespace

    w_a, w_b = np.array([0.0, 1.0, -1.0, 0.5]), np.array([0.0, 2.0, -0.5, 0.0])
    solved = {1e-2: SimpleNamespace(w=w_a), 10**-2.1: SimpleNamespace(w=w_b)}
    ahead = PathCache._start(solved, "l2", 10**-2.2)
    np.testing.assert_allclose(ahead, [0.0, 3.0, 0.0, -0.5])  # one more step along the line
    between = PathCache._start(solved, "l2", 10**-2.05)
    np.testing.assert_allclose(between, (w_a + w_b) / 2)
    l1 = PathCache._start(solved, "l1", 10**-2.2)
    np.testing.assert_allclose(l1, [0.0, 3.0, 0.0, 0.0])  # no sign guessed: a crossing weight starts at zero
    far = PathCache._start(solved, "l2", 1e-4)
    np.testing.assert_array_equal(far, w_b)  # too far to extrapolate: the nearest solution


def test_warm_start_agrees_with_a_cold_solve():
    cache = PathCache()
    for lam in (1e-1, 3e-2, 1e-2):
        warm = cache.solve((3, 5), "l2", lam)
    cold = fit_for_lambda((3, 5), "l2", 1e-2, tol=1e-10)
    assert np.linalg.norm(warm.w - cold.w) / np.linalg.norm(cold.w) < 2e-2
    assert abs(warm.test_acc - cold.test_acc) <= 0.005


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (((3, 3), "l2", 1e-3), "different digits"),
        (((2, 3), "l0", 1e-3), "penalty"),
        (((2, 3), "l2", -1.0), "lam="),
        (("some", "l2", 1e-3), "neither a digit pair"),
    ],
)
def test_bad_requests_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        fit_for_lambda(*args)


def test_latest_wins_collapses_queued_requests():
    import threading

    release, seen = threading.Event(), []

    def work(request):
        if request == 0:
            release.wait(5)
        seen.append(request)

    runner = LatestWins(work, on_error=lambda exc: seen.append(exc))
    runner.submit(0)
    for request in range(1, 6):
        runner.submit(request)
    release.set()
    runner.wait()
    assert seen == [0, 5]


def test_widget_updates_image_and_numbers_when_controls_change():
    explorer = Explorer()
    image, numbers, curve = explorer.image.value, explorer.numbers.value, explorer.curve.value
    assert "97" in numbers or "98" in numbers  # 2 vs 3 at lambda 1e-3
    explorer.lam.value = 0.1
    explorer.runner.wait()
    assert explorer.image.value != image and explorer.numbers.value != numbers
    assert 'data-lam="1.000e-01"' in explorer.curve.value and explorer.curve.value != curve
    explorer.penalty.value = "l1"
    explorer.runner.wait()
    solution = fit_for_lambda((2, 3), "l1", 0.1)
    assert f"{solution.test_acc:.2%}" in explorer.numbers.value
    explorer.a.value = 7
    explorer.runner.wait()
    assert f"{fit_for_lambda((7, 3), 'l1', 0.1).test_acc:.2%}" in explorer.numbers.value
    explorer.b.value = 7  # the same digit twice: a clear message, the last display kept
    explorer.runner.wait()
    assert "two different digits" in explorer.status.value
    explorer.restart()
    explorer.runner.wait()
    assert explorer.status.value == "" and explorer.request() == ((2, 3), "l2", 1e-3)


def test_an_error_in_a_callback_shows_in_the_widget(monkeypatch):
    explorer = Explorer()

    def broken(*args):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(explorer.cache, "solve", broken)
    explorer.lam.value = 0.01
    explorer.runner.wait()
    assert "solver exploded" in explorer.status.value


def test_scipy_blas_runs_on_one_thread_only_inside_the_solver():
    from digitlab.solvers import _scipy_blas, scipy_blas_on_one_thread

    libraries = _scipy_blas()
    assert libraries, "SciPy's own BLAS was not found"
    before = [lib.num_threads for lib in libraries]
    with scipy_blas_on_one_thread():
        assert all(lib.num_threads == 1 for lib in libraries)
    assert [lib.num_threads for lib in libraries] == before
