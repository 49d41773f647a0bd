"""The coursework as it is used: nbgrader generates, a class submits, nbgrader autogrades and gives feedback.

The submissions are the solutions, the untouched student copies, and typical wrong answers written into the
solution cells; each wrong one must lose the points of its part, keep the others, and see a check message that
names the mistake. Assignment 01 (about 3 s a notebook) runs through the real nbgrader command line in a
temporary course directory (``tools/coursework.py`` sets it up the way an instructor's is); every assignment is
also graded in this process by ``tools/regrade.py`` (the teaching notebook's tests, hidden ones included, on the
submission's answers), which must agree with nbgrader on 01.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import regrade  # noqa: E402

import coursework  # noqa: E402

pytest.importorskip("nbgrader", reason="nbgrader is not installed (notebooks extra)")

# assignment -> typical wrong answers: (name, solution cell, text replaced, replacement, failing check, words)
WRONG = {
    "01_gradients": [
        (
            "mean replaced by sum",
            "logistic_loss_vectorised",
            "np.mean(np.logaddexp(0, z) - t * z), X.T @ (dl.sigmoid(z) - t) / len(t)",
            "np.sum(np.logaddexp(0, z) - t * z), X.T @ (dl.sigmoid(z) - t)",
            "check_logistic_loss_vectorised",
            ["sums over the images", "average it"],
        ),
        (
            "bias penalised",
            "l2_penalty",
            "    grad[1:] = 2 * lam * w[1:]\n    return lam * np.sum(w[1:] ** 2), grad",
            "    grad = 2 * lam * w\n    return lam * np.sum(w**2), grad",
            "check_l2_penalty",
            ["bias", "penalised"],
        ),
        (
            "softmax without the max shift",
            "stable_softmax",
            "e = np.exp(a - a.max(axis=1, keepdims=True))",
            "e = np.exp(a)",
            "check_stable_softmax",
            ["overflow", "maximum"],
        ),
        (
            "gradient with the wrong sign",
            "logistic_loss_vectorised",
            "X.T @ (dl.sigmoid(z) - t) / len(t)",
            "X.T @ (t - dl.sigmoid(z)) / len(t)",
            "check_logistic_loss_vectorised",
            ["wrong sign"],
        ),
    ],
    "02_logistic_regression": [
        (
            "mean replaced by sum",
            "logistic_loss",
            "np.mean(np.logaddexp(0, z) - t * z), X.T @ (dl.sigmoid(z) - t) / len(t)",
            "np.sum(np.logaddexp(0, z) - t * z), X.T @ (dl.sigmoid(z) - t)",
            "check_logistic_loss",
            ["sums over the images", "average it"],
        ),
        (
            "gradient step with the wrong sign",
            "descent_step",
            "return w - lr * grad",
            "return w + lr * grad",
            "check_descent_step",
            ["uphill"],
        ),
        (
            "early stopping keeps the last weights",
            "gradient_descent",
            "return best_w, best_epoch",
            "return w, best_epoch",
            "check_gradient_descent",
            ["not of the best hold-out accuracy"],
        ),
        (
            "early stopping that stops one evaluation late",
            "gradient_descent",
            "if below == patience:",
            "if below == patience + 1:",
            "check_gradient_descent",
            ["stopped late"],
        ),
        (
            "log(1 + exp(z)) written out, which overflows",
            "logistic_loss",
            "np.mean(np.logaddexp(0, z) - t * z)",
            "np.mean(np.log(1 + np.exp(z)) - t * z)",
            "check_logistic_loss",
            ["overflow"],
        ),
        (
            "Part 6 keeps the last weights",
            "train_pair",
            "return best_w, best_epoch",
            "return w, best_epoch",
            "check_train_pair",
            ["the last weights", "best hold-out accuracy"],
        ),
        (
            "Part 6 stops early on the test set",
            "train_pair",
            "pair.holdout.X) == pair.holdout.y",
            "pair.test.X) == pair.test.y",
            "check_train_pair",
            ["looked at the test set"],
        ),
        (
            "mini-batches not shuffled",
            "minibatches",
            "order = rng.permutation(N)",
            "order = np.arange(N)",
            "check_minibatches",
            ["stored order", "shuffle"],
        ),
        (
            "last mini-batch dropped",
            "minibatches",
            "range(0, N, batch_size)",
            "range(0, N - N % batch_size, batch_size)",
            "check_minibatches",
            ["left out", "keep the last"],
        ),
    ],
    "03_regularization": [
        (
            "mean replaced by sum",
            "regularised_loss",
            "np.mean(np.logaddexp(0, z) - t * z)",
            "np.sum(np.logaddexp(0, z) - t * z)",
            "check_regularised_loss",
            ["sums over the images", "average it"],
        ),
        (
            "bias penalised",
            "regularised_loss",
            "lam * np.sum(w[1:] ** 2), np.zeros_like(w)\n    penalty_grad[1:] = 2 * lam * w[1:]",
            "lam * np.sum(w**2), 2 * lam * w",
            "check_regularised_loss",
            ["bias", "penalised"],
        ),
        (
            "gradient step with the wrong sign",
            "proximal_step",
            "soft_threshold(w - lr * grad, lr * lam)",
            "soft_threshold(w + lr * grad, lr * lam)",
            "check_proximal_step",
            ["uphill", "w - lr * grad"],
        ),
        (
            "lambda chosen by the test accuracy",
            "choose_lambda",
            "best = max(holdout_acc)\n    return max(lam for lam, acc in zip(lams, holdout_acc)",
            "best = max(test_acc)\n    return max(lam for lam, acc in zip(lams, test_acc)",
            "check_choose_lambda",
            ["test accuracy", "hold-out"],
        ),
        (
            "the first of equal hold-out accuracies, whatever its lambda",
            "choose_lambda",
            "return max(lam for lam, acc in zip(lams, holdout_acc) if acc == best)",
            "return lams[list(holdout_acc).index(best)]",
            "check_choose_lambda",
            ["larger lambda"],
        ),
        (
            "soft-thresholding shrinks the bias",
            "soft_threshold",
            "out = w.copy()\n    out[1:] = np.sign(w[1:]) * np.maximum(np.abs(w[1:]) - threshold, 0)\n    return out",
            "return np.sign(w) * np.maximum(np.abs(w) - threshold, 0)",
            "check_soft_threshold",
            ["bias", "shrunk"],
        ),
    ],
    "04_softmax_regression": [
        (
            "softmax without the max shift",
            "stable_softmax",
            "e = np.exp(a - a.max(axis=1, keepdims=True))",
            "e = np.exp(a)",
            "check_stable_softmax",
            ["overflow", "maximum"],
        ),
        (
            "mean replaced by sum",
            "softmax_loss_vectorised",
            "np.mean(log_norm - shifted[rows, y]), X.T @ P / n",
            "np.sum(log_norm - shifted[rows, y]), X.T @ P",
            "check_softmax_loss_vectorised",
            ["sums over the images", "average it"],
        ),
        (
            "the rate grows",
            "annealed_rate",
            "return eta0 / (1 + t / T)",
            "return eta0 * (1 + t / T)",
            "check_annealed_rate",
            ["the rate grows", "division"],
        ),
        (
            "gradient step with the wrong sign",
            "train_softmax",
            "W = W - rate * grad",
            "W = W + rate * grad",
            "check_train_softmax",
            ["goes uphill", "the sign is wrong"],
        ),
        (
            "a learning rate that diverges",
            "train_ten_digits",
            "eta0=0.5,",
            "eta0=500.0,",
            "check_train_ten_digits",
            ["learning rate diverges", "lower eta0"],
        ),
        (
            "confusion matrix transposed",
            "confusion_matrix",
            "np.add.at(C, (y_true, y_pred), 1)",
            "np.add.at(C, (y_pred, y_true), 1)",
            "check_confusion_matrix",
            ["transposed", "rows are the true labels"],
        ),
    ],
}


def cells_by_id(notebook: dict) -> dict:
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in notebook["cells"] if "nbgrader" in c["metadata"]}


def source(cell: dict) -> str:
    return "".join(cell["source"])


def auto_points(notebook: dict) -> float:
    return sum(
        c["metadata"]["nbgrader"]["points"]
        for c in notebook["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade") and c["cell_type"] == "code"
    )


def source_notebooks(name: str) -> list[Path]:
    return sorted((coursework.SOURCE / name).glob("*.ipynb"))


def test_every_assignment_has_a_source_and_a_student_copy():
    names = coursework.assignments()
    assert names == sorted(WRONG), "every assignment has its typical wrong answers here"
    for name in names:
        for notebook in source_notebooks(name):
            assert notebook.resolve().parent == ROOT / "notebooks", f"{notebook} must link to a teaching notebook"
            assert (coursework.RELEASE / name / notebook.name).is_file(), "run: python tools/coursework.py"


def test_student_copies_are_current():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "coursework.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", coursework.assignments())
def test_student_copies_hold_no_solution_and_no_hidden_test(name):
    for notebook in source_notebooks(name):
        teaching = json.loads(notebook.read_text())
        student = (coursework.RELEASE / name / notebook.name).read_text()
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "MARK SCHEME"):
            assert marker not in student
        hidden = solutions = 0
        for cell in teaching["cells"]:
            text = source(cell)
            for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", text, re.S):
                solutions += 1
                for line in region.splitlines():
                    if len(line.strip()) > 12:  # a line of real code, not "return grad"
                        assert json.dumps(line.strip())[1:-1] not in student, f"solution line in the copy: {line}"
            for region in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", text, re.S):
                hidden += 1
                for line in region.strip().splitlines():
                    assert json.dumps(line.strip())[1:-1] not in student, f"hidden test in the copy: {line}"
            if cell["cell_type"] == "markdown" and cell["metadata"].get("nbgrader", {}).get("solution"):
                solutions += 1
                assert json.dumps(text.strip().splitlines()[0])[1:-1] not in student, "a model answer in the copy"
        assert solutions >= 6 and hidden >= 6, "an assignment has six or more graded parts"


END_TO_END = "01_gradients"  # the one assignment autograded by the real nbgrader here (about 3 s a notebook)


def submissions(name: str, notebook: Path) -> dict[str, dict]:
    """The solutions, the untouched student copy and each typical wrong answer, as notebooks."""
    teaching = json.loads(notebook.read_text())
    made = {"solutions": teaching, "untouched": json.loads((coursework.RELEASE / name / notebook.name).read_text())}
    for number, (_, cell_id, old, new, _, _) in enumerate(WRONG[name]):
        wrong = json.loads(json.dumps(teaching))
        cell = cells_by_id(wrong)[cell_id]
        assert old in source(cell), f"{cell_id}: the wrong answer no longer applies"
        cell["source"] = source(cell).replace(old, new)
        made[f"wrong{number}"] = wrong
    return made


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Autograde assignment 01's solutions, untouched copy and typical wrong answers; generate feedback."""
    from nbgrader.api import Gradebook

    course = tmp_path_factory.mktemp("course")
    coursework.course_copy(course)
    name = END_TO_END
    coursework.nbgrader(["generate_assignment", name, "--force"], course)
    students = []
    for notebook in source_notebooks(name):
        for student, content in submissions(name, notebook).items():
            target = course / "coursework" / "submitted" / student / name / notebook.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(content))
            students.append(student)
    coursework.nbgrader(["autograde", name, "--force"], course)
    coursework.nbgrader(["generate_feedback", name, "--force"], course)
    scores = {}
    with Gradebook(f"sqlite:///{course}/coursework/gradebook.db") as gradebook:
        for student in students:
            submission = gradebook.find_submission(name, student)
            scores[student] = (submission.code_score, submission.max_code_score)
    yield course, scores
    shutil.rmtree(course, ignore_errors=True)


@pytest.fixture(scope="module")
def in_process():
    """Every assignment's submissions graded in this process by the teaching notebook's tests (tools/regrade.py)."""
    verdicts, cache = {}, {}
    for name in coursework.assignments():
        for notebook in source_notebooks(name):
            teaching = json.loads(notebook.read_text())
            for student, content in submissions(name, notebook).items():
                verdicts[name, student] = regrade.grade(teaching, content, cache)
    return verdicts


def total(verdict: dict) -> tuple[float, float]:
    return sum(v[0] for v in verdict.values()), sum(v[1] for v in verdict.values())


def test_the_real_autograde_gives_full_marks_none_and_feedback(graded):
    course, scores = graded
    name = END_TO_END
    points = auto_points(json.loads(source_notebooks(name)[0].read_text()))
    assert scores["solutions"] == (points, points)
    assert scores["untouched"] == (0, points)
    for student in scores:
        assert list((course / "coursework" / "feedback" / student / name).glob("*.html")), f"no feedback for {student}"


@pytest.mark.parametrize("number", range(len(WRONG[END_TO_END])))
def test_the_real_autograde_names_a_typical_wrong_answer(graded, in_process, number):
    course, scores = graded
    name = END_TO_END
    mistake, _, _, _, check_id, words = WRONG[name][number]
    score, points = scores[f"wrong{number}"]
    assert 0 < score < points, f"{mistake}: {score} of {points}"
    assert score == total(in_process[name, f"wrong{number}"])[0], "the in-process grader agrees with nbgrader"
    for notebook in source_notebooks(name):
        graded_copy = json.loads(
            (course / "coursework" / "autograded" / f"wrong{number}" / name / notebook.name).read_text()
        )
        outputs = json.dumps(cells_by_id(graded_copy)[check_id]["outputs"])
        for word in words:
            assert word in outputs, f"{mistake}: {word!r} not in the check's message {outputs[:400]}"


@pytest.mark.parametrize("name", coursework.assignments())
def test_solutions_get_full_marks_and_untouched_copies_none(in_process, name):
    points = auto_points(json.loads(source_notebooks(name)[0].read_text()))
    failed = {k: v[2] for k, v in in_process[name, "solutions"].items() if v[0] < v[1]}
    assert total(in_process[name, "solutions"]) == (points, points), failed
    assert total(in_process[name, "untouched"]) == (0, points)


@pytest.mark.parametrize(
    ("name", "number"), [(name, number) for name in coursework.assignments() for number in range(len(WRONG[name]))]
)
def test_a_typical_wrong_answer_loses_its_part_only_and_is_named(in_process, name, number):
    mistake, _, _, _, check_id, words = WRONG[name][number]
    verdict = in_process[name, f"wrong{number}"]
    lost = sorted(gid for gid, (score, points, _) in verdict.items() if score < points)
    assert lost == [check_id], f"{mistake}: lost {lost}, expected only {check_id} (no cascade)"
    message = verdict[check_id][2]
    for word in words:
        assert word in message, f"{mistake}: {word!r} not in the check's message {message[:400]}"
