"""The coursework checks: a right answer passes, and each mistake students make is named.

Each wrong answer below is a typical one, written the way a student writes it; the check must fail it
with a message containing the words listed, and must pass the right answer on other seeds and shapes
(what the hidden tests do).
"""

import numpy as np
import pytest

import digitlab as dl
from digitlab import checks
from digitlab.checks import CheckFailed, feedback
from digitlab.stats import best_on_holdout


# Answers written the way a student writes them: digitlab's own implementation of a part is refused by its check.
def own_sigmoid(z):
    return np.exp(-np.logaddexp(0, -z))


def own_penalty(w, lam, penalty):
    grad = np.zeros_like(w, dtype=float)
    if penalty == "l2":
        grad[1:] = 2 * lam * w[1:]
        return lam * np.sum(w[1:] ** 2), grad
    grad[1:] = lam * np.sign(w[1:])
    return lam * np.sum(np.abs(w[1:])), grad


def own_logistic_loss(w, X, y, lam=0.0, penalty="l2"):
    z = X @ w
    value, grad = own_penalty(w, lam, penalty)
    return np.mean(np.logaddexp(0, z) - y * z) + value, X.T @ (own_sigmoid(z) - y) / len(y) + grad


def own_softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def own_softmax_loss(W, X, y, lam=0.0, penalty="l2"):
    n, S = len(y), X @ W
    S = S - S.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(S).sum(axis=1))
    P = np.exp(S - log_norm[:, None])
    P[np.arange(n), y] -= 1
    value, grad = own_penalty(W, lam, penalty)
    return np.mean(log_norm - S[np.arange(n), y]) + value, X.T @ P / n + grad


def own_soft_threshold(w, t):
    out = np.array(w, dtype=float)
    out[1:] = np.sign(w[1:]) * np.maximum(np.abs(w[1:]) - t, 0)
    return out


def own_proximal_step(w, X, t, lr, lam):
    return own_soft_threshold(w - lr * own_logistic_loss(w, X, t)[1], lr * lam)


def own_fit_l1(X, t, lam, lr, epochs):
    w = np.zeros(X.shape[1])
    for _ in range(epochs):
        w = own_proximal_step(w, X, t, lr, lam)
    return w


def naive_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def right_logistic(w, X, y):
    return own_logistic_loss(w, X, y)


def summed_logistic(w, X, y):
    loss, grad = own_logistic_loss(w, X, y)
    return loss * len(y), grad * len(y)


def mean_loss_summed_grad(w, X, y):
    loss, grad = own_logistic_loss(w, X, y)
    return loss, grad * len(y)


def flipped_logistic(w, X, y):
    loss, grad = own_logistic_loss(w, X, y)
    return loss, -grad


def unstable_logistic(w, X, y):
    p = naive_sigmoid(X @ w)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), X.T @ (p - y) / len(y)


def log_one_plus_exp_logistic(w, X, y):
    z = X @ w
    return np.mean(np.log(1 + np.exp(z)) - y * z), X.T @ (naive_sigmoid(z) - y) / len(y)


def transposed_softmax_grad(W, X, y):
    loss, grad = own_softmax_loss(W, X, y)
    return loss, grad.T


def unstable_softmax(a):
    e = np.exp(a)
    return e / e.sum(axis=1, keepdims=True)


def columnwise_softmax(a):
    e = np.exp(a - a.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def unstable_softmax_loss(W, X, y):
    P = unstable_softmax(X @ W)
    n = len(y)
    loss = -np.mean(np.log(P[np.arange(n), y]))
    P[np.arange(n), y] -= 1
    return loss, X.T @ P / n


def summed_softmax_loss(W, X, y):
    loss, grad = own_softmax_loss(W, X, y)
    return loss * len(y), grad * len(y)


def l2_with_bias(w, lam):
    return lam * np.sum(w**2), 2 * lam * w


def l2_half_gradient(w, lam):  # the report's own slip: lam * w for lam * sum w^2
    value, grad = own_penalty(w, lam, "l2")
    return value, grad / 2


def l1_with_bias(w, lam):
    return lam * np.abs(w).sum(), lam * np.sign(w)


def central(f, w, h):
    g = np.zeros_like(w)
    for i in range(len(w)):
        old = w[i]
        w[i] = old + h
        up = f(w)
        w[i] = old - h
        down = f(w)
        w[i] = old
        g[i] = (up - down) / (2 * h)
    return g


def forward(f, w, h):
    g = np.zeros_like(w)
    base = f(w)
    for i in range(len(w)):
        old = w[i]
        w[i] = old + h
        g[i] = (f(w) - base) / h
        w[i] = old
    return g


def over_h(f, w, h):
    return 2 * central(f, w, h)


def leaves_w_changed(f, w, h):
    g = np.zeros_like(w)
    for i in range(len(w)):
        w[i] += h
        up = f(w)
        w[i] -= 2 * h
        g[i] = (up - f(w)) / (2 * h)
    return g


def descend(loss_fn, w0, lr, epochs, holdout_acc, patience, *, keep_best=True, sign=-1, copy=True, late=0, calls=1):
    """A student's loop, right by default; the keywords make the typical mistakes."""
    w = w0.copy()
    best, best_w, best_epoch, waited = holdout_acc(w), w.copy(), 0, 0
    for epoch in range(1, epochs + 1):
        for _ in range(calls):  # calls=2: the loss and the gradient asked for apart, the same weights
            _, grad = loss_fn(w)
        w += sign * lr * grad
        acc = holdout_acc(w)
        if acc >= best:
            best, best_w, best_epoch, waited = acc, (w.copy() if copy else w), epoch, 0
        else:
            waited += 1
            if waited >= patience + late:
                break
    return (best_w, best_epoch) if keep_best else (w, best_epoch)


def batches(n, batch_size, rng, *, shuffle=True, drop_last=False):
    order = rng.permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    return [order[i : min(i + batch_size, stop)] for i in range(0, stop, batch_size)]


def same_order_every_epoch(n, batch_size, rng):
    return batches(n, batch_size, np.random.default_rng(0))


def choose(lams, holdout, test, *, by=None, prefer_small=False):
    scores = holdout if by is None else by(holdout, test)
    best = lams[scores == scores.max()]
    return best.min() if prefer_small else best.max()


def first_of_the_best(lams, holdout, test):
    return lams[np.argmax(holdout)]  # right only when the larger lambda happens to be listed first


def last_of_the_best(lams, holdout, test):
    return lams[np.flatnonzero(holdout == holdout.max())[-1]]  # right only when the smaller is listed first


def tie_broken_by_test(lams, holdout_acc, test_acc):
    best = max(holdout_acc)
    tied = [i for i, acc in enumerate(holdout_acc) if acc == best]
    return float(lams[max(tied, key=lambda i: (test_acc[i], lams[i]))])


def rounded_holdout(lams, holdout_acc, test_acc):
    r = np.round(np.asarray(holdout_acc), 2)
    return float(max(lam for lam, a in zip(lams, r) if a == r.max()))


def reset_on_rise(loss_fn, w0, lr, epochs, holdout_acc, patience):
    """Counts the evaluations below the previous epoch's accuracy, not below the best."""
    w = np.array(w0, dtype=float)
    prev = best = holdout_acc(w)
    best_w, best_epoch, below = w.copy(), 0, 0
    for epoch in range(1, epochs + 1):
        w = w - lr * loss_fn(w)[1]
        acc = holdout_acc(w)
        if acc >= best:
            best, best_w, best_epoch = acc, w.copy(), epoch
        if acc >= prev:
            below = 0
        else:
            below += 1
            if below == patience:
                break
        prev = acc
    return best_w, best_epoch


def not_done(*args):
    raise NotImplementedError


WRONG = [
    (checks.check_logistic_loss, not_done, ["not done yet"]),
    (checks.check_logistic_loss, summed_logistic, ["sums", "average"]),
    (checks.check_logistic_loss, mean_loss_summed_grad, ["gradient", "sums", "divide by n"]),
    (checks.check_logistic_loss, flipped_logistic, ["wrong sign"]),
    (checks.check_logistic_loss, unstable_logistic, ["overflows", "np.logaddexp"]),
    (checks.check_logistic_loss, log_one_plus_exp_logistic, ["overflow"]),
    (lambda f: checks.check_logistic_loss(f, seed=5, n=30, d=40), log_one_plus_exp_logistic, ["overflow"]),
    (checks.check_logistic_loss, lambda w, X, y: own_logistic_loss(w, X, y)[0], ["two things", "(loss, grad)"]),
    (checks.check_softmax, unstable_softmax, ["overflow", "maximum"]),
    (checks.check_softmax, columnwise_softmax, ["columns", "axis=1"]),
    (checks.check_softmax_loss, summed_softmax_loss, ["sums", "average"]),
    (checks.check_softmax_loss, unstable_softmax_loss, ["maximum"]),
    (checks.check_softmax_loss, transposed_softmax_grad, ["transposed"]),
    (checks.check_softmax_jacobian, lambda p: np.outer(p, p) - np.diag(p), ["wrong sign"]),
    (checks.check_softmax_jacobian, lambda p: np.diag(p * (1 - p)), ["off the diagonal", "-p_i p_j"]),
    (lambda f: checks.check_penalty(f, "l2"), l2_with_bias, ["bias", "penalised"]),
    (lambda f: checks.check_penalty(f, "l2"), l2_half_gradient, ["2 lam w"]),
    (lambda f: checks.check_penalty(f, "l1"), l1_with_bias, ["bias", "penalised"]),
    (lambda f: checks.check_penalty(f, "l1"), lambda w, lam: own_penalty(w, lam, "l2"), ["L2 term"]),
    (checks.check_numeric_gradient, forward, ["central"]),
    (checks.check_numeric_gradient, over_h, ["2h"]),
    (checks.check_numeric_gradient, leaves_w_changed, ["changed its argument w"]),
    (checks.check_descent_step, lambda w, g, lr: w + lr * g, ["uphill"]),
    (checks.check_gradient_descent, lambda *a: descend(*a, keep_best=False), ["not of the best", "copy"]),
    (checks.check_gradient_descent, lambda *a: descend(*a, copy=False), ["not of the best", "copy"]),
    (checks.check_gradient_descent, lambda *a: descend(*a, sign=+1), ["uphill"]),
    (checks.check_gradient_descent, lambda *a: descend(*a, late=1), ["stopped late"]),
    (checks.check_gradient_descent, lambda *a: descend(*a, late=-1), ["stopped early"]),
    (checks.check_gradient_descent, lambda *a: descend(*a, late=2, calls=2), ["stopped late", "after 3 eval"]),
    (checks.check_gradient_descent, reset_on_rise, ["stopped late", "zig-zags", "below the BEST"]),
    (lambda f: checks.check_gradient_descent(f, seed=3, patience=2), reset_on_rise, ["zig-zags", "below the BEST"]),
    (checks.check_annealed_rate, lambda t, eta0, T: eta0 / (1 + (t + 1) / T), ["off by one"]),
    (checks.check_annealed_rate, lambda t, eta0, T: eta0 * (1 + t / T), ["grows"]),
    (checks.check_soft_threshold, lambda w, t: np.r_[w[0], w[1:] - t * np.sign(w[1:])], ["cross zero", "clamp"]),
    (checks.check_soft_threshold, lambda w, t: np.sign(w) * np.maximum(np.abs(w) - t, 0), ["bias"]),
    (checks.check_minibatches, lambda n, b, rng: batches(n, b, rng, shuffle=False), ["shuffle"]),
    (checks.check_minibatches, lambda n, b, rng: batches(n, b, rng, drop_last=True), ["left out", "last"]),
    (checks.check_minibatches, same_order_every_epoch, ["new permutation every epoch"]),
    (checks.check_lambda_choice, lambda lams, h, t: choose(lams, h, t, by=lambda h, t: t), ["test", "hold-out"]),
    (checks.check_lambda_choice, lambda lams, h, t: choose(lams, h, t, prefer_small=True), ["larger lambda"]),
    (checks.check_lambda_choice, first_of_the_best, ["larger lambda"]),
    (lambda f: checks.check_lambda_choice(f, seed=1), last_of_the_best, ["larger lambda"]),
    (checks.check_lambda_choice, tie_broken_by_test, ["broken by the test accuracy", "larger lambda"]),
    (lambda f: checks.check_lambda_choice(f, seed=1), tie_broken_by_test, ["broken by the test accuracy"]),
    (checks.check_lambda_choice, rounded_holdout, ["rounded", "below the best"]),
    (lambda f: checks.check_lambda_choice(f, seed=1), rounded_holdout, ["rounded", "below the best"]),
]


@pytest.mark.parametrize(("check", "answer", "words"), WRONG, ids=[str(i) for i in range(len(WRONG))])
def test_a_typical_mistake_is_named(check, answer, words):
    with pytest.raises(CheckFailed) as failure:
        check(answer)
    for word in words:
        assert word in str(failure.value), f"{word!r} not in {failure.value}"


def right_confusion(y_true, y_pred, k):
    C = np.zeros((k, k), dtype=int)
    np.add.at(C, (y_true, y_pred), 1)
    return C


def right_soft_threshold(w, t):
    out = w.copy()
    out[1:] = np.sign(w[1:]) * np.maximum(np.abs(w[1:]) - t, 0)
    return out


RIGHT = [
    (checks.check_logistic_loss, right_logistic, {"n": 31, "d": 9}),
    (checks.check_softmax, own_softmax, {"n": 11, "k": 10}),
    (checks.check_softmax_jacobian, lambda p: np.diag(p) - np.outer(p, p), {"k": 10}),
    (checks.check_softmax_loss, own_softmax_loss, {"n": 40, "d": 7, "k": 10}),
    (lambda f, **kw: checks.check_penalty(f, "l2", **kw), lambda w, lam: own_penalty(w, lam, "l2"), {"d": 13}),
    (lambda f, **kw: checks.check_penalty(f, "l1", **kw), lambda w, lam: own_penalty(w, lam, "l1"), {"d": 13}),
    (checks.check_numeric_gradient, central, {"d": 9}),
    (checks.check_descent_step, lambda w, g, lr: w - lr * g, {"d": 9, "lr": 0.01}),
    (checks.check_gradient_descent, descend, {"patience": 5}),
    (checks.check_gradient_descent, lambda *a: descend(*a, calls=2), {"patience": 2}),
    (checks.check_annealed_rate, lambda t, eta0, T: eta0 / (1 + t / T), {"eta0": 27.0, "T": 5.0}),
    (checks.check_soft_threshold, right_soft_threshold, {"d": 20, "t": 0.05}),
    (checks.check_confusion_matrix, right_confusion, {"n": 200, "k": 10}),
    (checks.check_minibatches, batches, {"n": 100, "batch_size": 10}),
    (checks.check_lambda_choice, choose, {}),
]


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize(("check", "answer", "other"), RIGHT, ids=[str(i) for i in range(len(RIGHT))])
def test_a_right_answer_passes_on_any_seed_and_shape(check, answer, other, seed):
    assert "passes" in check(answer, seed=seed, **other)


def test_the_confusion_matrix_must_not_be_transposed():
    with pytest.raises(CheckFailed, match="rows are the true labels"):
        checks.check_confusion_matrix(lambda t, p, k: right_confusion(t, p, k).T)


def test_a_hard_coded_answer_fails_the_hidden_variant():
    X, y, W = feedback._problem(0, 8, 5, 3)  # the visible check's problem
    visible = own_softmax_loss(W, X, y)

    def hard_coded(W, X, y):
        return visible

    assert "passes" in checks.check_softmax_loss(own_softmax_loss)
    with pytest.raises(CheckFailed):
        checks.check_softmax_loss(hard_coded, seed=3, n=12)


def test_accuracy_below_the_target_says_by_how_much(splits):
    pair = dl.digit_pair(splits, 2, 3)
    fit = dl.fit_logistic(pair, epochs=3)
    assert "passes" in checks.check_accuracy(lambda X: dl.logistic_predict(fit.w, X), *pair.test, target=0.95)
    with pytest.raises(CheckFailed, match=r"/\d+ = .*below the target 99%"):
        checks.check_accuracy(lambda X: np.zeros(len(X), dtype=int), *pair.test, target=0.99)


def test_working_falls_back_on_the_reference_and_says_so(capsys):
    assert checks.working(right_logistic, checks.check_logistic_loss, dl.logistic_loss) is right_logistic
    assert checks.working(dl.logistic_loss, checks.check_logistic_loss, dl.logistic_loss) is dl.logistic_loss
    assert checks.working(not_done, checks.check_logistic_loss, dl.logistic_loss) is dl.logistic_loss
    assert "not done yet" in capsys.readouterr().out


def one_over_l(X):
    return 1 / (np.linalg.eigvalsh(X.T @ X / len(X))[-1] / 4)  # written out: the student's, not the kernel's


def test_a_reference_handed_in_is_refused_as_a_shortcut():
    for check, reference in [
        (checks.check_descent_step, checks.descent_step),
        (checks.check_minibatches, checks.minibatches),
        (checks.check_proximal_step, checks.proximal_step),
        (checks.check_l1_fit, checks.fit_l1),
        (checks.check_lambda_choice, checks.choose_lambda),
        (checks.check_soft_threshold, checks.soft_threshold),
        (checks.check_softmax_loop, checks.train_softmax),
        (checks.check_confusion_matrix, checks.confusion_matrix),
        (checks.check_most_confused, checks.most_confused),
        (checks.check_annealed_rate, checks.annealed_rate),
        (checks.check_gradient_descent, checks.early_stopping),
    ]:
        with pytest.raises(CheckFailed, match="digitlab's own"):
            check(reference)


def test_a_safe_learning_rate_is_computed_from_the_data(splits):
    X = dl.digit_pair(splits, 2, 3).train.X
    assert "passes" in checks.check_safe_learning_rate(one_over_l, X)
    wide = np.random.default_rng(1).random((300, 20)) * 4  # larger features: a steeper loss
    assert "passes" in checks.check_safe_learning_rate(one_over_l, wide)
    with pytest.raises(CheckFailed, match="do not fix a number"):
        checks.check_safe_learning_rate(lambda X: 0.1, wide)
    with pytest.raises(CheckFailed, match="MEAN"):
        checks.check_safe_learning_rate(lambda X: 1 / (np.linalg.eigvalsh(X.T @ X)[-1] / 4), X)  # the sum's L
    with pytest.raises(CheckFailed, match="not done yet"):
        checks.check_safe_learning_rate(not_done, X)
    with pytest.raises(CheckFailed, match="variance") as failure:  # right only for pixels centred on zero
        checks.check_safe_learning_rate(lambda X: 1.0 / (X.shape[1] * np.var(X)), X)
    assert "off zero" in str(failure.value)


def train_pair(pair, lr, epochs, batch_size, patience=None, rng=None, lam=0.0, *, mistake=None):
    """A student's Part 6, right by default; ``mistake`` makes the typical ones."""
    X, t = pair.train
    rng = np.random.default_rng(0) if rng is None else rng

    def holdout_acc(v):
        return np.mean(dl.logistic_predict(v, pair.holdout.X) == pair.holdout.y)

    w = np.zeros(X.shape[1])
    best_acc, best_w, best_epoch, below = holdout_acc(w), w.copy(), 0, 0
    for epoch in range(1, epochs + 1):
        for b in batches(len(t), batch_size, rng):
            w = w - lr * own_logistic_loss(w, X[b], t[b], lam=lam)[1]
        acc = holdout_acc(w)
        if acc >= best_acc:
            best_acc, best_w, best_epoch, below = acc, w.copy(), epoch, 0
        else:
            below += 1
            if patience is not None and below == patience + (mistake == "late"):
                break
    if mistake == "test":
        holdout_acc = np.mean(dl.logistic_predict(w, pair.test.X) == pair.test.y)
    if mistake == "epoch":
        best_epoch += 1
    return (w if mistake == "last" else best_w), best_epoch


def test_training_is_judged_on_the_test_images(splits):
    pair = dl.digit_pair(splits, 2, 3)
    assert "passes" in checks.check_pair_training(train_pair, pair, 0.97, "2 vs 3", lr=0.1, epochs=20, batch_size=362)
    with pytest.raises(CheckFailed, match=r"test .*/405; 95% CI.*below the target 97%.*not fitted either"):
        checks.check_pair_training(train_pair, pair, 0.97, lr=0.1, epochs=20, batch_size=362, lam=10.0)
    with pytest.raises(CheckFailed, match="diverged"):
        checks.check_pair_training(lambda pair: (np.full(785, np.nan), 0), pair, 0.97)
    with pytest.raises(CheckFailed, match="not done yet"):
        checks.check_pair_training(not_done, pair, 0.97)


@pytest.mark.parametrize(
    ("mistake", "words"),
    [
        ("test", ["looked at the test set"]),
        ("last", ["the last weights", "not those of the best hold-out"]),
        ("epoch", ["best_epoch is 17", "epoch 16"]),
        ("late", ["stopped late", "ends at epoch 19"]),
    ],
)
def test_training_without_early_stopping_fails(splits, mistake, words):
    pair = dl.digit_pair(splits, 4, 9)
    settings = {"lr": 0.1, "epochs": 50, "batch_size": 354, "patience": 3, "rng": np.random.default_rng(7)}
    assert "passes" in checks.check_pair_training(train_pair, pair, 0.95, "4 vs 9", **dict(settings))
    settings["rng"] = np.random.default_rng(7)
    with pytest.raises(CheckFailed) as failure:
        checks.check_pair_training(lambda pair, **kw: train_pair(pair, **kw, mistake=mistake), pair, 0.95, **settings)
    for word in words:
        assert word in str(failure.value), f"{word!r} not in {failure.value}"
    with pytest.raises(CheckFailed, match="never scored"):
        checks.check_pair_training(lambda pair, **kw: (np.zeros(785), 0), pair, 0.95, **settings)


# ------------------------------------------------------------- regularisation (03_regularization)


def right_regularised(w, X, t, lam):
    return own_logistic_loss(w, X, t, lam, "l2")


def regularised_with_bias(w, X, t, lam):
    loss, grad = own_logistic_loss(w, X, t)
    return loss + lam * np.sum(w**2), grad + 2 * lam * w


def regularised_summed(w, X, t, lam):
    loss, grad = own_logistic_loss(w, X, t)
    value, reg_grad = own_penalty(w, lam, "l2")
    return loss * len(t) + value, grad * len(t) + reg_grad


def regularised_flipped(w, X, t, lam):
    loss, grad = own_logistic_loss(w, X, t, lam, "l2")
    return loss, -grad


def regularised_half_penalty_gradient(w, X, t, lam):
    loss, grad = own_logistic_loss(w, X, t)
    value, reg_grad = own_penalty(w, lam, "l2")
    return loss + value, grad + reg_grad / 2


def regularised_no_penalty(w, X, t, lam):
    return own_logistic_loss(w, X, t)


def prox_uphill(w, X, t, lr, lam):
    return own_soft_threshold(w + lr * own_logistic_loss(w, X, t)[1], lr * lam)


def prox_shrinks_bias(w, X, t, lr, lam):
    v = w - lr * own_logistic_loss(w, X, t)[1]
    return np.sign(v) * np.maximum(np.abs(v) - lr * lam, 0)


def prox_subgradient(w, X, t, lr, lam):
    return w - lr * own_logistic_loss(w, X, t, lam, "l1")[1]


def prox_threshold_lam(w, X, t, lr, lam):
    return own_soft_threshold(w - lr * own_logistic_loss(w, X, t)[1], lam)


def prox_threshold_first(w, X, t, lr, lam):
    return own_soft_threshold(w, lr * lam) - lr * own_logistic_loss(w, X, t)[1]


def prox_counted_twice(w, X, t, lr, lam):
    return own_soft_threshold(w - lr * own_logistic_loss(w, X, t, lam, "l1")[1], lr * lam)


def prox_no_threshold(w, X, t, lr, lam):
    return w - lr * own_logistic_loss(w, X, t)[1]


def fit_by_subgradient(X, t, lam, lr, epochs):
    w = np.zeros(X.shape[1])
    for _ in range(epochs):
        w = prox_subgradient(w, X, t, lr, lam)
    return w


def fit_one_step_short(X, t, lam, lr, epochs):
    return own_fit_l1(X, t, lam, lr, epochs - 1)


def fit_uphill(X, t, lam, lr, epochs):
    w = np.zeros(X.shape[1])
    for _ in range(epochs):
        w = prox_uphill(w, X, t, lr, lam)
    return w


def fit_from_ones(X, t, lam, lr, epochs):
    w = np.ones(X.shape[1])
    for _ in range(epochs):
        w = own_proximal_step(w, X, t, lr, lam)
    return w


def fit_half_threshold_last(X, t, lam, lr, epochs):
    w = own_fit_l1(X, t, lam, lr, epochs - 1)
    return own_soft_threshold(w - lr * own_logistic_loss(w, X, t)[1], lr * lam / 2)  # half on the last epoch


@pytest.mark.parametrize(
    ("check", "wrong", "words"),
    [
        (checks.check_regularised_loss, regularised_with_bias, "bias weight w[0] is penalised"),
        (checks.check_regularised_loss, regularised_summed, "sums over the images; average it"),
        (checks.check_regularised_loss, regularised_flipped, "wrong sign"),
        (checks.check_regularised_loss, regularised_half_penalty_gradient, "2 lam w, not lam w"),
        (checks.check_regularised_loss, regularised_no_penalty, "no penalty"),
        (checks.check_regularised_loss, lambda w, X, t, lam: not_done(), "not done yet"),
        (checks.check_proximal_step, prox_uphill, "goes uphill"),
        (checks.check_proximal_step, prox_shrinks_bias, "bias w[0] was soft-thresholded"),
        (checks.check_proximal_step, prox_subgradient, "subgradient step"),
        (checks.check_proximal_step, prox_threshold_lam, "it is lr * lam"),
        (checks.check_proximal_step, prox_threshold_first, "after the gradient step"),
        (checks.check_proximal_step, prox_counted_twice, "counted twice"),
        (checks.check_proximal_step, prox_no_threshold, "nothing was soft-thresholded"),
        (checks.check_l1_fit, fit_by_subgradient, "not the subgradient step"),
        (checks.check_l1_fit, fit_one_step_short, "after 29 steps"),
        (checks.check_l1_fit, fit_uphill, "uphill"),
        (checks.check_l1_fit, fit_from_ones, "start from zeros"),
        (checks.check_l1_fit, fit_half_threshold_last, "0.5 x lr * lam"),
    ],
)
def test_each_regularisation_mistake_is_named(check, wrong, words):
    with pytest.raises(CheckFailed) as failure:
        check(wrong)
    assert words in str(failure.value)


@pytest.mark.parametrize(
    ("check", "answer", "other"),
    [
        (checks.check_regularised_loss, right_regularised, dict(n=23, d=9, lam=0.05)),
        (checks.check_proximal_step, own_proximal_step, dict(n=30, d=15, lr=0.3, lam=0.1)),
        (checks.check_l1_fit, own_fit_l1, dict(n=50, d=12, lam=0.02, lr=0.8, epochs=25)),
    ],
)
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_a_right_regularisation_answer_passes_on_any_seed_and_shape(check, answer, other, seed):
    assert "passes" in check(answer)
    assert "passes" in check(answer, seed=seed, **other)


def test_the_proximal_references_give_exact_zeros_and_choose_on_the_holdout():
    X, y, _ = feedback._problem(0, 40, 8)
    w = own_fit_l1(X, y, lam=0.05, lr=0.5, epochs=30)
    assert np.any(w[1:] == 0) and w[0] != 0
    for seed in (0, 1):  # the smaller tied lambda listed first, then the larger
        assert "passes" in checks.check_lambda_choice(lambda *a: choose(*map(np.asarray, a)), seed=seed)
    assert best_on_holdout([0.001, 0.1, 0.01], [0.9, 0.95, 0.95]) == 0.1  # ties: the larger lambda, any order
    assert "passes" in checks.check_soft_threshold(own_soft_threshold)


# ------------------------------------------------------------------ softmax regression, trained (notebook 04)


def train_loop(loss_fn, rate_fn, X, y, k, *, epochs, eta0, T, batch_size, rng, **mistake):
    """A student's annealed mini-batch loop, right by default; the keywords make the typical mistakes."""
    n, d = X.shape
    W = rng.standard_normal((d, k)) if mistake.get("random_start") else np.zeros((d, k))
    step = 0
    order = rng.permutation(n)
    for t in range(epochs):
        rate = {"constant": eta0, "per_step": None, "late": rate_fn(t + 1, eta0, T)}.get(
            mistake.get("rate"), rate_fn(t, eta0, T)
        )
        if not mistake.get("same_order"):
            order = rng.permutation(n)
        stop = n - n % batch_size if mistake.get("drop_last") else n
        for start in range(0, stop, batch_size):
            batch = order[start : start + batch_size]
            if mistake.get("loss_apart"):  # the loss asked for on its own first: two calls per batch
                loss_fn(W, X[batch], y[batch])
            _, grad = loss_fn(W, X[batch], y[batch])
            step_rate = rate_fn(step, eta0, T) if mistake.get("rate") == "per_step" else rate
            W = W + step_rate * grad if mistake.get("uphill") else W - step_rate * grad
            step += 1
    return W.T if mistake.get("transposed") else W


TRAINING_MISTAKES = [
    ({"uphill": True}, ["uphill", "sign is wrong"]),
    ({"rate": "constant"}, ["not annealed"]),
    ({"rate": "per_step"}, ["step count", "t is the epoch"]),
    ({"rate": "late"}, ["t + 1", "t = 0"]),
    ({"random_start": True}, ["np.zeros"]),
    ({"drop_last": True}, ["last, smaller batch", "dropped"]),
    ({"same_order": True}, ["same order"]),
    ({"transposed": True}, ["transposed"]),
    ({"loss_apart": True}, ["called 24 times", "expected 12", "exactly once per batch"]),
]


@pytest.mark.parametrize(("mistake", "words"), TRAINING_MISTAKES, ids=[next(iter(m)) for m, _ in TRAINING_MISTAKES])
def test_a_training_loop_mistake_is_named(mistake, words):
    with pytest.raises(CheckFailed) as failure:
        checks.check_softmax_loop(lambda *a, **kw: train_loop(*a, **kw, **mistake))
    for word in words:
        assert word in str(failure.value), f"{word!r} not in {failure.value}"


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_a_right_training_loop_passes(seed):
    other = {"seed": seed, "n": 37, "d": 6, "k": 5, "epochs": 4, "batch_size": 10}
    assert "passes" in checks.check_softmax_loop(train_loop, **other)
    with pytest.raises(CheckFailed, match="not done yet"):
        checks.check_softmax_loop(lambda *a, **kw: not_done())


def ten_digit_problem(seed=0, n=600, d=8):
    """Ten overlapping classes in d dimensions: a small stand-in for MNIST that trains in milliseconds."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.5, (10, d - 1))
    y = np.arange(n) % 10
    X = np.hstack([np.ones((n, 1)), centres[y] + rng.normal(0, 1, (n, d - 1))])
    return dl.Data(X[: n // 2], y[: n // 2]), dl.Data(X[n // 2 :], y[n // 2 :])


def ten_digits(eta0, epochs=3):
    def train(X, y, rng):
        rate = checks.annealed_rate
        return checks.train_softmax(
            dl.softmax_loss, rate, X, y, 10, epochs=epochs, eta0=eta0, T=3.0, batch_size=20, rng=rng
        )

    return train


def test_ten_digit_training_passes_or_says_why():
    train, test = ten_digit_problem()
    assert "passes" in checks.check_ten_digit_training(ten_digits(0.5), train, test, target=0.8)
    for answer, words in [
        (ten_digits(1e6), ["learning rate diverges", "lower eta0"]),
        (ten_digits(1e-5, epochs=1), ["below the target 80%", "95% CI", "more epochs"]),
        (lambda X, y, rng: np.zeros((10, X.shape[1])), ["transposed"]),
        (not_done, ["not done yet"]),
    ]:
        with pytest.raises(CheckFailed) as failure:
            checks.check_ten_digit_training(answer, train, test, target=0.8)
        for word in words:
            assert word in str(failure.value), f"{word!r} not in {failure.value}"


def trains_on_global(field):
    """A ``train_ten_digits`` that also trains on a split read from the module's global ``course_splits``."""

    def train_ten_digits(X, y, rng):
        extra = getattr(course_splits, field)
        return ten_digits(0.5)(np.vstack([X, extra.X]), np.concatenate([y, extra.y]), rng)

    return train_ten_digits


course_splits = None  # the notebook's `splits`, set by the test below


@pytest.mark.parametrize(("field", "words"), [("test", ["the test set", "X, y alone"]), ("holdout", ["hold-out"])])
@pytest.mark.parametrize("report", [True, False])
def test_ten_digit_training_on_a_global_split_fails(monkeypatch, field, words, report):
    train, scored = ten_digit_problem()
    extra = dl.Data(scored.X[:50], scored.y[:50])
    monkeypatch.setitem(globals(), "course_splits", dl.Splits(train, scored, extra))
    shown = {"report": extra} if report else {}
    with pytest.raises(CheckFailed) as failure:
        checks.check_ten_digit_training(trains_on_global(field), train, scored, target=0.8, **shown)
    for word in words:
        assert word in str(failure.value), f"{word!r} not in {failure.value}"
    assert globals()["course_splits"].test is extra  # put back after the check


def most_confused(C, *, both_ways=False, swapped=False, in_place=False):
    D = C if in_place else C.copy()
    np.fill_diagonal(D, 0)
    if both_ways:
        D = D + D.T
    i, j = np.unravel_index(np.argmax(D), D.shape)
    return (j, i) if swapped else (i, j)


@pytest.mark.parametrize(
    ("mistake", "words"),
    [
        ({"both_ways": True}, ["both ways", "largest C[i, j]"]),
        ({"swapped": True}, ["(predicted, true)"]),
        ({"in_place": True}, ["changed", "copy"]),
        ({"diagonal": True}, ["diagonal"]),
    ],
)
def test_a_most_confused_mistake_is_named(mistake, words):
    if mistake.get("diagonal"):
        answer = lambda C: np.unravel_index(np.argmax(C), C.shape)  # noqa: E731
    else:
        answer = lambda C: most_confused(C, **mistake)  # noqa: E731
    with pytest.raises(CheckFailed) as failure:
        checks.check_most_confused(answer)
    for word in words:
        assert word in str(failure.value), f"{word!r} not in {failure.value}"


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_a_right_most_confused_passes(seed):
    assert "passes" in checks.check_most_confused(most_confused, seed=seed, k=10)
    assert checks.annealed_rate(3, 27.0, 3.0) == 13.5


def test_a_right_confusion_matrix_passes():
    assert "passes" in checks.check_confusion_matrix(right_confusion, seed=3, n=200, k=10)
