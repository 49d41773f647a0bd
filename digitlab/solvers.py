"""Solvers that take one regularised problem to its optimum fast: the explorer's engine.

``minimize_lbfgs`` runs SciPy's L-BFGS-B on digitlab's own loss and gradient
(L2 as it is, L1 made smooth by splitting ``w = u - v`` with ``u, v >= 0``, so
the solver lands on exact zeros). ``minimize_l1`` takes proximal Newton steps:
the loss's exact Hessian (``kernels.cross_entropy_hessian``) on the weights that
can move, ``lam * |w|`` kept exact, two or three steps from a start on the
solved path. A Hessian costs (images x weights^2), so once more than
``NEWTON_MAX`` weights move, ``screened_lbfgs_l1`` finishes: L-BFGS-B on a
screened set of rows that grows until every row left out meets the L1
optimality condition. Every function takes ``core(w, X, y) -> (loss, grad,
scores)``, the unregularised loss of either model (``kernels``), and weights
``w (m,)`` (logistic) or ``(m, k)`` (softmax) whose row 0 is the bias.

Every function also takes ``watch(w)``, called with the current weights after
each iteration or Newton step, and with None before each loss evaluation and
between the parts of a Hessian (a few tens of milliseconds apart at most): it
may raise (``Abandoned``, say) to drop the solve at once, or show ``w`` as an
answer still being refined.

The solvers run inside ``threads.blas_on_one_thread()``, held by their caller (``optimum``).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, lapack
from scipy.optimize import Bounds, minimize

from .kernels import cross_entropy_hessian, penalty_term, sigmoid, softmax

__all__ = [
    "l1_quadratic",
    "minimize_l1",
    "minimize_lbfgs",
    "screened_lbfgs_l1",
    "watch_rows",
]


def _objective(core, penalty: str, lam: float, X: np.ndarray, y: np.ndarray, shape: tuple):
    """The smooth objective L-BFGS-B minimises, over float64 x; returns (f, bounds, to_w, from_w).

    ``shape`` is that of the weights ``w`` for the columns of ``X``; row 0 is the bias.
    """
    size = int(np.prod(shape))
    n_bias = size // shape[0]  # the first row of w, flattened, is the bias

    if penalty == "l2":

        def f(x):
            w = x.astype(np.float32).reshape(shape)
            loss, grad, _ = core(w, X, y)
            reg, reg_grad = penalty_term(w, lam, "l2")
            return loss + reg, (grad + reg_grad).astype(np.float64).ravel()

        return f, None, lambda x: x.reshape(shape), lambda w: w.ravel()

    # L1: w = u - v with u, v >= 0, so lam * sum|w| becomes the smooth lam * sum(u + v)
    # (the bias row is free: it sits in u, and v's bias row is held at 0)
    cost = np.full(size, lam)
    cost[:n_bias] = 0.0
    lower = np.zeros(2 * size)
    lower[:n_bias] = -np.inf
    upper = np.full(2 * size, np.inf)
    upper[size : size + n_bias] = 0.0

    def f(x):
        u, v = x[:size], x[size:]
        w = (u - v).astype(np.float32).reshape(shape)
        loss, grad, _ = core(w, X, y)
        g = grad.astype(np.float64).ravel()
        return loss + float(cost @ (u + v)), np.concatenate([g + cost, -g + cost])

    return (
        f,
        Bounds(lower, upper),
        lambda x: (x[:size] - x[size:]).reshape(shape),
        lambda w: np.concatenate([np.maximum(w.ravel(), 0), np.maximum(-w.ravel(), 0)]),
    )


def minimize_lbfgs(
    core, penalty: str, lam: float, X: np.ndarray, y: np.ndarray, w0: np.ndarray, tol: float, watch=None
):
    """L-BFGS-B from ``w0 (m,) or (m, k)`` on the columns of ``X``; returns the weights and the iterations."""
    f, bounds, to_w, from_w = _objective(core, penalty, lam, X, y, w0.shape)
    if watch is not None:
        evaluate = f

        def f(x):
            watch(None)
            return evaluate(x)

    result = minimize(
        f,
        from_w(w0),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 5000, "ftol": tol, "gtol": 1e-9},
        callback=None if watch is None else (lambda xk: watch(to_w(xk))),
    )
    return to_w(result.x), int(result.nit)


SCREEN = 0.75  # L1 by L-BFGS-B: a zero row joins the solve when its loss gradient reaches SCREEN * lam
NEWTON_MAX = 1200  # L1: the most weights a Newton step moves; past this, L-BFGS-B takes over
NEWTON_STEPS = 20  # L1: Newton steps before L-BFGS-B takes over
NEWTON_TOL = 3e-5  # L1 by Newton: done when a step promises to lower the objective by less than this fraction
DRIFT = 0.05  # L1 by Newton: a new Hessian once the probabilities moved this much (mean |change|) since the last
DAMPING = 1e-4  # L1 by Newton: the Hessian's diagonal is raised by this fraction (softmax's biases: a flat direction)


def screened_lbfgs_l1(core, lam: float, X: np.ndarray, y: np.ndarray, w0: np.ndarray, tol: float, watch=None):
    """L1 by L-BFGS-B on the rows that can be non-zero: solve on a screened set, add the rows that break
    optimality, repeat. ``w0 (m,) or (m, k)``; returns the weights and the iterations.

    A row left out stays at 0, which is optimal when each of its loss gradients is at most lam
    (the L1 optimality condition); the loop ends when no row left out breaks it.
    """
    rows = len(w0)

    def loss_grad(w):
        return core(w.astype(np.float32), X, y)[1].reshape(rows, -1)

    grad = loss_grad(w0)
    active = (w0.reshape(rows, -1) != 0).any(axis=1) | (np.abs(grad) >= SCREEN * lam).any(axis=1)
    active[0] = True  # the bias
    w, iterations = w0, 0
    while True:
        keep = np.flatnonzero(active)
        part = X if active.all() else np.asfortranarray(X[:, keep])
        solved, nit = minimize_lbfgs(core, "l1", lam, part, y, w[keep], tol, watch_rows(watch, keep, w0))
        w = np.zeros_like(w0)
        w[keep] = solved
        iterations += nit
        broken = ~active & (np.abs(loss_grad(w)) > lam * (1 + 1e-3)).any(axis=1)
        if not broken.any():
            return w, iterations
        active |= broken


def watch_rows(watch, keep: np.ndarray, like: np.ndarray):
    """``watch`` for a solve on the rows ``keep`` of weights shaped like ``like`` (the rest held at 0)."""
    if watch is None:
        return None

    def on_part(part):
        if part is None:
            return watch(None)
        w = np.zeros_like(like)
        w[keep] = part
        watch(w)

    return on_part


def l1_quadratic(H: np.ndarray, b: np.ndarray, x: np.ndarray, cost: np.ndarray, max_rounds: int = 60):
    """Minimise ``x'Hx / 2 + b'x + sum(cost * |x|)`` from ``x``, by feature-sign search.

    ``H (s, s)`` positive definite; ``b, x, cost (s,)``, a cost of 0 marking a free
    weight (a bias). Each round holds the signs of the moving weights and the other
    weights at zero, solves that quadratic exactly, and goes to the best point of the
    way there: its end, a point where a weight reaches zero (that weight stops), or
    the end with every weight that crossed zero put back at zero. The objective never
    rises. Once the moving weights are settled, every zero weight whose gradient
    exceeds its cost starts to move, against its gradient (Lee, Battle, Raina and Ng,
    2007). ``H`` is inverted once: a round then costs a few products with the inverse
    (weights held at zero enter through their Schur complement), not a factorisation.
    """
    factor, _ = cho_factor(H, lower=True, check_finite=False)
    inverse = lapack.dpotri(factor, lower=True)[0]  # from the Cholesky factor; its lower triangle only
    inverse = np.tril(inverse) + np.tril(inverse, -1).T
    x = np.array(x, dtype=np.float64)
    penalised = cost > 0
    signs = np.sign(x) * penalised
    settled = False
    for _ in range(max_rounds):
        grad = H @ x + b
        if settled:
            enter = penalised & (signs == 0) & (np.abs(grad) > cost)
            if not enter.any():
                break
            signs[enter] = -np.sign(grad[enter])
        moving = (signs != 0) | ~penalised
        goal = -(inverse @ (b + cost * signs))  # the optimum with these signs, every weight free
        held = np.flatnonzero(~moving)
        if len(held):  # pull the held weights back to zero: x_held = 0 is a constraint with multipliers nu
            nu = np.linalg.solve(inverse[np.ix_(held, held)], goal[held])
            goal -= inverse[:, held] @ nu
            goal[held] = 0.0
        d = goal - x
        with np.errstate(divide="ignore", invalid="ignore"):
            to_zero = -x / d  # where along x + t d each weight reaches zero
        crossing = (x != 0) & (to_zero > 0) & (to_zero < 1)
        steps = np.append(to_zero[crossing], 1.0)
        points = x + steps[:, None] * d  # the zero crossings on the way, and its end
        slope, curvature = grad @ d, d @ H @ d
        value = steps * slope + steps**2 / 2 * curvature + np.abs(points) @ cost  # less its value at x
        projected = points[-1] * (np.sign(points[-1]) * signs >= 0)  # the end, crossed weights at zero
        moved = projected - x
        points = np.vstack([points, projected])
        value = np.append(value, moved @ grad + moved @ H @ moved / 2 + np.abs(projected) @ cost)
        best = int(np.argmin(value))
        x = points[best]
        if best < len(steps) - 1:
            x[crossing & (to_zero == steps[best])] = 0.0
        new_signs = np.sign(x) * penalised
        settled = best == len(steps) - 1 and np.array_equal(new_signs[moving], signs[moving])
        signs = new_signs
    return x


HESSIAN_PART = 256  # images per part of a Hessian: ``watch(None)`` is called between parts


def _hessian(X: np.ndarray, P: np.ndarray, a: tuple, b: tuple | None = None, watch=None) -> np.ndarray:
    """``cross_entropy_hessian`` over parts of the images, ``watch(None)`` between them (a mean of means)."""
    if watch is None or len(X) <= HESSIAN_PART:
        return cross_entropy_hessian(X, P, a, b)
    H = 0.0
    for start in range(0, len(X), HESSIAN_PART):
        watch(None)
        part = slice(start, start + HESSIAN_PART)
        H = H + cross_entropy_hessian(X[part], P[part], a, b) * len(P[part])
    return H / len(X)


def _hessian_reusing(
    X: np.ndarray, P: np.ndarray, weights: tuple, ids: np.ndarray, known: tuple, watch=None
) -> np.ndarray:
    """The loss's Hessian at ``P`` on ``weights`` (rows, classes), flat ``ids (s,)``, reusing ``known``.

    ``known = (ids, H)``, computed at the same ``P``: only the rows of weights new to
    the set are computed.
    """
    known_ids, known_H = known
    old = np.isin(ids, known_ids)
    if not old.any():
        return _hessian(X, P, weights, watch=watch)  # the square block alone: half the work
    H = np.empty((len(ids), len(ids)))
    where = np.searchsorted(known_ids, ids[old])
    H[np.ix_(old, old)] = known_H[np.ix_(where, where)]
    if not old.all():
        fresh = _hessian(X, P, (weights[0][~old], weights[1][~old]), weights, watch)
        H[~old] = fresh
        H[:, ~old] = fresh.T
    return H


def _working_set(w: np.ndarray, excess: np.ndarray) -> np.ndarray:
    """The weights one Newton step moves, ``w, excess (m, k)`` -> mask: the bias, the non-zero
    weights, and the zero weights whose loss gradient exceeds lam (``excess > 0``), at most as
    many of these as there are moving weights already (the largest excesses first), so a far
    start grows the set by doubling instead of taking a Hessian on every pixel at once.
    """
    moves = w != 0
    moves[0] = True
    candidates = np.flatnonzero(~moves & (excess > 0))
    if len(candidates) > moves.sum():
        candidates = candidates[np.argsort(excess.flat[candidates])[-moves.sum() :]]
    moves.flat[candidates] = True
    return moves


def minimize_l1(
    core, lam: float, X: np.ndarray, y: np.ndarray, w0: np.ndarray, tol: float, newton_tol: float, watch=None
):
    """L1 by proximal Newton from ``w0 (m,) or (m, k)``; returns the weights and the steps.

    Each step takes the loss's exact Hessian (``cross_entropy_hessian``) on the weights
    that are non-zero or whose loss gradient exceeds lam, keeps ``lam * |w|`` exact,
    minimises that model (``l1_quadratic``) and halves the step until the objective
    falls. The Hessian is reused while the model predicts the fall well and the
    probabilities it was computed at stay close (``DRIFT``); only rows of weights new
    to the set are added. It ends when a step promises less than ``newton_tol`` times the
    objective and every zero weight meets the L1 optimality condition
    ``|loss gradient| <= lam``. ``screened_lbfgs_l1`` (ftol ``tol``) finishes what Newton
    leaves: once a step would move more than ``NEWTON_MAX`` weights (a Hessian costs
    images x weights^2), after ``NEWTON_STEPS`` steps, when float32 sees no fall, or when
    the Hessian is too near singular to factor (lam near 0, where L1 barely holds any
    weight back and nearly collinear pixels leave flat directions).
    """
    rows = len(w0)
    cost = np.full((rows, w0.size // rows), lam)
    cost[0] = 0.0  # the bias is not penalised

    def evaluate(w):  # w (m, k) -> objective, loss gradient (m, k), probabilities (n, k)
        if watch is not None:
            watch(None)
        loss, grad, scores = core(w.reshape(w0.shape).astype(np.float32), X, y)
        P = softmax(scores) if scores.ndim == 2 else sigmoid(scores)[:, None]
        return loss + penalty_term(w, lam, "l1")[0], grad.reshape(w.shape).astype(np.float64), P

    w = w0.reshape(cost.shape).astype(np.float64)
    objective, grad, P = evaluate(w)
    fresh = (np.empty(0, dtype=int), np.empty((0, 0)))
    known = fresh  # the Hessian entries computed so far, all at P (the start, or where it was last renewed)
    slack = 1 + max(1e-3, 50 * newton_tol)  # how far past lam a zero weight's gradient may stray at the end

    def done(promise):  # the model promises little, and every zero weight meets the optimality condition
        broken = (w == 0) & (np.abs(grad) > lam * slack)
        return promise <= newton_tol * objective and not broken[1:].any()

    for steps in range(1, NEWTON_STEPS + 1):
        moves = _working_set(w, np.abs(grad) - lam)
        if moves.sum() > NEWTON_MAX:
            break
        j, k = np.nonzero(moves)
        ids = np.flatnonzero(moves)
        known = ids, _hessian_reusing(X, P, (j, k), ids, known, watch)
        H = known[1] + np.diag(DAMPING * np.diag(known[1]) + 1e-12)
        start, g, c = w[j, k], grad[j, k], cost[j, k]
        try:
            step = l1_quadratic(H, g - H @ start, start, c) - start
        except np.linalg.LinAlgError:
            break  # not positive definite at working precision: L-BFGS-B finishes
        if not np.all(np.isfinite(step)):
            break
        promise = -(g @ step + c @ (np.abs(start + step) - np.abs(start)))  # the model's fall
        if done(promise):
            return w.reshape(w0.shape), steps
        t = 1.0
        while True:
            trial = w.copy()
            trial[j, k] = start + t * step
            trial_objective, trial_grad, trial_P = evaluate(trial)
            if trial_objective <= objective - 1e-4 * t * promise or t < 1e-3:
                break
            t /= 2
        if trial_objective > objective:
            break  # no step lowers the objective at float32's precision
        poor = objective - trial_objective < promise / 4  # an exact model falls by half its first-order promise
        if poor or np.abs(trial_P - P).mean() > DRIFT:  # a new Hessian, at the new point
            P, known = trial_P, fresh
        w, objective, grad = trial, trial_objective, trial_grad
        if watch is not None:
            watch(w.reshape(w0.shape))
        if done(promise):
            return w.reshape(w0.shape), steps
    solved, iterations = screened_lbfgs_l1(core, lam, X, y, w.reshape(w0.shape), tol, watch)
    return solved, steps + iterations
