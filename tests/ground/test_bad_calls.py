"""Bad calls of the public API, table-driven: each bad input, the exception it raises, words its message holds.

Every call here is refused before any work starts (the descent engine is replaced by a trap that fails the test),
with an error that names the argument and says what to do. ``BAD_CALLS`` is also what
``benchmarks/probe_hardening.py`` counts.
"""

from __future__ import annotations

import numpy as np
import pytest

import digitlab as dl
from digitlab import descent
from digitlab.splits import Data, Splits
from digitlab.validate import task

RNG = np.random.default_rng(0)
D = 6  # features per row in the small splits below (bias first)


def data(n: int, classes: int = 2, **replace) -> Data:
    X = np.column_stack([np.ones(n), RNG.random((n, D - 1))])
    y = np.arange(n) % classes
    return Data(replace.get("X", X), replace.get("y", y))


PAIR = Splits(data(40), data(10), data(10))  # labels 0 / 1
TEN = Splits(data(60, 10), data(20, 10), data(20, 10))  # labels 0 .. 9


def with_split(base: Splits, field: str, **replace) -> Splits:
    old = getattr(base, field)
    return base._replace(**{field: Data(replace.get("X", old.X), replace.get("y", old.y))})


def nan_at(X: np.ndarray, value=np.nan) -> np.ndarray:
    X = X.copy()
    X[3, 2] = value
    return X


FIELDS = ("train", "holdout", "test")
# (name, call, exception, words the message must contain)
BAD_CALLS = [
    # the labels do not fit the model
    ("logistic on ten-class labels", lambda: dl.fit_logistic(TEN), ValueError, ["labels 0 and 1", "fit_softmax"]),
    (
        "logistic on labels 0/2",
        lambda: dl.fit_logistic(with_split(PAIR, "train", y=PAIR.train.y * 2)),
        ValueError,
        ["splits.train.y", "0 and 1"],
    ),
    (
        "softmax labels of shape (n, 1)",
        lambda: dl.fit_softmax(with_split(TEN, "train", y=TEN.train.y[:, None])),
        ValueError,
        ["splits.train.y", "(60, 1)", "ravel"],
    ),
    (
        "softmax label -1",
        lambda: dl.fit_softmax(with_split(TEN, "test", y=TEN.test.y - 1)),
        ValueError,
        ["splits.test.y", "-1", "0..9"],
    ),
    (
        "softmax label 10 of 10 classes",
        lambda: dl.fit_softmax(with_split(TEN, "holdout", y=TEN.holdout.y + 1)),
        ValueError,
        ["splits.holdout.y", "n_classes"],
    ),
    ("softmax n_classes=1", lambda: dl.fit_softmax(PAIR, n_classes=1), ValueError, ["n_classes", ">= 2"]),
    ("softmax n_classes=10.0", lambda: dl.fit_softmax(TEN, n_classes=10.0), TypeError, ["n_classes", "whole"]),
    ("softmax n_classes='10'", lambda: dl.fit_softmax(TEN, n_classes="10"), TypeError, ["n_classes"]),
    (
        "splits is a tuple of arrays",
        lambda: dl.fit_logistic((PAIR.train.X, PAIR.train.y)),
        TypeError,
        ["splits", "seed_splits"],
    ),
    ("splits is None", lambda: dl.fit_softmax(None), TypeError, ["splits"]),
    ("a split is a tuple", lambda: dl.fit_logistic(PAIR._replace(test=(1, 2))), TypeError, ["splits.test", "Data"]),
    # numbers the settings cannot be
    ("lam=inf", lambda: dl.fit_logistic(PAIR, lam=np.inf), ValueError, ["lam", "finite"]),
    ("lam=nan", lambda: dl.fit_logistic(PAIR, lam=np.nan), ValueError, ["lam", "finite"]),
    ("lam=-0.1", lambda: dl.fit_logistic(PAIR, lam=-0.1), ValueError, ["lam", ">= 0"]),
    ("lam='0.1'", lambda: dl.fit_logistic(PAIR, lam="0.1"), TypeError, ["lam", "number", "quotes"]),
    ("lam=None", lambda: dl.fit_softmax(TEN, lam=None), TypeError, ["lam", "number"]),
    ("lam=True", lambda: dl.fit_softmax(TEN, lam=True), TypeError, ["lam"]),
    ("lam=10**400", lambda: dl.fit_logistic(PAIR, lam=10**400), ValueError, ["lam", "finite"]),
    ("lr=0", lambda: dl.fit_logistic(PAIR, lr=0), ValueError, ["lr", "> 0"]),
    ("lr=-1", lambda: dl.fit_logistic(PAIR, lr=-1), ValueError, ["lr", "> 0"]),
    ("lr=inf", lambda: dl.fit_logistic(PAIR, lr=np.inf), ValueError, ["lr", "finite"]),
    ("lr=nan", lambda: dl.fit_softmax(TEN, lr=np.nan), ValueError, ["lr", "finite"]),
    ("lr='fast'", lambda: dl.fit_softmax(TEN, lr="fast"), TypeError, ["lr"]),
    ("T=0", lambda: dl.fit_logistic(PAIR, schedule="anneal", T=0), ValueError, ["T", "> 0"]),
    ("T=inf", lambda: dl.fit_logistic(PAIR, T=np.inf), ValueError, ["T", "finite"]),
    (
        "batch_size=100.0",
        lambda: dl.fit_logistic(PAIR, batch_size=100.0),
        TypeError,
        ["batch_size", "whole", "batch_size=100"],
    ),
    ("batch_size=0", lambda: dl.fit_logistic(PAIR, batch_size=0), ValueError, ["batch_size", ">= 1"]),
    ("batch_size=-5", lambda: dl.fit_softmax(TEN, batch_size=-5), ValueError, ["batch_size", ">= 1"]),
    ("batch_size='100'", lambda: dl.fit_softmax(TEN, batch_size="100"), TypeError, ["batch_size"]),
    ("batch_size=2.5", lambda: dl.fit_softmax(TEN, batch_size=2.5), TypeError, ["batch_size", "whole"]),
    ("epochs=10.0", lambda: dl.fit_logistic(PAIR, epochs=10.0), TypeError, ["epochs", "whole", "epochs=10"]),
    ("epochs=-1", lambda: dl.fit_logistic(PAIR, epochs=-1), ValueError, ["epochs", ">= 0"]),
    ("epochs=None", lambda: dl.fit_logistic(PAIR, epochs=None), TypeError, ["epochs"]),
    ("patience=0", lambda: dl.fit_logistic(PAIR, patience=0), ValueError, ["patience", ">= 1"]),
    ("patience=2.0", lambda: dl.fit_logistic(PAIR, patience=2.0), TypeError, ["patience", "whole"]),
    ("eval_every=0", lambda: dl.fit_logistic(PAIR, eval_every=0), ValueError, ["eval_every", ">= 1"]),
    ("eval_every=1.5", lambda: dl.fit_softmax(TEN, eval_every=1.5), TypeError, ["eval_every"]),
    ("seed=-1", lambda: dl.fit_logistic(PAIR, seed=-1), ValueError, ["seed", ">= 0"]),
    ("seed=0.5", lambda: dl.fit_logistic(PAIR, seed=0.5), TypeError, ["seed"]),
    ("seed='0'", lambda: dl.fit_logistic(PAIR, seed="0"), TypeError, ["seed"]),
    # choices and dtypes
    ("dtype=np.int64", lambda: dl.fit_logistic(PAIR, dtype=np.int64), ValueError, ["dtype", "float32"]),
    ("dtype=int", lambda: dl.fit_softmax(TEN, dtype=int), ValueError, ["dtype", "floating point"]),
    ("dtype=np.float16", lambda: dl.fit_softmax(TEN, dtype=np.float16), ValueError, ["dtype", "float64"]),
    ("dtype='nonsense'", lambda: dl.fit_softmax(TEN, dtype="nonsense"), ValueError, ["dtype"]),
    ("dtype=np.complex128", lambda: dl.fit_logistic(PAIR, dtype=np.complex128), ValueError, ["dtype"]),
    ("penalty='l3'", lambda: dl.fit_logistic(PAIR, penalty="l3"), ValueError, ["penalty", "'l2' or 'l1'"]),
    ("penalty='L2'", lambda: dl.fit_softmax(TEN, penalty="L2"), ValueError, ["penalty"]),
    ("penalty=None", lambda: dl.fit_softmax(TEN, penalty=None), ValueError, ["penalty"]),
    ("schedule='linear'", lambda: dl.fit_logistic(PAIR, schedule="linear"), ValueError, ["schedule", "anneal"]),
    ("l1_step='newton'", lambda: dl.fit_logistic(PAIR, l1_step="newton"), ValueError, ["l1_step", "proximal"]),
    ("init='ones'", lambda: dl.fit_logistic(PAIR, init="ones"), ValueError, ["init", "zeros"]),
    ("init=0", lambda: dl.fit_softmax(TEN, init=0), ValueError, ["init"]),
    (
        "unknown setting",
        lambda: dl.fit_logistic(PAIR, learning_rate=0.1),
        ValueError,
        ["unknown setting", "learning_rate", "lr"],
    ),
    ("unknown setting (softmax)", lambda: dl.fit_softmax(TEN, lamda=0.1), ValueError, ["unknown setting", "lamda"]),
]

# every defect of X and y, in every split, for both models
for field in FIELDS:
    for model, base, fit in (("logistic", PAIR, dl.fit_logistic), ("softmax", TEN, dl.fit_softmax)):
        X, y, n = getattr(base, field).X, getattr(base, field).y, len(getattr(base, field).y)
        where = f"splits.{field}"
        BAD_CALLS += [
            (
                f"{model}: NaN in {field} X",
                lambda b=base, f=field, X=X, fit=fit: fit(with_split(b, f, X=nan_at(X))),
                ValueError,
                [f"{where}.X", "NaN", "row 3, column 2", "finite"],
            ),
            (
                f"{model}: inf in {field} X",
                lambda b=base, f=field, X=X, fit=fit: fit(with_split(b, f, X=nan_at(X, np.inf))),
                ValueError,
                [f"{where}.X", "infinite", "finite"],
            ),
            (
                f"{model}: -inf in {field} X",
                lambda b=base, f=field, X=X, fit=fit: fit(with_split(b, f, X=nan_at(X, -np.inf))),
                ValueError,
                [f"{where}.X", "infinite"],
            ),
            (
                f"{model}: 1-D {field} X",
                lambda b=base, f=field, X=X, fit=fit: fit(with_split(b, f, X=X[:, 1])),
                ValueError,
                [f"{where}.X", "2-D", f"({n},)"],
            ),
            (
                f"{model}: 3-D {field} X",
                lambda b=base, f=field, X=X, fit=fit: fit(with_split(b, f, X=X.reshape(len(X), 2, 3))),
                ValueError,
                [f"{where}.X", "2-D"],
            ),
            (
                f"{model}: {field} X as a list",
                lambda b=base, f=field, X=X, fit=fit: fit(with_split(b, f, X=X.tolist())),
                TypeError,
                [f"{where}.X", "list", "np.asarray"],
            ),
            (
                f"{model}: {field} X of strings",
                lambda b=base, f=field, X=X, fit=fit: fit(with_split(b, f, X=X.astype(str))),
                ValueError,
                [f"{where}.X", "dtype", "real numbers"],
            ),
            (
                f"{model}: {field} X one column short",
                lambda b=base, f=field, X=X, fit=fit: fit(with_split(b, f, X=X[:, :-1])),
                ValueError,
                [f"{where}.X", "columns", "same features"],
            )
            if field != "train"
            else (
                f"{model}: {field} X with an extra column",
                lambda b=base, f=field, X=X, fit=fit: fit(with_split(b, f, X=np.column_stack([X, X[:, 1]]))),
                ValueError,
                ["columns", "same features"],
            ),
            (
                f"{model}: empty {field} split",
                lambda b=base, f=field, X=X, y=y, fit=fit: fit(with_split(b, f, X=X[:0], y=y[:0])),
                ValueError,
                [field, "empty"],
            ),
            (
                f"{model}: float {field} labels",
                lambda b=base, f=field, y=y, fit=fit: fit(with_split(b, f, y=y.astype(float))),
                ValueError,
                [f"{where}.y", "integers", "astype"],
            ),
            (
                f"{model}: bool {field} labels",
                lambda b=base, f=field, y=y, fit=fit: fit(with_split(b, f, y=y.astype(bool))),
                ValueError,
                [f"{where}.y", "integers"],
            ),
            (
                f"{model}: {field} labels of shape (n, 1)",
                lambda b=base, f=field, y=y, fit=fit: fit(with_split(b, f, y=y[:, None])),
                ValueError,
                [f"{where}.y", "1-D", "ravel"],
            ),
            (
                f"{model}: one {field} label too few",
                lambda b=base, f=field, y=y, fit=fit: fit(with_split(b, f, y=y[:-1])),
                ValueError,
                [f"{where}.y", f"{n - 1} labels for {n} rows"],
            ),
            (
                f"{model}: {field} labels as a list",
                lambda b=base, f=field, y=y, fit=fit: fit(with_split(b, f, y=y.tolist())),
                TypeError,
                [f"{where}.y", "np.asarray"],
            ),
            (
                f"{model}: negative {field} label",
                lambda b=base, f=field, y=y, fit=fit: fit(with_split(b, f, y=y - 1)),
                ValueError,
                [f"{where}.y", "-1"],
            ),
        ]

W2, W10 = np.zeros(D), np.zeros((D, 10))
X, Y2, Y10 = TEN.train.X, TEN.train.y % 2, TEN.train.y
BAD_CALLS += [
    (
        "softmax_loss label -1",
        lambda: dl.softmax_loss(W10, X, np.where(Y10 == 9, -1, Y10)),
        ValueError,
        ["y", "-1", "0..9"],
    ),
    ("softmax_loss label 10", lambda: dl.softmax_loss(W10, X, Y10 + 1), ValueError, ["y", "10", "0..9"]),
    ("softmax_loss float labels", lambda: dl.softmax_loss(W10, X, Y10.astype(float)), ValueError, ["y", "integers"]),
    ("softmax_loss labels (n, 1)", lambda: dl.softmax_loss(W10, X, Y10[:, None]), ValueError, ["y", "1-D"]),
    ("softmax_loss W 1-D", lambda: dl.softmax_loss(W2, X, Y10), ValueError, ["W", "(d, k)"]),
    ("softmax_loss W too tall", lambda: dl.softmax_loss(np.zeros((D + 1, 10)), X, Y10), ValueError, ["W", f"d = {D}"]),
    ("softmax_loss 1-D X", lambda: dl.softmax_loss(W10, X[:, 0], Y10), ValueError, ["X", "2-D"]),
    ("softmax_loss lam=inf", lambda: dl.softmax_loss(W10, X, Y10, lam=np.inf), ValueError, ["lam", "finite"]),
    ("softmax_loss lam='0.1'", lambda: dl.softmax_loss(W10, X, Y10, lam="0.1"), TypeError, ["lam"]),
    ("softmax_loss penalty='l3'", lambda: dl.softmax_loss(W10, X, Y10, penalty="l3"), ValueError, ["penalty"]),
    ("logistic_loss labels 0..9", lambda: dl.logistic_loss(W2, X, Y10), ValueError, ["y", "0 and 1"]),
    ("logistic_loss labels -1/1", lambda: dl.logistic_loss(W2, X, 2 * Y2 - 1), ValueError, ["y", "-1"]),
    ("logistic_loss W 2-D", lambda: dl.logistic_loss(W10, X, Y2), ValueError, ["w", "(d,)"]),
    ("logistic_loss w too short", lambda: dl.logistic_loss(W2[:-1], X, Y2), ValueError, ["w", f"d = {D}"]),
    ("logistic_loss y too long", lambda: dl.logistic_loss(W2, X, np.r_[Y2, 0]), ValueError, ["y", "labels for"]),
    ("logistic_loss lam=-1", lambda: dl.logistic_loss(W2, X, Y2, lam=-1), ValueError, ["lam", ">= 0"]),
    ("logistic_loss X list", lambda: dl.logistic_loss(W2, X.tolist(), Y2), TypeError, ["X", "np.asarray"]),
    # digit pairs and tasks
    ("digit_pair('2', 3)", lambda: dl.digit_pair(PAIR, "2", 3), ValueError, ["'2'", "not a digit"]),
    ("digit_pair(2.0, 3)", lambda: dl.digit_pair(PAIR, 2.0, 3), ValueError, ["2.0", "not a digit"]),
    ("digit_pair(True, 3)", lambda: dl.digit_pair(PAIR, True, 3), ValueError, ["True", "not a digit"]),
    ("digit_pair(3, 3)", lambda: dl.digit_pair(PAIR, 3, 3), ValueError, ["both digits are 3"]),
    ("digit_pair(-1, 3)", lambda: dl.digit_pair(PAIR, -1, 3), ValueError, ["-1", "0-9"]),
    ("digit_pair(2, 10)", lambda: dl.digit_pair(PAIR, 2, 10), ValueError, ["10", "0-9"]),
    ("task '23'", lambda: task("23"), ValueError, ["'23'", "digit pair like (2, 3)", "tuple of ints"]),
    ("task (2.7, 3.2)", lambda: task((2.7, 3.2)), ValueError, ["(2.7, 3.2)", "2.7", "not a digit"]),
    ("task (2, 3, 4)", lambda: task((2, 3, 4)), ValueError, ["(2, 3, 4)", "digit pair"]),
    ("task (3, 3)", lambda: task((3, 3)), ValueError, ["both digits are 3"]),
    ("task ('2', '3')", lambda: task(("2", "3")), ValueError, ["'2'", "not a digit"]),
    ("task 'ALL'", lambda: task("ALL"), ValueError, ["'ALL'", "'all'"]),
    ("task None", lambda: task(None), ValueError, ["None", "digit pair"]),
    ("task 23", lambda: task(23), ValueError, ["23", "digit pair"]),
    # files and folders
    ("read_idx(42)", lambda: dl.read_idx(42), TypeError, ["path=42", "file name"]),
    ("read_idx(None)", lambda: dl.read_idx(None), TypeError, ["path=None"]),
    ("read_idx max_bytes=-1", lambda: dl.read_idx("x.idx", max_bytes=-1), ValueError, ["max_bytes", ">= 0"]),
    (
        "read_idx max_bytes=1e6",
        lambda: dl.read_idx("x.idx", max_bytes=1e6),
        TypeError,
        ["max_bytes", "whole", "max_bytes=1000000"],
    ),
    ("seed_splits of a tuple", lambda: dl.seed_splits((1, 2, 3, 4)), TypeError, ["mnist", "load_mnist"]),
    (
        "seed_splits of flat images",
        lambda: dl.seed_splits(
            dl.MNIST(
                *(
                    np.zeros((20000, 784), np.uint8),
                    np.zeros(20000, np.uint8),
                    np.zeros((2000, 28, 28), np.uint8),
                    np.zeros(2000, np.uint8),
                )
            )
        ),
        ValueError,
        ["mnist.train_images", "(n, 28, 28)"],
    ),
    (
        "seed_splits of too few images",
        lambda: dl.seed_splits(
            dl.MNIST(
                *(
                    np.zeros((100, 28, 28), np.uint8),
                    np.zeros(100, np.uint8),
                    np.zeros((2000, 28, 28), np.uint8),
                    np.zeros(2000, np.uint8),
                )
            )
        ),
        ValueError,
        ["mnist.train_images", "at least 20000"],
    ),
    (
        "seed_splits of float labels",
        lambda: dl.seed_splits(
            dl.MNIST(
                *(
                    np.zeros((20000, 28, 28), np.uint8),
                    np.zeros(20000),
                    np.zeros((2000, 28, 28), np.uint8),
                    np.zeros(2000, np.uint8),
                )
            )
        ),
        ValueError,
        ["mnist.train_labels", "integers"],
    ),
]


@pytest.fixture(autouse=True)
def no_training(monkeypatch):
    """A bad call must be refused before the descent starts."""

    def trap(*args, **kwargs):
        raise AssertionError("training started: the bad call was not refused first")

    monkeypatch.setattr(descent, "descend_many", trap)


@pytest.mark.parametrize(("call", "exception", "words"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_bad_call_is_refused_with_a_message_that_says_what_to_do(call, exception, words):
    with pytest.raises(exception) as info:
        call()
    message = str(info.value)
    missing = [w for w in words if w not in message]
    assert not missing, f"message {message!r} lacks {missing}"


def test_each_case_is_named_once():
    names = [c[0] for c in BAD_CALLS]
    assert len(names) == len(set(names))


GOOD_CALLS = [
    lambda: dl.fit_logistic(PAIR, epochs=1),
    lambda: dl.fit_logistic(PAIR, epochs=np.int64(1), lam=np.float32(0.1), batch_size=np.int32(7), lr=1),
    lambda: dl.fit_logistic(PAIR, epochs=0, batch_size=None, patience=None, dtype=np.float64, seed=None),
    lambda: dl.fit_softmax(TEN, epochs=1, lam=0, penalty="l1", l1_step="proximal", init="normal"),
    lambda: dl.fit_softmax(with_split(TEN, "train", y=TEN.train.y.astype(np.uint8)), epochs=1, dtype="float32"),
    lambda: dl.fit_logistic(with_split(PAIR, "train", X=(PAIR.train.X * 255).astype(np.uint8)), epochs=1),
]


@pytest.mark.parametrize("call", GOOD_CALLS)
def test_good_calls_reach_the_descent(call):
    with pytest.raises(AssertionError, match="training started"):
        call()


def test_losses_still_accept_good_input():
    loss, grad = dl.softmax_loss(W10, X, Y10, lam=0.1, penalty="l1")
    assert np.isclose(loss, np.log(10)) and grad.shape == W10.shape
    loss, grad = dl.logistic_loss(W2, X, Y2.astype(float), lam=np.float64(0.5))
    assert np.isclose(loss, np.log(2)) and grad.shape == W2.shape


def test_tasks_are_normalised():  # validate.task: the one task check of optimum.solve and the explorer
    assert task("all") == "all"
    assert task((np.int64(2), 3)) == (2, 3) and task([8, 2]) == (8, 2)
    assert all(type(d) is int for d in task((np.uint8(2), np.int16(3))))
