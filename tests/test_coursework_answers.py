"""Answers nobody scripted into the notebooks: right in unusual forms, wrong in unusual ways, and shortcuts.

Each row is graded by the check of its part, in this process: a right answer must pass, a wrong one must fail
with a message holding the words listed, and an answer that calls digitlab's own implementation of its part
must score nothing, with a message saying so.
"""

import numpy as np
import pytest

import digitlab as dl
from digitlab import checks
from digitlab.checks import CheckFailed


@pytest.fixture(scope="module")
def pair():
    return dl.digit_pair(dl.seed_splits(), 2, 3)


# ---------------------------------------------------------------------------------------- right, unusual
def loss_in_float32(w, X, t):
    X32, w32, t32 = X.astype(np.float32), w.astype(np.float32), t.astype(np.float32)
    z = X32 @ w32
    return np.mean(np.logaddexp(np.float32(0), z) - t32 * z), X32.T @ (1 / (1 + np.exp(-z)) - t32) / len(t)


def loss_by_generators(w, X, t):
    z = [float(x @ w) for x in X]
    loss = sum(np.logaddexp(0, zn) - tn * zn for zn, tn in zip(z, t)) / len(t)
    grad = sum((np.exp(-np.logaddexp(0, -zn)) - tn) * x for zn, tn, x in zip(z, t, X)) / len(t)
    return loss, grad


def softmax_loss_in_float32(W, X, y):
    S = (X.astype(np.float32) @ W.astype(np.float32)).astype(np.float32)
    S -= S.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(S).sum(axis=1))
    P = np.exp(S - log_norm[:, None])
    P[np.arange(len(y)), y] -= 1
    return np.mean(log_norm - S[np.arange(len(y)), y]), X.astype(np.float32).T @ P / len(y)


def softmax_by_einsum(a):
    e = np.exp(a - np.max(a, axis=1)[:, None])
    return np.einsum("ik,i->ik", e, 1 / np.einsum("ik->i", e))


def fit_l1_in_float32(X, t, lam, lr, epochs):
    X32, t32, w = X.astype(np.float32), t.astype(np.float32), np.zeros(X.shape[1], dtype=np.float32)
    for _ in range(epochs):
        v = w - np.float32(lr) * (X32.T @ (1 / (1 + np.exp(-(X32 @ w))) - t32) / np.float32(len(t)))
        v[1:] = np.sign(v[1:]) * np.maximum(np.abs(v[1:]) - np.float32(lr * lam), 0)
        w = v
    return w


def minibatches_as_generator(N, batch_size, rng):
    order = rng.permutation(N)
    yield from (order[i : i + batch_size] for i in range(0, N, batch_size))


def confusion_by_bincount(y_true, y_pred, k):
    return np.bincount(k * np.asarray(y_true) + np.asarray(y_pred), minlength=k * k).reshape(k, k)


def most_confused_by_sorting(C):
    cells = [(C[i][j], i, j) for i in range(len(C)) for j in range(len(C)) if i != j]
    _, i, j = max(cells)
    return i, j


def safe_rate_by_norm(X):
    return 4 * len(X) / np.linalg.norm(X, 2) ** 2


def early_stopping_with_while(loss_fn, w0, lr, epochs, holdout_acc, patience):
    w, epoch, below = np.array(w0, dtype=float), 0, 0
    best = (holdout_acc(w), w.copy(), 0)
    while epoch < epochs and below < patience:
        epoch += 1
        w = w - lr * loss_fn(w)[1]
        acc = holdout_acc(w)
        best, below = ((acc, w.copy(), epoch), 0) if acc >= best[0] else (best, below + 1)
    return best[1], best[2]


def pair_trainer(score, *, hoisted=False, train_on_holdout=False):
    """Part 6 of 02 written out, the hold-out set scored by ``score(X_holdout, w) -> scores``; ``hoisted``
    scores a plain ``np.asarray`` copy of the images made once (the check follows the labels instead)."""

    def train_pair(pair, lr, epochs, batch_size, patience, rng):
        X, t = pair.holdout if train_on_holdout else pair.train
        Xh = np.asarray(pair.holdout.X) if hoisted else pair.holdout.X
        w = np.zeros(X.shape[1])

        def acc(v):
            return np.mean((score(Xh, v) > 0) == pair.holdout.y)

        best_acc, best_w, best_epoch, below = acc(w), w.copy(), 0, 0
        for epoch in range(1, epochs + 1):
            order = rng.permutation(len(t))
            for start in range(0, len(t), batch_size):
                b = order[start : start + batch_size]
                z = X[b] @ w
                w = w - lr * X[b].T @ (np.exp(-np.logaddexp(0, -z)) - t[b]) / len(b)
            a = acc(w)
            if a >= best_acc:
                best_acc, best_w, best_epoch, below = a, w.copy(), epoch, 0
            else:
                below += 1
                if below == patience:
                    break
        return best_w, best_epoch

    return train_pair


def part6(pair, answer):
    settings = dict(lr=0.1, epochs=50, patience=5, batch_size=362, rng=np.random.default_rng(0))
    return checks.check_pair_training(answer, pair, 0.97, "2 vs 3", **settings)


def softmax_in_float32(a):
    a32 = np.asarray(a, dtype=np.float32)
    e = np.exp(a32 - a32.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


RIGHT = {
    "softmax in float32 (stable at 1000 too)": lambda: checks.check_softmax(softmax_in_float32),
    "logistic loss in float32": lambda: checks.check_logistic_loss(loss_in_float32, seed=5, n=41, d=12),
    "logistic loss by generators and sum()": lambda: checks.check_logistic_loss(loss_by_generators),
    "softmax loss in float32": lambda: checks.check_softmax_loss(softmax_loss_in_float32, seed=7, n=40, d=9, k=10),
    "softmax by einsum": lambda: checks.check_softmax(softmax_by_einsum, seed=8, n=13, k=10),
    "fit_l1 in float32": lambda: checks.check_l1_fit(fit_l1_in_float32),
    "mini-batches from a generator": lambda: checks.check_minibatches(minibatches_as_generator, n=101, batch_size=10),
    "confusion by bincount": lambda: checks.check_confusion_matrix(confusion_by_bincount, seed=5, n=300, k=10),
    "most confused by sorting pairs": lambda: checks.check_most_confused(most_confused_by_sorting, seed=2, k=10),
    "safe rate from the matrix norm": lambda: checks.check_safe_learning_rate(safe_rate_by_norm, np.eye(30) * 3),
    "early stopping as a while loop": lambda: checks.check_gradient_descent(early_stopping_with_while, patience=5),
}
RIGHT_PART6 = {  # name: (score, hoisted)
    "Part 6 scoring with X.dot(w)": (lambda X, w: X.dot(w), False),
    "Part 6 scoring with einsum": (lambda X, w: np.einsum("ij,j->i", X, w), False),
    "Part 6 scoring a hoisted np.asarray copy": (lambda X, w: X @ w, True),
}


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_a_right_answer_in_an_unusual_form_passes(name):
    assert "passes" in RIGHT[name]()


@pytest.mark.parametrize("name", sorted(RIGHT_PART6))
def test_part_6_of_02_scored_any_way_passes(pair, name):
    score, hoisted = RIGHT_PART6[name]
    assert "passes" in part6(pair, pair_trainer(score, hoisted=hoisted))


# ------------------------------------------------------------------------------------------ wrong, unusual
def l1_sign_zero_is_one(w, lam):
    grad = np.zeros_like(w)
    grad[1:] = np.where(w[1:] >= 0, lam, -lam)
    return lam * np.sum(np.abs(w[1:])), grad


def never_reset(loss_fn, w0, lr, epochs, holdout_acc, patience):
    w = np.array(w0, dtype=float)
    best_acc, best_w, best_epoch, below = holdout_acc(w), w.copy(), 0, 0
    for epoch in range(1, epochs + 1):
        w = w - lr * loss_fn(w)[1]
        acc = holdout_acc(w)
        if acc >= best_acc:
            best_acc, best_w, best_epoch = acc, w.copy(), epoch  # the count is not restarted
        else:
            below += 1
            if below == patience:
                break
    return best_w, best_epoch


def soft_threshold_in_place(w, t):
    w[1:] = np.sign(w[1:]) * np.maximum(np.abs(w[1:]) - t, 0)
    return w


def one_hot_from_labels(W, X, y):
    S = X @ W
    S = S - S.max(axis=1, keepdims=True)
    P = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
    T = np.eye(y.max() + 1)[y]
    return -np.mean(np.sum(T * np.log(P[:, : T.shape[1]]), axis=1)), X.T @ (P - np.pad(T, ((0, 0), (0, 0)))) / len(y)


def softmax_global_max(a):
    e = np.exp(a - a.max())
    return e / e.sum(axis=1, keepdims=True)


def loss_stable_for_positive_only(w, X, t):
    z = X @ w
    return np.mean(z + np.log1p(np.exp(-z)) - t * z), X.T @ (np.exp(-np.logaddexp(0, -z)) - t) / len(t)


def confusion_sized_by_labels(y_true, y_pred, k):
    size = max(np.max(y_true), np.max(y_pred)) + 1
    C = np.zeros((size, size), dtype=int)
    np.add.at(C, (y_true, y_pred), 1)
    return C


def minibatches_with_an_empty_tail(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i * batch_size : (i + 1) * batch_size] for i in range(n // batch_size + 1)]


def forward_differences_in_float32(f, w, h):
    g = np.zeros(len(w), dtype=np.float32)
    for i in range(len(w)):
        step = w.copy()
        step[i] += h
        g[i] = (f(step) - f(w)) / h
    return g


def jacobian_in_float16(p):
    return (np.diag(p) - np.outer(p, p) + 0.3 * np.eye(len(p))).astype(np.float16)


def loop_with_the_first_rng(loss_fn, rate_fn, X, y, k, *, epochs, eta0, T, batch_size, rng, _kept=[]):  # noqa: B006
    _kept.append(rng)
    W = np.zeros((X.shape[1], k))
    for t in range(epochs):
        order = _kept[0].permutation(len(y))
        for start in range(0, len(y), batch_size):
            b = order[start : start + batch_size]
            W = W - rate_fn(t, eta0, T) * loss_fn(W, X[b], y[b])[1]
    return W


WRONG = {
    "mini-batches with an empty last batch when batch_size divides n": (
        lambda: checks.check_minibatches(minibatches_with_an_empty_tail),
        ["an empty batch"],
    ),
    "forward differences in float32": (
        lambda: checks.check_numeric_gradient(forward_differences_in_float32),
        ["not central"],
    ),
    "a wrong Jacobian in float16 (widening stops at float32)": (
        lambda: checks.check_softmax_jacobian(jacobian_in_float16),
        ["Jacobian"],
    ),
    "a training loop shuffling with the first call's generator": (
        lambda: checks.check_softmax_loop(loop_with_the_first_rng),
        ["same seed"],
    ),
    "L1 subgradient with sign(0) = 1": (lambda: checks.check_penalty(l1_sign_zero_is_one, "l1"), ["np.sign(0) = 0"]),
    "patience never reset": (lambda: checks.check_gradient_descent(never_reset), ["restart the count"]),
    "soft-thresholding in place": (lambda: checks.check_soft_threshold(soft_threshold_in_place), ["in place"]),
    "one-hot of size y.max() + 1": (lambda: checks.check_softmax_loss(one_hot_from_labels), ["W.shape[1]"]),
    "softmax minus the global maximum": (lambda: checks.check_softmax(softmax_global_max), ["own maximum"]),
    "logistic loss stable for z > 0 only": (
        lambda: checks.check_logistic_loss(loss_stable_for_positive_only),
        ["-800", "np.logaddexp"],
    ),
    "safe rate fixed at 0.01": (
        lambda: checks.check_safe_learning_rate(lambda X: 0.01, np.random.default_rng(0).random((50, 4))),
        ["times"],
    ),
    "confusion sized by the labels": (
        lambda: checks.check_confusion_matrix(confusion_sized_by_labels),
        ["not sized by the labels"],
    ),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_answer_in_an_unusual_form_is_named(name):
    grade, words = WRONG[name]
    with pytest.raises(CheckFailed) as failure:
        grade()
    for word in words:
        assert word in str(failure.value), f"{name}: {word!r} not in {failure.value}"


def test_ten_digit_training_that_loads_mnist_itself_fails():
    splits = dl.seed_splits()

    def loads_its_own(X, y, rng):
        mine = dl.seed_splits()  # could train on mine.holdout, which scores it
        return dl.softmax_loss(np.zeros((X.shape[1], 10)), mine.train.X[:10], mine.train.y[:10])[1]

    with pytest.raises(CheckFailed, match="loaded MNIST itself"):
        checks.check_ten_digit_training(loads_its_own, splits.train, splits.holdout)


def test_part_6_of_02_training_on_the_holdout_set_fails(pair):
    with pytest.raises(CheckFailed, match="training used the hold-out set"):
        part6(pair, pair_trainer(lambda X, w: X @ w, train_on_holdout=True))


# ---------------------------------------------------------------------------------------------- shortcuts
SHORTCUTS = {
    "logistic loss by dl.logistic_loss": lambda: checks.check_logistic_loss(lambda w, X, t: dl.logistic_loss(w, X, t)),
    "softmax by dl.softmax": lambda: checks.check_softmax(lambda a: dl.softmax(a)),
    "softmax loss by dl.softmax_loss": lambda: checks.check_softmax_loss(lambda W, X, y: dl.softmax_loss(W, X, y)),
    "L2 term by penalty_term": lambda: checks.check_penalty(lambda w, lam: dl.kernels.penalty_term(w, lam, "l2"), "l2"),
    "regularised loss by dl.logistic_loss(lam=)": lambda: checks.check_regularised_loss(
        lambda w, X, t, lam: dl.logistic_loss(w, X, t, lam, "l2")
    ),
    "soft-thresholding by the kernel's": lambda: checks.check_soft_threshold(
        lambda w, t: dl.kernels.soft_threshold(w, t)
    ),
    "lambda by best_on_holdout": lambda: checks.check_lambda_choice(
        lambda lams, h, t: dl.stats.best_on_holdout(lams, h)
    ),
    "training loop by checks.train_softmax": lambda: checks.check_softmax_loop(
        lambda *a, **kw: checks.train_softmax(*a, **kw)
    ),
    "most confused by checks.most_confused": lambda: checks.check_most_confused(lambda C: checks.most_confused(C)),
    "confusion by stats.confusion_matrix": lambda: checks.check_confusion_matrix(
        lambda t, p, k: dl.stats.confusion_matrix(t, p, k)
    ),
    "annealed rate by descent.annealed_rate": lambda: checks.check_annealed_rate(
        lambda t, eta0, T: dl.descent.annealed_rate(t, eta0, T)
    ),
    "mini-batches by descent.minibatches": lambda: checks.check_minibatches(
        lambda n, b, rng: dl.descent.minibatches(n, b, rng)
    ),
}


@pytest.mark.parametrize("name", sorted(SHORTCUTS))
def test_a_shortcut_through_digitlab_scores_nothing_and_says_so(name):
    with pytest.raises(CheckFailed, match="calls digitlab's own"):
        SHORTCUTS[name]()


def test_part_6_of_02_by_fit_logistic_scores_nothing(pair):
    def by_fit(pair, lr, epochs, batch_size, patience, rng):
        fit = dl.fit_logistic(pair, epochs=3)
        return fit.w, 0

    with pytest.raises(CheckFailed, match="digitlab's own|test set"):
        part6(pair, by_fit)
