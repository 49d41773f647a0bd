import functools

import numpy as np
import pytest

import digitlab as dl
from digitlab.explorer import Explorer, LatestWins, PathCache, solve_for_lambda, task_splits
from digitlab.explorer.path import GAP, SLIDER_LAMS


@pytest.fixture(autouse=True)
def empty_disk_cache(tmp_path, monkeypatch):
    """Every explorer here starts without a path kept from an earlier session."""
    monkeypatch.setenv("DIGITLAB_CACHE", str(tmp_path / "cache"))


def test_l2_solution_is_the_optimum_of_digitlab_loss():
    solution = solve_for_lambda((2, 3), "l2", 1e-3, tol=1e-10)
    X, y = task_splits((2, 3)).train
    _, grad = dl.logistic_loss(solution.w, X.astype(np.float64), y, lam=1e-3)
    assert np.abs(grad).max() < 1e-4  # stationary: the gradient of the regularised loss vanishes


def test_long_gradient_descent_reaches_the_same_optimum():
    pair = task_splits((2, 8))
    solution = solve_for_lambda((2, 8), "l2", 1e-2, tol=1e-10)
    fit = dl.fit_logistic(pair, lam=1e-2, lr=0.15, epochs=3000, batch_size=None, eval_every=3000, dtype=np.float64)
    X, y = pair.train.X.astype(np.float64), pair.train.y
    solved, descended = (dl.logistic_loss(w, X, y, lam=1e-2)[0] for w in (solution.w, fit.w))
    assert solved <= descended + 1e-6  # the solver is at least as far down as 3,000 epochs of descent
    assert descended - solved < 1e-3  # and descent is closing in on the same optimum
    assert abs(fit.history["test_acc"][-1] - solution.test_acc) <= 0.005


def test_l1_gives_exact_zeros_and_more_of_them_as_lambda_grows():
    weak = solve_for_lambda((4, 9), "l1", 1e-4)
    strong = solve_for_lambda((4, 9), "l1", 1e-2, warm_start=weak.w)
    assert strong.zero_fraction > weak.zero_fraction > 0
    assert strong.norm < weak.norm


def test_l1_answer_meets_the_optimality_condition_on_every_pixel():
    # the solver screens pixels out; the condition is checked here on all 785 rows
    lam = 1e-3
    solution = solve_for_lambda((4, 9), "l1", lam, tol=1e-11)
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
    solution = solve_for_lambda("all", "l1", lam)
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
    assert np.all(solve_for_lambda((0, 1), penalty, 1e-4).w[unseen] == 0)


def test_ten_digit_biases_are_centred():
    w = solve_for_lambda("all", "l2", 1e-1, tol=1e-4).w
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


def test_every_explorer_answer_is_within_the_gap_of_the_optimum():
    from digitlab.explorer.path import GAP, SLIDER_LAMS

    cache = PathCache()
    for task, penalty in (((2, 3), "l2"), ((2, 3), "l1"), ("all", "l2")):
        for lam in SLIDER_LAMS[[30, 29, 28, 23]]:  # 1e-2, then steps and a drag of half a decade
            answer = cache.solve(task, penalty, float(lam))
            best = solve_for_lambda(task, penalty, float(lam), warm_start=answer.w, tol=1e-12).objective
            assert (answer.objective - best) / best <= GAP, (task, penalty, lam)


def test_warm_start_agrees_with_a_cold_solve():
    cache = PathCache()
    for lam in (1e-1, 3e-2, 1e-2):
        warm = cache.solve((3, 5), "l2", lam)
    cold = solve_for_lambda((3, 5), "l2", 1e-2, tol=1e-10)
    assert np.linalg.norm(warm.w - cold.w) / np.linalg.norm(cold.w) < 2e-2
    assert abs(warm.test_acc - cold.test_acc) <= 0.005


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (((3, 3), "l2", 1e-3), {}, ValueError, "different digits"),
        (((2, 3), "l0", 1e-3), {}, ValueError, "penalty"),
        (((2, 3), "l2", -1.0), {}, ValueError, "lam="),
        (((2, 3), "l1", 0.0), {}, ValueError, "lam=0"),
        (((2, 3), "l2", float("nan")), {}, ValueError, "lam="),
        (((2, 3), "l2", float("inf")), {}, ValueError, "lam="),
        (((2, 3), "l2", "0.1"), {}, TypeError, "lam="),
        (((2, 3), "l2", True), {}, TypeError, "lam="),
        (("some", "l2", 1e-3), {}, ValueError, "neither a digit pair"),
        (("23", "l2", 1e-3), {}, ValueError, "neither a digit pair"),
        (((2.7, 3.2), "l2", 1e-3), {}, ValueError, "whole numbers"),
        (((2, 3, 4), "l2", 1e-3), {}, ValueError, "neither a digit pair"),
        (((2, 3), "l2", 1e-3), {"warm_start": np.full(785, np.nan)}, ValueError, "warm_start holds 785 NaN"),
        (((2, 3), "l2", 1e-3), {"warm_start": np.zeros(784)}, ValueError, "warm_start has shape"),
        (((2, 3), "l2", 1e-3), {"warm_start": "zeros"}, TypeError, "warm_start"),
        (("all", "l2", 1e-3), {"warm_start": np.zeros(785)}, ValueError, r"needs \(785, 10\)"),
        (((2, 3), "l2", 1e-3), {"tol": -1}, ValueError, "tol=-1"),
        (((2, 3), "l2", 1e-3), {"tol": 0}, ValueError, "tol=0"),
        (((2, 3), "l2", 1e-3), {"tol": float("nan")}, ValueError, "tol=nan"),
        (((2, 3), "l2", 1e-3), {"tol": "1e-6"}, TypeError, "tol="),
    ],
)
def test_bad_requests_are_refused_naming_the_argument(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        solve_for_lambda(*args, **kwargs)


@pytest.mark.parametrize("lam", [1e-9, 1e-8, 1e-7])
def test_l1_at_lambda_near_zero_is_solved(lam):
    # once LinAlgError: the Newton model's Hessian is not positive definite at working precision
    solution = solve_for_lambda((3, 5), "l1", lam)
    X, y = task_splits((3, 5)).train
    _, grad = dl.logistic_loss(solution.w, X.astype(np.float64), y)
    body, g = solution.w[1:], grad[1:]
    zero = (body == 0) & X[:, 1:].any(axis=0)  # pixels training lights, held at zero
    assert np.all(np.isfinite(solution.w)) and solution.train_acc > 0.97
    assert not zero.any() or np.abs(g[zero]).max() <= max(lam * 1.01, 1e-6)


def test_path_cache_is_bounded_least_recently_used_first():
    cache = PathCache(max_solutions=3)
    lams = [1e-1, 10**-1.1, 10**-1.2]
    for lam in lams:
        cache.solve((0, 1), "l2", lam)
    cache.get((0, 1), "l2", lams[0])  # used again: now the most recent
    cache.solve((0, 1), "l2", 10**-1.3)
    assert len(cache) == 3
    assert cache.get((0, 1), "l2", lams[1]) is None  # the least recently used went
    assert cache.get((0, 1), "l2", lams[0]) is not None
    with pytest.raises(ValueError, match="max_solutions"):
        PathCache(max_solutions=0)


def test_a_slider_value_finds_the_solution_computed_for_its_position():
    from digitlab.explorer.path import SLIDER_LAMS

    cache = PathCache()
    cache.solve((0, 1), "l2", float(SLIDER_LAMS[20]))
    slider_value = 10 ** (-5 + 0.1 * 20 + 1e-13)  # what a page's slider sends may differ in the last digits
    assert slider_value != SLIDER_LAMS[20] and cache.get((0, 1), "l2", slider_value) is not None


def test_latest_wins_collapses_queued_requests():
    import threading

    started, release, seen = threading.Event(), threading.Event(), []

    def work(request):
        if request == 0:
            started.set()
            release.wait(5)  # busy, and not asking whether to go on
        seen.append(request)

    runner = LatestWins(work, on_error=lambda exc: seen.append(exc))
    runner.submit(0)
    assert started.wait(5)
    for request in range(1, 6):
        runner.submit(request)
    release.set()
    runner.wait()
    assert seen == [0, 5]
    runner.close()


def test_latest_wins_abandons_the_work_in_flight_for_a_newer_request():
    import threading

    from digitlab.explorer import Abandoned

    started, finished = threading.Event(), []
    runner = None

    def work(request):
        if request == "slow":
            started.set()
            while True:  # a solver's iterations, each asking whether to go on
                runner.check()
                threading.Event().wait(0.01)
        finished.append(request)

    runner = LatestWins(work, on_error=lambda exc: finished.append(exc))
    runner.submit("slow")
    assert started.wait(5)
    runner.submit("new")
    runner.wait(5)
    assert finished == ["new"]  # the slow one was dropped, silently (Abandoned is no error)
    runner.close()
    assert not runner.alive()
    runner.submit("after close")
    assert finished == ["new"]
    assert issubclass(Abandoned, Exception)


def value(html: str, name: str) -> str:
    import re

    return re.search(rf'data-name="{re.escape(name)}"[^>]*>([^<]*)<', html).group(1)


def test_widget_updates_the_answer_when_controls_change():
    explorer = Explorer(ahead=False)
    answer, curve = explorer.answer.value, explorer.curve.value
    assert 'data-state="final"' in answer and 'data-lam="1.000000e-03"' in answer
    assert value(answer, "test accuracy") == f"{solve_for_lambda((2, 3), 'l2', 1e-3).test_acc:.2%}"
    assert answer.count("<img") == 1 and "3 (red) against 2 (blue)" in answer
    explorer.lam.value = 0.1
    explorer.runner.wait()
    assert explorer.answer.value != answer and 'data-lam="1.000000e-01"' in explorer.answer.value
    assert 'data-lam="1.000e-01"' in explorer.curve.value and explorer.curve.value != curve
    explorer.penalty.value = "l1"
    explorer.runner.wait()
    solution = solve_for_lambda((2, 3), "l1", 0.1)
    assert value(explorer.answer.value, "test accuracy") == f"{solution.test_acc:.2%}"
    assert value(explorer.answer.value, "weights exactly 0") == f"{solution.zero_count:,} of 784"
    explorer.a.value = 7
    explorer.runner.wait()
    assert value(explorer.answer.value, "test accuracy") == f"{solve_for_lambda((7, 3), 'l1', 0.1).test_acc:.2%}"
    explorer.b.value = 7  # the same digit twice: a clear message, the last display kept
    explorer.runner.wait()
    assert "two different digits" in explorer.status.value
    explorer.mode.value = "all"
    assert explorer.a.layout.display == "none" and explorer.b.layout.display == "none"  # only what applies
    explorer.runner.wait()
    assert explorer.answer.value.count("<img") == 10 and "digit 9" in explorer.answer.value
    explorer.restart()
    explorer.runner.wait()
    assert explorer.status.value == "" and explorer.request() == ((2, 3), "l2", 1e-3)
    assert explorer.a.layout.display is None
    explorer.close()


def test_a_long_solve_shows_its_iterates_marked_refining(monkeypatch):
    from digitlab.explorer import widget as page

    monkeypatch.setattr(page, "REFINE_AFTER", 0.0)
    monkeypatch.setattr(page, "REFINE_EVERY", 0.0)
    explorer = Explorer(ahead=False, shipped=False)  # ten digits solved, not looked up
    states = []
    explorer.answer.observe(lambda change: states.append(change["new"]), names="value")
    explorer.mode.value = "all"
    explorer.runner.wait()
    refining = [s for s in states if 'data-state="refining"' in s]
    assert refining and all('data-task="all ten digits"' in s and "refining&hellip;" in s for s in refining)
    assert 'data-state="final"' in states[-1] and "refining" not in states[-1]
    explorer.close()


def test_the_path_is_computed_ahead_while_nobody_moves():
    import time

    from digitlab.explorer.path import SLIDER_LAMS

    explorer = Explorer()
    here = int(np.argmin(np.abs(SLIDER_LAMS - 1e-3)))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and explorer.cache.get((2, 3), "l2", float(SLIDER_LAMS[here - 1])) is None:
        time.sleep(0.05)
    explorer.lam.value = float(SLIDER_LAMS[here - 1])
    explorer.runner.wait()
    assert 'data-solve-ms="0.0"' in explorer.answer.value  # answered from the path, no solve
    explorer.close()


def test_close_stops_the_worker_and_abandons_a_solve_in_flight():
    import time

    explorer = Explorer(ahead=False)
    explorer.mode.value = "all"  # a cold ten-digit solve: seconds
    explorer.lam.value = 1e-5
    time.sleep(0.3)
    started = time.perf_counter()
    explorer.close()
    assert time.perf_counter() - started < 2.0 and not explorer.runner.alive()
    solved = len(explorer.cache)
    explorer.lam.value = 1e-2  # a change after closing is not solved
    time.sleep(0.2)
    assert len(explorer.cache) == solved and explorer.closed


def test_closing_the_widget_closes_the_explorer():
    explorer = Explorer()
    explorer.widget.close()
    assert explorer.closed and not explorer.runner.alive()
    assert explorer.lam.comm is None  # the controls are closed too


def test_an_error_in_a_callback_shows_in_the_widget(monkeypatch):
    explorer = Explorer(ahead=False)

    def broken(*args, **kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(explorer.cache, "solve", broken)
    explorer.lam.value = 0.01
    explorer.runner.wait()
    assert "solver exploded" in explorer.status.value
    explorer.close()


BLAS_HOLD = """
import threading

from digitlab.explorer import Explorer
from digitlab.threads import blas_libraries, blas_on_one_thread

libraries = blas_libraries()
scipys = [lib for lib in libraries if "scipy" in lib.filepath]
assert scipys and len(libraries) >= 2, "NumPy's and SciPy's BLAS were not both found"
for lib in libraries:  # two threads outside the block, whatever the environment chose
    lib.set_num_threads(2)
before = [lib.num_threads for lib in libraries]
assert before == [2] * len(libraries)
with blas_on_one_thread():
    assert all(lib.num_threads == 1 for lib in libraries)
    with blas_on_one_thread():  # re-entrant
        pass
    assert all(lib.num_threads == 1 for lib in libraries)
assert [lib.num_threads for lib in libraries] == before
explorer = Explorer(ahead=False)  # the explorer holds one thread from the main thread while it lives
assert all(lib.num_threads == 1 for lib in libraries)
explorer.close()
assert [lib.num_threads for lib in libraries] == before
Explorer._answer = lambda self, request: 1 / 0  # a first answer that fails: no explorer, and the thread given back
try:
    Explorer(ahead=False)
except ZeroDivisionError:
    pass
assert [lib.num_threads for lib in libraries] == before


def elsewhere():  # OpenBLAS ignores thread counts set off the main thread: the block does nothing there
    with blas_on_one_thread():
        pass


thread = threading.Thread(target=elsewhere)
thread.start()
thread.join()
assert [lib.num_threads for lib in libraries] == before
"""


def test_blas_runs_on_one_thread_inside_the_solver_and_is_given_back():
    """In a fresh process: the hold is process-wide, so a test worker's earlier tests must not decide it."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", BLAS_HOLD], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


def test_weight_tiles_are_png_on_one_diverging_scale_with_zero_white():
    import io

    from matplotlib.image import imread

    from digitlab.explorer import tile_png

    w = np.zeros(784)
    w[0], w[1] = 2.0, -2.0
    image = imread(io.BytesIO(tile_png(w, vmax=2.0)))
    assert image.shape[:2] == (28, 28)
    red, blue, white = image[0, 0, :3], image[0, 1, :3], image[5, 5, :3]
    assert red[0] > 0.3 > red[2] and blue[2] > 0.3 > blue[0]
    assert np.all(white > 0.95)


# -- the shipped ten-digit path --------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def shipped_residuals(penalty: str) -> tuple[np.ndarray, np.ndarray]:
    """At each slider position of the shipped path: ``(bound, bias)``.

    With ``r = optimum.optimality_residual`` of the float64 loss gradient: L2, ``bound`` is
    ``sum(r**2) / (4 lam)`` over the penalised weights, which bounds the objective's distance to its optimum
    (the penalised weights make it 2 lam strongly convex there), compared with ``GAP * objective``; L1, the
    largest ``r`` over the penalised weights, compared with ``lam``. ``bias`` is the largest ``|g|`` on the
    bias row, which the penalty leaves out (no strong convexity to lean on): it is held to a small number of
    its own.
    """
    from digitlab.explorer.shipped import load
    from digitlab.kernels import softmax_scores_loss
    from digitlab.optimum import optimality_residual

    X, y = task_splits("all").train
    path = load()[penalty]
    W = np.stack([s.w for s in path])  # (51, 785, 10)
    _, grad, _ = softmax_scores_loss(W.transpose(1, 0, 2), X.astype(np.float64), y)
    g = grad.transpose(1, 0, 2)  # (51, 785, 10), float64
    bound, bias = [], []
    for s, w, gi in zip(path, W, g):
        r = optimality_residual(w, gi, s.lam, penalty)
        bound.append(np.sum(r[1:] ** 2) / (4 * s.lam) / (GAP * s.objective) if penalty == "l2" else r[1:].max() / s.lam)
        bias.append(r[0].max())
    return np.array(bound), np.array(bias)


# positions of the shipped file where the bound below does not hold (found so; each still solved again in
# ``test_a_shipped_position_solved_again_agrees`` at lambda 1e-5 and 1e-4): L2 at lambda <= 6.3e-5 but 5e-5,
# L1 at lambda <= 5e-4 but 4e-4. Each of them, solved again to ftol 1e-12 from its stored weights, was found
# within 1.5e-5 (relative) of that optimum, inside GAP: the bounds are loose there, the file not (yet) proven
UNPROVEN = {"l2": {0, 1, 2, 3, 4, 5, 6, 8}, "l1": set(range(16)) | {17}}
L1_RESIDUAL = 2e-2  # times lambda, as for the explorer's own answers above
BIAS_GRADIENT = 1e-4


def test_the_shipped_file_holds_the_grid_and_the_weights_as_made():
    from digitlab.explorer.shipped import FILE, load, on_the_grid, path_key

    assert FILE.is_file() and FILE.stat().st_size < 5e6
    with np.load(FILE, allow_pickle=False) as saved:
        assert str(saved["key"]) == path_key()
        assert on_the_grid(saved["lams"])
        for penalty in ("l2", "l1"):
            assert saved[f"{penalty}_w"].shape == (51, 785, 10) and saved[f"{penalty}_w"].dtype == np.float32
    assert load() is not None, f"{FILE.name}: its stored numbers do not match what this code computes"


@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_the_shipped_numbers_belong_to_the_shipped_weights(penalty):
    from digitlab.explorer.path import describe
    from digitlab.explorer.shipped import OBJECTIVE_RTOL, load

    for s in load()[penalty]:
        now = describe("all", penalty, s.lam, s.w)
        assert (now.train_acc, now.holdout_acc, now.test_acc) == (s.train_acc, s.holdout_acc, s.test_acc), s.lam
        assert (now.zero_count, now.unseen_count, now.near_zero_count) == (
            s.zero_count,
            s.unseen_count,
            s.near_zero_count,
        ), s.lam
        assert now.objective == pytest.approx(s.objective, rel=OBJECTIVE_RTOL), s.lam
        assert now.norm == pytest.approx(s.norm, rel=1e-6), s.lam  # stored from the float64 weights


def _holds(penalty: str) -> np.ndarray:
    bound, bias = shipped_residuals(penalty)
    return (bound <= (1.0 if penalty == "l2" else L1_RESIDUAL)) & (bias < BIAS_GRADIENT)


@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_the_shipped_path_meets_the_optimality_conditions(penalty):
    holds = _holds(penalty)
    proven = [i for i in range(len(SLIDER_LAMS)) if i not in UNPROVEN[penalty]]
    assert holds[proven].all(), [SLIDER_LAMS[i] for i in proven if not holds[i]]


@pytest.mark.xfail(strict=True, reason="the shipped file is not polished enough there yet (UNPROVEN)")
@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_the_shipped_path_meets_the_optimality_conditions_at_small_lambda(penalty):
    assert _holds(penalty)[sorted(UNPROVEN[penalty])].all()


def _copy(tmp_path, change=None, name="path.npz"):
    from digitlab.explorer.shipped import FILE

    with np.load(FILE, allow_pickle=False) as saved:
        arrays = dict(saved)
    if change:
        change(arrays)
    file = tmp_path / name
    np.savez(file, **arrays)
    return file


def _scale_objective(arrays):
    from digitlab.explorer.shipped import RECOMPUTED_POSITION

    arrays["l1_objective"] = arrays["l1_objective"].copy()
    arrays["l1_objective"][RECOMPUTED_POSITION] *= 1 + 1e-5  # ten times what float32 sums may differ by


def test_a_shipped_file_for_another_objective_is_rejected(tmp_path):
    from digitlab.explorer.shipped import load

    assert load(_copy(tmp_path), sha256=None) is not None
    assert load(_copy(tmp_path, _scale_objective, "objective.npz"), sha256=None) is None
    assert load(_copy(tmp_path, lambda a: a.update(l2_w=a["l2_w"][:, :, :9]), "shape.npz"), sha256=None) is None
    assert load(_copy(tmp_path, lambda a: a.update(lams=a["lams"] * (1 + 1e-9)), "lams.npz"), sha256=None) is None


def test_a_damaged_shipped_file_is_ignored_not_a_crash(tmp_path):
    from digitlab.explorer.shipped import FILE, load

    half = tmp_path / "half.npz"
    half.write_bytes(FILE.read_bytes()[: FILE.stat().st_size // 2])
    assert load(half, sha256=None) is None
    assert load(tmp_path / "missing.npz", sha256=None) is None


def test_the_path_file_is_written_whole_with_its_suffix(tmp_path):
    from digitlab.explorer.build import write
    from digitlab.explorer.shipped import load

    file = write(load(), tmp_path / "out")
    assert file == tmp_path / "out.npz" and [p.name for p in tmp_path.iterdir()] == ["out.npz"]
    assert load(file, sha256=None) is not None


def test_the_explorer_says_when_the_shipped_path_is_not_used(monkeypatch):
    from digitlab.explorer import widget

    monkeypatch.setattr(widget, "load_shipped_path", lambda cache: False)
    with pytest.warns(UserWarning, match="python -m digitlab path"):
        explorer = Explorer(ahead=False, store=None)
    try:
        assert "ten_digit_path.npz" in explorer.notice.value and "python -m digitlab path" in explorer.notice.value
    finally:
        explorer.close()


def test_the_path_command_fails_when_it_writes_no_file(tmp_path, monkeypatch, capsys):
    from digitlab.__main__ import main
    from digitlab.explorer import build

    monkeypatch.setattr(build, "build", lambda penalty, work, progress: [])
    monkeypatch.setattr(build, "complete", lambda penalty, work: False)
    assert main(["path", "--penalty", "l2", "--work", str(tmp_path)]) == 1
    assert "no file written" in capsys.readouterr().out


@pytest.mark.parametrize(("penalty", "position"), [("l2", 0), ("l1", 10)])
def test_a_shipped_position_solved_again_agrees(penalty, position):
    from digitlab.explorer.path import GAP
    from digitlab.explorer.shipped import OBJECTIVE_RTOL, load

    shipped = load()[penalty][position]
    best = solve_for_lambda("all", penalty, shipped.lam, warm_start=shipped.w, tol=1e-12)
    assert (shipped.objective - best.objective) / best.objective <= GAP
    # nothing below the optimum (the numbers are honest), up to float32 sums of another NumPy version
    assert shipped.objective >= best.objective * (1 - OBJECTIVE_RTOL)
    assert abs(shipped.test_acc - best.test_acc) <= 0.001


def test_the_explorer_answers_ten_digits_from_the_shipped_path():
    from digitlab.explorer.shipped import load

    explorer = Explorer(ahead=False, store=None)
    try:
        explorer.mode.value = "all"
        explorer.runner.wait()
        shown = load()["l2"][20]  # lambda 1e-3, where the explorer starts
        assert value(explorer.answer.value, "test accuracy") == f"{shown.test_acc:.2%}"
        assert 'data-solve-ms="0.0"' in explorer.answer.value  # a look-up: no solve
        assert "positions solved" not in explorer.curve.value  # the whole curve at once
    finally:
        explorer.close()
