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
import review  # noqa: E402

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
        (
            "answer renamed: its test stops at a NameError, outside any check",
            "l1_penalty",
            "def l1_penalty(",
            "def l1_penalty_term(",
            "check_l1_penalty",
            ["name 'l1_penalty' is not defined"],
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


def documented_commands() -> str:
    """The instructor workflow's command block in coursework/README.md, exactly as written there."""
    readme = (ROOT / "coursework" / "README.md").read_text()
    block = re.search(r"## For instructors.*?```\n(.*?)```", readme, re.S)
    assert block, "coursework/README.md: the instructor workflow's command block is missing"
    return block.group(1)


def test_the_documented_workflow_runs_verbatim_and_leaves_the_student_copies(tmp_path):
    """In a copy of the repository: the README's commands, as written; the student copies come out unchanged
    (so they are current), the hand-out holds student copies only, and the class is graded and reported."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tmp_path / name, follow_symlinks=False)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    commands = documented_commands()
    result = subprocess.run(["bash", "-ec", commands], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, f"{commands}\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
    for committed in sorted(coursework.RELEASE.rglob("*.ipynb")):
        again = tmp_path / committed.relative_to(ROOT)
        assert again.read_text() == committed.read_text(), f"stale: run python tools/coursework.py ({committed.name})"
    handed = sorted(p.relative_to(tmp_path / "handout") for p in (tmp_path / "handout").rglob("*") if p.is_file())
    assert {p.suffix for p in handed} == {".ipynb", ".md"} and all(p.parts[0] != "notebooks" for p in handed)
    for notebook in (tmp_path / "handout").rglob("*.ipynb"):
        assert "notebooks/" not in notebook.read_text(), f"{notebook.name} links to the teaching notebooks"
    report = (tmp_path / "coursework" / "autograded" / ".report" / "01_gradients.md").read_text()
    assert "student1" in report and "0 of 12" in report and "FAILED" not in report, report
    from nbgrader.api import Gradebook

    points = auto_points(json.loads(source_notebooks("01_gradients")[0].read_text()))
    with Gradebook(f"sqlite:///{tmp_path}/coursework/gradebook.db") as gradebook:
        untouched = gradebook.find_submission("01_gradients", "student1")
        assert (untouched.code_score, untouched.max_code_score) == (0, points), "an untouched copy scores nothing"
    assert list((tmp_path / "coursework" / "feedback" / "student1" / "01_gradients").glob("*.html"))


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


def with_mistakes(name: str, notebook: Path, numbers) -> dict:
    """The teaching notebook (the solutions) with the typical wrong answers ``numbers`` of ``name`` written in."""
    wrong = json.loads(notebook.read_text())
    for number in numbers:
        _, cell_id, old, new, _, _ = WRONG[name][number]
        cell = cells_by_id(wrong)[cell_id]
        assert old in source(cell), f"{cell_id}: the wrong answer no longer applies"
        cell["source"] = source(cell).replace(old, new)
    return wrong


def submissions(name: str, notebook: Path) -> dict[str, dict]:
    """The solutions, the untouched student copy and each typical wrong answer, as notebooks."""
    made = {
        "solutions": json.loads(notebook.read_text()),
        "untouched": json.loads((coursework.RELEASE / name / notebook.name).read_text()),
    }
    for number in range(len(WRONG[name])):
        made[f"wrong{number}"] = with_mistakes(name, notebook, [number])
    return made


FORGIVE_EVERY_CELL = """
import ast


class Forgive(ast.NodeTransformer):
    def visit_Module(self, node):
        handler = ast.ExceptHandler(type=None, name=None, body=[ast.Pass()])
        body = [ast.Try(body=node.body or [ast.Pass()], handlers=[handler], orelse=[], finalbody=[])]
        return ast.fix_missing_locations(ast.Module(body=body, type_ignores=[]))


get_ipython().ast_transformers.append(Forgive())
"""
TAMPERING = {  # student -> (answer cell it is written into, code put after that answer, the parts it games)
    "tamper_checks": (
        "logistic_loss_vectorised",
        "import os\nif os.environ.get('NBGRADER_EXECUTION') == 'autograde':\n"
        "    checks.check_logistic_loss = lambda *a, **k: 'logistic loss: passes'\n",
        ["check_logistic_loss_vectorised"],
    ),
    "tamper_ipython": ("logistic_loss_loop", FORGIVE_EVERY_CELL, None),  # every part
}


def tampered(name: str, notebook: Path) -> dict[str, dict]:
    """The untouched student copy with one kind of tampering written into an answer cell."""
    made = {}
    for student, (cell_id, code, _) in TAMPERING.items():
        copy = json.loads((coursework.RELEASE / name / notebook.name).read_text())
        cell = cells_by_id(copy)[cell_id]
        cell["source"] = source(cell) + "\n" + code
        made[student] = copy
    return made


#: a solution whose L2 penalty never returns and ignores the timeout's interrupt: nbgrader's autograde of it fails
#: (it sleeps rather than spins: the limits are on wall time, and a spinning loop would take a core from the suite)
HANGS = (
    "def l2_penalty(w, lam):\n    import signal, time\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "    while True:\n        try:\n            time.sleep(0.5)\n        except BaseException:\n            pass\n"
)


#: four of 01's typical wrong answers, each in a part of its own, written into one submission for the real nbgrader
#: (every wrong answer, one at a time, is graded in this process below); the renamed one stops its test cell with
#: a traceback, whose feedback must not show the hidden tests IPython quotes
REAL_WRONG = (0, 1, 2, 4)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Assignment 01's solutions, a submission with four typical wrong answers (REAL_WRONG), the tampered copies and
    a solution that hangs, through the real nbgrader: tools/class_grading.py (autograde on every core, regrade,
    report), then feedback. Cells get 15 s (the slowest takes about 1 s idle; with 8 s, one loaded run lost a
    kernel's `checks`) so that the hanging one costs seconds, not minutes. (The untouched student copy goes
    through the real nbgrader in the documented workflow's test.)"""
    from nbgrader.api import Gradebook

    course = tmp_path_factory.mktemp("course")
    coursework.course_copy(course)
    name = END_TO_END
    coursework.nbgrader(["generate_assignment", name, "--force"], course)
    students = []
    for notebook in source_notebooks(name):
        hangs = json.loads(notebook.read_text())
        cells_by_id(hangs)["l2_penalty"]["source"] = HANGS
        made = {
            "solutions": json.loads(notebook.read_text()),
            "wrong": with_mistakes(name, notebook, REAL_WRONG),
            **tampered(name, notebook),
            "hangs": hangs,
        }
        for student, content in made.items():
            target = course / "coursework" / "submitted" / student / name / notebook.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(content))
            students.append(student)
    grading = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "class_grading.py"), name, "--course", str(course)]
        + ["--cell-seconds=15"],
        capture_output=True,
        text=True,
    )
    assert grading.returncode == 0, grading.stdout + grading.stderr
    coursework.nbgrader(["generate_feedback", name, "--force"], course)
    scores = {}
    with Gradebook(f"sqlite:///{course}/coursework/gradebook.db") as gradebook:
        for student in students:
            submission = gradebook.find_submission(name, student)
            scores[student] = (submission.code_score, submission.max_code_score)
    yield course, scores
    shutil.rmtree(course, ignore_errors=True)


def test_tampering_in_the_kernel_gains_nothing_and_is_reported(graded):
    course, scores = graded
    report = (course / "coursework" / "autograded" / ".report" / f"{END_TO_END}.md").read_text()
    for student in TAMPERING:
        assert scores[student][0] == 0, f"{student}: {scores[student]}"
        section = report.split(f"## {student}")[1].split("## ")[0]
        assert "the kernel gave more than the regrade" in section, section
    assert "reads the environment" in report and "hooks into IPython" in report
    solutions = report.split("## solutions")[1].split("## ")[0]
    assert "identical to the published solution" in solutions


def test_feedback_shows_no_hidden_test(graded):
    from digitlab.checks.grading import HIDDEN_TESTS, KEYWORD, names

    course, _ = graded
    teaching = json.loads(source_notebooks(END_TO_END)[0].read_text())
    hidden = [
        line.strip()
        for cell in teaching["cells"]
        for region in HIDDEN_TESTS.findall(source(cell))
        for line in region.strip().splitlines()
    ]
    visible = "".join(  # what the teaching notebook shows besides its hidden tests and their results
        HIDDEN_TESTS.sub("", source(cell))
        + json.dumps([o for o in cell.get("outputs", []) if not HIDDEN_TESTS.search(source(cell)) or "text" in o])
        for cell in teaching["cells"]
    )
    keywords = {k for line in hidden for k in KEYWORD.findall(line) if not names(visible, k)}
    assert len(keywords) > 10, keywords  # seed=11, n=23, ...
    pages = list((course / "coursework" / "feedback").rglob("*.html"))
    assert len(pages) == 4, pages  # the solutions, the wrong answers and the two tampered copies
    for page in pages:
        text = page.read_text()
        assert "BEGIN HIDDEN TESTS" not in text
        for line in hidden:
            assert line.split("(", 1)[1][:25] not in text, f"{page}: {line}"
        shown = [keyword for keyword in keywords if names(text, keyword)]
        assert not shown, f"{page}: a hidden call's arguments {shown}"


HIDDEN_CELL = """def check(f, seed=0):
    return f(seed)
def bad(seed):
    raise ValueError("the answer failed")
print(check(abs))
### BEGIN HIDDEN TESTS
check(bad,
      seed=11)
### END HIDDEN TESTS
"""


@pytest.mark.parametrize("mode", ["Context", "Plain", "Verbose", "Minimal"])
def test_a_traceback_in_the_feedback_keeps_the_error_and_loses_the_hidden_tests(mode):
    """What IPython's traceback of a test cell stopped by an error quotes in each traceback mode a student may set,
    and what the feedback keeps of it."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from digitlab.checks.grading import ANSI, hidden_tests, without_hidden_tests

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell(config=config)
    shell.run_line_magic("xmode", mode)
    frames = []
    shell._showtraceback = lambda kind, value, structured: frames.extend(structured)  # as ipykernel takes it
    shell.run_cell(HIDDEN_CELL)
    quoted = ANSI.sub("", "\n".join(frames))
    assert "ValueError: the answer failed" in quoted
    shown = ANSI.sub("", "\n".join(without_hidden_tests(frames, hidden_tests([HIDDEN_CELL]))))
    assert "seed=11" not in shown and "check(bad" not in shown and "HIDDEN TESTS" not in shown, shown
    assert "ValueError: the answer failed" in shown, shown
    if mode != "Minimal":
        assert "check(bad" in quoted, quoted  # IPython quotes the hidden call: the feedback must not
        assert "not shown" in shown


def test_the_feedback_shows_no_result_or_printed_line_of_a_hidden_test_in_any_cell():
    from nbformat.v4 import new_output

    from digitlab.checks.grading import feedback_outputs, hidden_tests

    hidden = hidden_tests([HIDDEN_CELL])
    outputs = [
        new_output("stream", name="stdout", text="a visible check: passes\n"),
        new_output("execute_result", data={"text/plain": "'a hidden check: passes (seed=11)'"}, execution_count=3),
    ]
    assert [o["output_type"] for o in feedback_outputs(outputs, True, hidden)] == ["stream"]
    assert len(feedback_outputs(outputs, False, hidden)) == 2  # an ordinary cell's result stays
    # a later cell showing the test's traceback again (%tb), or Python printing it to stderr
    later = [new_output("stream", name="stderr", text='  File "<cell>", line 8\n    check(bad,\nValueError: no\n')]
    assert feedback_outputs(later, False, hidden)[0]["text"] == '  File "<cell>", line 8\nValueError: no\n'


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


def test_the_real_autograde_gives_full_marks_and_feedback(graded):
    course, scores = graded
    name = END_TO_END
    points = auto_points(json.loads(source_notebooks(name)[0].read_text()))
    assert scores["solutions"] == (points, points)
    assert sorted(scores) == sorted(["solutions", "wrong", "hangs", *TAMPERING])
    for student in set(scores) - {"hangs"}:  # an autograde that failed has no feedback; the report says so
        assert list((course / "coursework" / "feedback" / student / name).glob("*.html")), f"no feedback for {student}"


def test_the_real_autograde_names_each_typical_wrong_answer_and_agrees_with_the_regrade(graded):
    course, scores = graded
    name = END_TO_END
    for notebook in source_notebooks(name):
        verdict = regrade.grade(json.loads(notebook.read_text()), with_mistakes(name, notebook, REAL_WRONG))
        lost = sorted(gid for gid, (score, points, _) in verdict.items() if score < points)
        assert lost == sorted(WRONG[name][number][4] for number in REAL_WRONG), f"lost {lost}"
        score, points = scores["wrong"]
        assert 0 < score < points and score == total(verdict)[0], f"nbgrader {score}, regrade {total(verdict)[0]}"
        graded_copy = json.loads((course / "coursework" / "autograded" / "wrong" / name / notebook.name).read_text())
        failing = [
            cell["metadata"]["nbgrader"]["grade_id"]
            for cell in graded_copy["cells"]
            if any(output["output_type"] == "error" for output in cell.get("outputs", []))
        ]
        assert sorted(failing) == sorted(lost), f"in nbgrader's kernel, failing: {failing}"
        for number in REAL_WRONG:
            mistake, _, _, _, check_id, words = WRONG[name][number]
            outputs = json.dumps(cells_by_id(graded_copy)[check_id]["outputs"])
            for word in words:
                assert word in outputs, f"{mistake}: {word!r} not in the check's message {outputs[:400]}"
    report = (course / "coursework" / "autograded" / ".report" / f"{name}.md").read_text()
    assert "the kernel gave more" not in report.split("## wrong")[1].split("## ")[0], "the kernel and regrade agree"


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


def test_the_regrade_runs_no_code_outside_the_answers_and_fails_a_patch_made_while_graded():
    name = END_TO_END
    notebook = source_notebooks(name)[0]
    teaching = json.loads(notebook.read_text())
    for student, copy in tampered(name, notebook).items():
        assert total(regrade.grade(teaching, copy))[0] == 0, student
    copy = json.loads(json.dumps(teaching))
    cell = cells_by_id(copy)["l2_penalty"]
    cell["source"] = "def l2_penalty(w, lam):\n    np.allclose = lambda *a, **k: True\n    return 0.0, w\n"
    verdict = regrade.grade(teaching, copy)
    assert verdict["check_l2_penalty"][0] == 0 and "tampering" in verdict["check_l2_penalty"][2]
    assert total(verdict) == (auto_points(teaching) - 1, auto_points(teaching)), "the other parts keep their points"
    import numpy as np

    assert not np.allclose(1.0, 2.0), "the patched NumPy was put back"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (  # ignores Ctrl-C and swallows every exception: only killing its process ends it
            "    import signal\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    while True:\n"
            "        try:\n            pass\n        except BaseException:\n            pass\n",
            "timed out: the cell ran over 2 s",
        ),
        ("    import os\n    os._exit(0)\n", "the answers ended the grading of this cell"),
        ("    return np.ones(2**30)\n", "MemoryError"),  # 8 GiB: over the 3 GiB cap, within the machine
    ],
    ids=["never-stops", "exits", "eats-memory"],
)
def test_an_answer_that_never_stops_exits_or_eats_memory_fails_its_own_part_and_the_grading_goes_on(body, words):
    name = END_TO_END
    teaching = json.loads(source_notebooks(name)[0].read_text())
    copy = json.loads(json.dumps(teaching))
    cells_by_id(copy)["l2_penalty"]["source"] = "def l2_penalty(w, lam):\n" + body
    verdict = regrade.grade(teaching, copy, seconds=2)
    assert verdict["check_l2_penalty"][0] == 0 and words in verdict["check_l2_penalty"][2], verdict["check_l2_penalty"]
    assert total(verdict) == (auto_points(teaching) - 1, auto_points(teaching)), "the other parts keep their points"


@pytest.mark.parametrize(
    ("code", "finding"),
    [
        ("    checks.check_l2_penalty = print\n    return 0.0, w\n", "rebinds digitlab's checks"),
        ("    np.allclose = lambda *a: True\n    return 0.0, w\n", "rebinds part of NumPy"),
        ("    get_ipython().ast_transformers.append(None)\n    return 0.0, w\n", "hooks into IPython"),
        ("    import os\n    if os.environ.get('NBGRADER'):\n        return 0.0, w\n", "reads the environment"),
        ("    text = open(dl.__file__).read()\n    return 0.0, w\n", "reads files"),
        ("    return 0.0 * splits.test.X.sum(), w\n", "reads the notebook's test or hold-out images"),
        ("    return 0.0 * splits.holdout.X.sum(), w\n", "reads the notebook's test or hold-out images"),
        ("    import sys\n    sys._getframe(1).f_locals.clear()\n    return 0.0, w\n", "inspects or traces"),
        ("    from inspect import currentframe\n    return 0.0 * len(currentframe().f_back.f_locals), w\n", "inspects"),
        ("    f = dl.l2_penalty\n    return f.__code__.replace(co_name='mine'), w\n", "reaches into code objects"),
        ("    return 0.0 * dl.seed_splits().holdout.X.sum(), w\n", "loads MNIST itself"),
        ("    print(Out)\n    return 0.0, w\n", "reads the kernel's history"),
        ("    import sys\n    print(sys.last_value)\n    return 0.0, w\n", "reads the kernel's history"),
        (
            "    from digitlab.checks import feedback\n    feedback._PRECISION['eps'] = 1\n    return 0.0, w\n",
            "private",
        ),
    ],
)
def test_the_review_names_what_an_answer_reaches_for(code, finding):
    teaching = json.loads(source_notebooks(END_TO_END)[0].read_text())
    copy = json.loads(json.dumps(teaching))
    cells_by_id(copy)["l2_penalty"]["source"] = "def l2_penalty(w, lam):\n" + code
    found = [item for item in review.findings(teaching, copy) if item.startswith("l2_penalty:")]
    assert any(finding in item for item in found), found


@pytest.mark.parametrize("name", coursework.assignments())
def test_the_review_finds_nothing_in_the_solutions_but_their_being_the_solutions(name):
    for notebook in source_notebooks(name):
        teaching = json.loads(notebook.read_text())
        assert not [item for item in review.findings(teaching, teaching) if "identical" not in item]


def test_autograding_runs_the_grading_context_not_the_lecture(graded):
    from digitlab.checks import grading

    course, _ = graded
    for notebook in source_notebooks(END_TO_END):
        teaching = json.loads(notebook.read_text())
        done = json.loads((course / "coursework" / "autograded" / "solutions" / END_TO_END / notebook.name).read_text())
        kept = [source(c).splitlines() for c in done["cells"] if grading.is_ordinary(c)]
        assert kept and all(lines[0] == grading.NOT_RUN_WHEN_GRADING for lines in kept)
        assert [line for lines in kept for line in lines[1:]] == regrade.context_lines(teaching)


def test_a_submission_that_aborts_its_autograde_keeps_the_points_of_its_other_parts(graded):
    course, scores = graded
    points = auto_points(json.loads(source_notebooks(END_TO_END)[0].read_text()))
    assert scores["hangs"] == (points - 1, points), "every part but the L2 penalty, graded by the regrade"
    report = (course / "coursework" / "autograded" / ".report" / f"{END_TO_END}.md").read_text()
    section = report.split("## hangs")[1].split("## ")[0]
    assert "autograde FAILED (not a 0)" in section and f"{points - 1:g} of {points:g}" in section, section


def test_an_answer_reading_a_name_the_grading_does_not_have_is_told_so():
    teaching = json.loads(source_notebooks(END_TO_END)[0].read_text())
    copy = json.loads(json.dumps(teaching))
    cells_by_id(copy)["l2_penalty"]["source"] = "def l2_penalty(w, lam):\n    return lam * scale, w\n"
    verdict = regrade.grade(teaching, copy)["check_l2_penalty"]
    assert verdict[0] == 0 and "not there when graded" in verdict[2] and "'scale'" in verdict[2], verdict


@pytest.mark.parametrize(
    "code",
    [  # code that runs when the answer is defined, not when it is called
        "import digitlab.checks as c\n"
        "def l2_penalty(w, lam, _=setattr(c, 'check_penalty', lambda *a, **k: 'passes')):\n"
        "    raise NotImplementedError\n",
        "import digitlab.checks as c\ndef quiet(f):\n    c.check_penalty = lambda *a, **k: 'passes'\n    return f\n"
        "@quiet\ndef l2_penalty(w, lam):\n    raise NotImplementedError\n",
        "import numpy\nclass L2:\n    numpy.allclose = lambda *a, **k: True\n"
        "def l2_penalty(w, lam):\n    return 0.0, w\n",
    ],
    ids=["default-value", "decorator", "class-body"],
)
def test_an_answer_that_patches_the_grader_when_defined_scores_nothing_there_and_harms_no_other_part(code):
    teaching = json.loads(source_notebooks(END_TO_END)[0].read_text())
    copy = json.loads(json.dumps(teaching))
    cells_by_id(copy)["l2_penalty"]["source"] = code
    verdict = regrade.grade(teaching, copy)
    assert verdict["check_l2_penalty"][0] == 0 and "when it was defined" in verdict["check_l2_penalty"][2], verdict
    assert total(verdict) == (auto_points(teaching) - 1, auto_points(teaching)), "the other parts keep their points"


RENAMED = {  # a right answer in another form, around the published one renamed _mine
    "a lambda": "\nl2_penalty = lambda w, lam: _mine(w, lam)\n",
    "functools.partial": "\nimport functools\nl2_penalty = functools.partial(_mine)\n",
    "an instance with __call__": "\nclass _L2:\n    def __call__(self, w, lam):\n        return _mine(w, lam)\n\n"
    "l2_penalty = _L2()\n",
    "a module-level cache": "\n_CALLS = {}\ndef l2_penalty(w, lam):\n    _CALLS[len(_CALLS)] = lam\n"
    "    return _mine(w, lam)\n",
    "a try/except import": "\ntry:\n    from math import fsum as _sum\nexcept ImportError:\n    _sum = sum\n"
    "def l2_penalty(w, lam):\n    return _mine(w, lam)\n",
    "after a line that fails when graded": "\n_shown = demonstration_result\ndef l2_penalty(w, lam):\n"
    "    return _mine(w, lam)\n",
}


@pytest.mark.parametrize("form", sorted(RENAMED))
def test_a_right_answer_defined_by_assignment_or_inside_a_block_gets_its_points(form):
    teaching = json.loads(source_notebooks(END_TO_END)[0].read_text())
    copy = json.loads(json.dumps(teaching))
    cell = cells_by_id(copy)["l2_penalty"]
    cell["source"] = source(cell).replace("def l2_penalty(", "def _mine(") + RENAMED[form]
    verdict = regrade.grade(teaching, copy)
    assert total(verdict) == (auto_points(teaching), auto_points(teaching)), verdict["check_l2_penalty"]


def test_an_answer_that_exits_when_defined_loses_its_part_and_a_regrade_that_dies_is_reported(tmp_path):
    import class_grading

    name, notebook = END_TO_END, source_notebooks(END_TO_END)[0]
    teaching = json.loads(notebook.read_text())
    exits, dies = (json.loads(json.dumps(teaching)) for _ in range(2))
    cells_by_id(exits)["l2_penalty"]["source"] = "def l2_penalty(w, lam, _=exit(0)):\n    return 0.0, w\n"
    cells_by_id(dies)["l2_penalty"]["source"] = "import os\ndef l2_penalty(w, lam, _=os._exit(0)):\n    return 0.0, w\n"
    assert total(regrade.grade(teaching, exits)) == (auto_points(teaching) - 1, auto_points(teaching))
    (tmp_path / "coursework" / "source" / name).mkdir(parents=True)
    shutil.copy(notebook, tmp_path / "coursework" / "source" / name / notebook.name)
    submitted = tmp_path / "coursework" / "submitted" / "dies" / name / notebook.name
    submitted.parent.mkdir(parents=True)
    submitted.write_text(json.dumps(dies))
    student, verdicts, error = class_grading.regrade_one(tmp_path, name, "dies", 10)
    assert verdicts is None and "no verdicts" in error, error
