import itertools

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import digitlab as dl
from digitlab.descent import fit_logistic_many
from digitlab.splits import Data, Splits


@pytest.fixture(scope="module")
def pair(splits):
    return dl.digit_pair(splits, 2, 3)


def test_history_records_every_evaluation_on_three_splits(pair):
    fit = dl.fit_logistic(pair, epochs=10, eval_every=3)
    np.testing.assert_array_equal(fit.history["epoch"], [0, 3, 6, 9, 10])
    for split in ("train", "holdout", "test"):
        assert fit.history[f"{split}_loss"][0] == pytest.approx(np.log(2), rel=1e-6)
        assert fit.history[f"{split}_acc"][-1] > 0.9
    assert fit.best_epoch == 10 and fit.w.dtype == np.float64
    assert np.mean(dl.logistic_predict(fit.w, pair.test.X) == pair.test.y) == fit.history["test_acc"][-1]


def test_recorded_training_loss_is_the_loss_of_the_recorded_weights(pair):
    fit = dl.fit_logistic(pair, epochs=4, batch_size=None, dtype=np.float64)
    again = dl.fit_logistic(pair, epochs=3, batch_size=None, dtype=np.float64)
    assert fit.history["train_loss"][3] == pytest.approx(dl.logistic_loss(again.w, *pair.train)[0], rel=1e-10)


def test_full_batch_descent_agrees_with_a_plain_loop(pair):
    fit = dl.fit_logistic(pair, epochs=5, lr=0.5, lam=0.01, penalty="l1", batch_size=None, dtype=np.float64)
    w = np.zeros(785)
    for _ in range(5):
        w -= 0.5 * dl.logistic_loss(w, *pair.train, lam=0.01, penalty="l1")[1]
    np.testing.assert_allclose(fit.w, w, rtol=1e-10, atol=1e-12)


def test_annealed_minibatch_descent_is_seeded(pair):
    settings = dict(epochs=3, batch_size=360, schedule="anneal", T=2, seed=7)
    a, b = dl.fit_logistic(pair, **settings), dl.fit_logistic(pair, **settings)
    np.testing.assert_array_equal(a.w, b.w)
    assert not np.array_equal(a.w, dl.fit_logistic(pair, **{**settings, "seed": 8}).w)


def test_early_stopping_keeps_the_best_holdout_weights(pair):
    fit = dl.fit_logistic(pair, lr=5.0, epochs=300, patience=3, batch_size=None)
    h = fit.history
    assert len(h["epoch"]) < 301  # it stopped early
    best = len(h["holdout_acc"]) - 1 - int(np.argmax(h["holdout_acc"][::-1]))  # the latest of the best
    assert fit.best_epoch == h["epoch"][best] and fit.best_epoch == h["epoch"][-4]
    assert np.all(h["holdout_acc"][-3:] < h["holdout_acc"][best])
    assert np.mean(dl.logistic_predict(fit.w, pair.holdout.X) == pair.holdout.y) == h["holdout_acc"][best]


def test_divergence_names_the_learning_rate(splits):
    with pytest.raises(dl.DivergedError, match=r"lr=1e\+38; try a smaller one"):
        dl.fit_softmax(splits, lr=1e38, epochs=20, batch_size=None)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (dict(lr=0), "lr=0"),
        (dict(lr=-1), "lr=-1"),
        (dict(lam=-0.1), "lam=-0.1"),
        (dict(penalty="l3"), "penalty 'l3'"),
        (dict(batch_size=0), "batch_size=0"),
        (dict(schedule="cosine"), "schedule 'cosine'"),
        (dict(patience=0), "patience=0"),
        (dict(learning_rate=0.1), "unknown setting"),
    ],
)
def test_invalid_settings_raise_before_any_work(pair, settings, message):
    with pytest.raises(ValueError, match=message):
        dl.fit_logistic(pair, **settings)


def test_empty_split_is_refused(pair):
    empty = Splits(pair.train, Data(pair.holdout.X[:0], pair.holdout.y[:0]), pair.test)
    with pytest.raises(ValueError, match="holdout split is empty"):
        dl.fit_logistic(empty)


def convex_optimum(splits, Cs, multinomial=False):
    """Test accuracy of L2 logistic / softmax regression solved by scikit-learn, C best on the hold-out set (each
    C solved from the last one's weights, smallest first)."""
    best, model = None, LogisticRegression(max_iter=1000, warm_start=True)
    for C in sorted(Cs):
        model.set_params(C=C).fit(splits.train.X[:, 1:], splits.train.y)
        holdout = model.score(splits.holdout.X[:, 1:], splits.holdout.y)
        if best is None or holdout > best[0]:
            best = (holdout, model.score(splits.test.X[:, 1:], splits.test.y))
    return best[1]


@pytest.mark.slow
def test_defaults_reach_the_convex_optimum_on_every_digit_pair(splits):
    gaps = {}
    for a, b in itertools.combinations(range(10), 2):
        pair = dl.digit_pair(splits, a, b)
        fit = dl.fit_logistic(pair)
        gaps[(a, b)] = convex_optimum(pair, Cs=(0.01, 0.1, 1.0)) - fit.history["test_acc"][-1]
    worst = max(gaps, key=gaps.get)
    assert gaps[worst] < 0.01, f"digits {worst}: {gaps[worst]:.4f} below the optimum"


@pytest.mark.slow
def test_defaults_reach_the_convex_optimum_on_ten_digits(splits):
    fit = dl.fit_softmax(splits)
    optimum = convex_optimum(splits, Cs=(0.03, 0.1))
    assert optimum > 0.935
    assert fit.history["test_acc"][-1] > optimum - 0.01


def test_proximal_l1_step_gives_exact_zeros_where_the_subgradient_step_does_not(pair):
    settings = dict(penalty="l1", lam=0.01)
    subgradient = dl.fit_logistic(pair, **settings)
    proximal = dl.fit_logistic(pair, l1_step="proximal", **settings)
    seen = np.abs(pair.train.X[:, 1:]).sum(axis=0) > 0  # pixels never lit stay at exactly 0 either way
    assert np.mean(subgradient.w[1:][seen] == 0) < 0.05
    assert np.mean(proximal.w[1:][seen] == 0) > 0.5
    assert proximal.history["test_acc"][-1] > 0.9


def test_runs_side_by_side_give_what_each_gives_alone(pair):
    runs = [dict(lam=0.01, penalty="l1", l1_step="proximal"), dict(lr=0.3, schedule="anneal", T=2), dict(lam=0.003)]
    runs = [dict(run, epochs=4, patience=2) for run in runs]
    together = fit_logistic_many(pair, runs)
    for run, fit in zip(runs, together):
        alone = dl.fit_logistic(pair, **run)
        np.testing.assert_allclose(fit.w, alone.w, rtol=1e-5, atol=1e-6)
        assert fit.best_epoch == alone.best_epoch and fit.settings["lam"] == run.get("lam", 0.0)
        for key in ("epoch", "holdout_acc", "test_acc"):
            np.testing.assert_allclose(fit.history[key], alone.history[key])


def test_runs_side_by_side_must_share_the_batches(pair):
    with pytest.raises(ValueError, match="share seed"):
        fit_logistic_many(pair, [dict(seed=0), dict(seed=1)])
    with pytest.raises(ValueError, match="share epochs"):
        fit_logistic_many(pair, [dict(epochs=2, batch_size=None), dict(epochs=3, batch_size=None)])
    with pytest.raises(ValueError, match="all use full batches or all mini-batches"):
        fit_logistic_many(pair, [dict(batch_size=None), dict(batch_size=100)])


def test_a_random_start_with_a_penalty_agrees_with_a_plain_loop_on_every_pixel(splits):
    # descent leaves the pixels no training image lights out of its products; their weights must still
    # feel the penalty exactly as the plain loop over all 785 rows has them feel it
    small = Splits(*(Data(d.X[:300], d.y[:300]) for d in splits))
    settings = dict(init="normal", seed=3, lam=0.02, penalty="l2", lr=0.5, batch_size=None, epochs=3)
    fit = dl.fit_softmax(small, dtype=np.float64, **settings)
    W = np.random.default_rng(3).standard_normal((785, 10))
    for _ in range(3):
        W -= 0.5 * dl.softmax_loss(W, *small.train, lam=0.02)[1]
    unlit = ~small.train.X.any(axis=0)
    assert unlit.sum() > 100 and np.all(W[unlit] != 0)
    np.testing.assert_allclose(fit.w, W, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "model, settings",
    [
        ("logistic", dict(batch_size=None, lr=0.5, penalty="l2", lam=0.01)),
        ("logistic", dict(batch_size=97, lr=0.3, penalty="l1", lam=0.003, l1_step="proximal", eval_every=2)),
        ("logistic", dict(batch_size=50, lr=5.0, patience=2, penalty="l1", lam=0.001)),
        ("softmax", dict(batch_size=120, lr=0.5, schedule="anneal", T=2.0, init="normal", seed=3, patience=3)),
        ("softmax", dict(batch_size=None, lr=1.0, penalty="l1", lam=1e-3, l1_step="proximal")),
    ],
)
def test_the_fast_engine_equals_the_readable_loop(splits, model, settings):
    from digitlab import descent

    source = splits if model == "softmax" else dl.digit_pair(splits, 2, 3)
    small = Splits(*(Data(d.X[:600], d.y[:600]) for d in source))
    settings = dict(settings, epochs=12, dtype=np.float64)
    n_classes = 10 if model == "softmax" else None
    (s,) = descent._settings(small, [settings], n_classes)
    shape = (785, 10) if model == "softmax" else (785,)
    core, labels_of = (
        (dl.kernels.softmax_scores_loss, dl.kernels.softmax_labels)
        if model == "softmax"
        else (dl.kernels.logistic_scores_loss, dl.kernels.logistic_labels)
    )
    start = descent._start(shape, s)
    readable = descent.descend(core, labels_of, start.copy(), small, s)
    fast = descent.descend_many(core, labels_of, [start.copy()], small, [s])[0]
    assert fast.best_epoch == readable.best_epoch
    for key in descent.HISTORY_KEYS:
        np.testing.assert_allclose(fast.history[key], readable.history[key], rtol=1e-9, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(fast.w, readable.w, rtol=1e-9, atol=1e-12)
