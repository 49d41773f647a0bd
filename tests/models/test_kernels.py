import warnings

import numpy as np
import pytest
from sklearn.metrics import log_loss

import digitlab as dl


def random_problem(n, d, k, seed):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.random((n, d - 1))])
    return X, rng.integers(0, k, n), rng


@pytest.mark.parametrize(("n", "d"), [(1, 3), (17, 5), (60, 30)])
@pytest.mark.parametrize("penalty", ["l2", "l1"])
@pytest.mark.parametrize("lam", [0.0, 0.05])
def test_logistic_gradient_matches_central_differences(n, d, penalty, lam):
    X, y, rng = random_problem(n, d, 2, seed=n + d)
    w = rng.choice([-1, 1], d) * rng.uniform(0.1, 1.0, d)  # L1: away from zero
    assert dl.check_gradient(lambda v: dl.logistic_loss(v, X, y, lam, penalty), w) < 1e-6


@pytest.mark.parametrize(("n", "d", "k"), [(1, 3, 2), (23, 6, 4), (50, 12, 10)])
@pytest.mark.parametrize("penalty", ["l2", "l1"])
@pytest.mark.parametrize("lam", [0.0, 0.05])
def test_softmax_gradient_matches_central_differences(n, d, k, penalty, lam):
    X, y, rng = random_problem(n, d, k, seed=n + d + k)
    W = rng.choice([-1, 1], (d, k)) * rng.uniform(0.1, 1.0, (d, k))
    assert dl.check_gradient(lambda V: dl.softmax_loss(V, X, y, lam, penalty), W) < 1e-6


def gradient_differences(grad, w, h=1e-5):
    """Central differences of ``grad`` (w -> array shaped like w): column a is d grad / d w.flat[a]."""
    columns = []
    for a in range(w.size):
        step = np.zeros(w.size)
        step[a] = h
        up, down = (grad(w + sign * step.reshape(w.shape)).ravel() for sign in (1, -1))
        columns.append((up - down) / (2 * h))
    return np.array(columns).T


@pytest.mark.parametrize("k", [1, 4])
def test_cross_entropy_hessian_matches_central_differences_of_the_gradient(k):
    n, d = 37, 6
    X, y, rng = random_problem(n, d, max(k, 2), seed=k)
    w = rng.normal(size=(d, k)) if k > 1 else rng.normal(size=d)
    if k > 1:
        P, grad = dl.softmax(X @ w), lambda v: dl.softmax_loss(v, X, y)[1]
    else:
        P, grad = dl.sigmoid(X @ w)[:, None], lambda v: dl.logistic_loss(v, X, y)[1]
    numeric = gradient_differences(grad, w)
    chosen = rng.choice(w.size, size=w.size - 3, replace=False)  # some weights, in no particular order
    rows, classes = np.divmod(chosen, k)
    H = dl.kernels.cross_entropy_hessian(np.asfortranarray(X), P, (rows, classes), chunk=10)
    np.testing.assert_allclose(H, numeric[np.ix_(chosen, chosen)], atol=1e-8)
    np.testing.assert_allclose(H, H.T)
    few = chosen[:4]
    block = dl.kernels.cross_entropy_hessian(X, P, np.divmod(few, k), (rows, classes), chunk=10)
    np.testing.assert_allclose(block, numeric[np.ix_(few, chosen)], atol=1e-8)  # a block of rows


def test_check_gradient_catches_a_wrong_gradient():
    X, y, rng = random_problem(20, 4, 2, seed=1)

    def wrong(v):
        loss, grad = dl.logistic_loss(v, X, y, 0.1)
        return loss, grad / 2  # e.g. the report's lam * W for lam * sum(w**2) is off by this kind of factor

    assert dl.check_gradient(wrong, rng.normal(size=4)) > 0.1


def test_losses_equal_scikit_learn_log_loss_plus_the_penalty():
    X, y, rng = random_problem(40, 6, 2, seed=2)
    w = rng.normal(size=6)
    p = 1 / (1 + np.exp(-X @ w))
    for penalty, term in (("l2", np.sum(w[1:] ** 2)), ("l1", np.sum(np.abs(w[1:])))):
        loss, _ = dl.logistic_loss(w, X, y, 0.3, penalty)
        assert loss == pytest.approx(log_loss(y, p, labels=[0, 1]) + 0.3 * term, rel=1e-12)
    X, y, rng = random_problem(40, 6, 5, seed=3)
    W = rng.normal(size=(6, 5))
    scores = X @ W
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss, _ = dl.softmax_loss(W, X, y, 0.2, "l2")
    assert loss == pytest.approx(log_loss(y, probs, labels=range(5)) + 0.2 * np.sum(W[1:] ** 2), rel=1e-12)


def test_known_values_initial_loss_is_log_2_and_log_10():
    X, y, _ = random_problem(30, 5, 10, seed=4)
    assert dl.logistic_loss(np.zeros(5), X, y % 2)[0] == pytest.approx(np.log(2))
    assert dl.softmax_loss(np.zeros((5, 10)), X, y)[0] == pytest.approx(np.log(10))


def test_bias_weight_is_not_penalised():
    X, y, _ = random_problem(10, 4, 2, seed=5)
    w = np.array([5.0, 0, 0, 0])
    for penalty in ("l1", "l2"):
        assert dl.logistic_loss(w, X, y, 1.0, penalty)[0] == dl.logistic_loss(w, X, y, 0.0)[0]


def test_sigmoid_and_softmax_are_stable_at_extremes():
    z = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = dl.sigmoid(z)
        p = dl.softmax(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]]))
        loss, grad = dl.logistic_loss(np.array([0.0, 1e4]), np.array([[1.0, 1.0], [1.0, -1.0]]), np.array([0, 1]))
    assert np.all(np.isfinite(s)) and s[2] == 0.5 and s[0] == 0.0 and s[-1] == 1.0
    np.testing.assert_allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]])
    assert loss == pytest.approx(1e4) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(dl.softmax(np.random.default_rng(0).normal(size=(7, 4))).sum(axis=1), 1)


def test_predict_gives_labels():
    X = np.array([[1.0, 2.0], [1.0, -2.0]])
    np.testing.assert_array_equal(dl.logistic_predict(np.array([0.0, 1.0]), X), [1, 0])
    np.testing.assert_array_equal(dl.softmax_predict(np.array([[0.0, 0.0], [1.0, -1.0]]), X), [0, 1])


def test_unknown_penalty_is_refused():
    X, y, _ = random_problem(5, 3, 2, seed=6)
    with pytest.raises(ValueError, match="penalty 'l3'"):
        dl.logistic_loss(np.ones(3), X, y, 0.1, "l3")


@pytest.mark.parametrize("model", ["logistic", "softmax"])
def test_stacked_models_give_each_model_its_own_loss_and_gradient(model):
    X, y, rng = random_problem(40, 6, 4, seed=7)
    if model == "logistic":
        y = y % 2
        W = rng.normal(size=(6, 3))
        core, one = dl.kernels.logistic_scores_loss, lambda w: dl.kernels.logistic_scores_loss(w, X, y)
        columns = [W[:, r] for r in range(3)]
    else:
        W = rng.normal(size=(6, 3, 4)) * 5
        core, one = dl.kernels.softmax_scores_loss, lambda w: dl.kernels.softmax_scores_loss(w, X, y)
        columns = [W[:, r] for r in range(3)]
    loss, grad, scores = core(W, X, y)
    for r, w in enumerate(columns):
        l1, g1, s1 = one(w)
        assert loss[r] == pytest.approx(l1, rel=1e-12)
        np.testing.assert_allclose(grad[:, r], g1, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(scores[:, r], s1)
    only, none, again = core(W, X, y, gradient=False)
    assert none is None and np.allclose(only, loss) and np.allclose(again, scores)


def test_scores_far_below_the_top_do_not_make_subnormal_floats():
    X = np.ones((4, 2), dtype=np.float32)
    W = np.array([[0.0, -200.0, 0.0], [0.0, 0.0, 0.0]], dtype=np.float32)  # class 1 scores 200 below the rest
    loss, grad, _ = dl.kernels.softmax_scores_loss(W, X, np.array([0, 1, 2, 0]))
    assert np.isfinite(loss) and loss > 50  # the image of class 1 costs about 200 / 4
    tiny = np.finfo(np.float32).tiny
    assert not np.any((np.abs(grad) > 0) & (np.abs(grad) < tiny))


def test_logistic_curvature_bounds_the_hessian_of_the_mean_loss():
    X, y, _ = random_problem(40, 6, 2, seed=3)
    L = dl.logistic_curvature(X)
    assert np.isclose(L, np.linalg.eigvalsh(X.T @ X)[-1] / (4 * len(X)))
    hessian = gradient_differences(lambda v: dl.logistic_loss(v, X, y)[1], np.zeros(6))
    assert np.isclose(np.linalg.eigvalsh((hessian + hessian.T) / 2)[-1], L, rtol=1e-4)  # reached at w = 0
