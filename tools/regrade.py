"""Grade a submission's answers outside its kernel: the checks are loaded before any of the student's code runs.

    python tools/regrade.py TEACHING.ipynb SUBMISSION.ipynb [--seconds S]  # prints {grade_id: [score, max, message]}

The grader takes from the submission only what the student wrote in the solution cells, and of that only the
definitions (``def``, ``class``, imports): top-level statements (a patched ``checks``, ``np.allclose``, an
IPython hook, ...) never run. A test cell during which the answers change digitlab's modules, NumPy's or the
builtins fails as tampering. What stays open: an answer can still run any code when it is called (read files,
inspect the checks' frames); ``tools/review.py`` lists such code for a human.

The grader then builds the notebook's context from the teaching notebook (its imports, the data, the
``checks.working`` lines that let a later part run on digitlab's reference) and runs every graded test cell of the
teaching notebook, hidden tests included, in that namespace. A cell that raises scores 0 with its message, one
that passes its points. Each test cell runs in a child process with nbgrader's limits (120 s, 3 GiB): an answer
that never stops or exits fails that cell, not the submission. ``tools/class_grading.py`` runs this in a fresh
process per submission and writes the result into nbgrader's gradebook.

``grade(..., cache=)`` reuses a test cell's verdict when the solution cells it reaches (by the names its code
uses, followed through the definitions, and through a ``checks.working`` line only when that line kept the
student's function) are the same text: the tests grade many variants of one answer.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import hashlib
import io
import json
import os
import select
import signal
import sys
import time
import warnings
from pathlib import Path

from digitlab.checks.grading import CELL_BYTES, CELL_SECONDS, cap_memory, context_of, is_ordinary

KEPT = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def nbgrader_cells(notebook: dict) -> list[dict]:
    """The cells carrying nbgrader metadata, in order."""
    return [c for c in notebook["cells"] if "nbgrader" in c.get("metadata", {})]


def text(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def grade_id(cell: dict) -> str:
    return cell["metadata"]["nbgrader"]["grade_id"]


def is_test(cell: dict) -> bool:
    meta = cell["metadata"]["nbgrader"]
    return cell["cell_type"] == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_answer(cell: dict) -> bool:
    return cell["cell_type"] == "code" and bool(cell["metadata"]["nbgrader"].get("solution"))


def context_lines(teaching: dict) -> list[str]:
    """The imports, data and ``checks.working`` lines of the teaching notebook's ordinary code cells."""
    return [line for cell in teaching["cells"] if is_ordinary(cell) for line in context_of(text(cell))]


def definitions(source: str) -> tuple[str, set[str], set[str]]:
    """What of a cell defines names (``kept``), the names it defines and the names its code reads."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return f"raise SyntaxError({str(error)!r})", set(), set()
    module = ast.Module(body=[node for node in tree.body if kept(node)], type_ignores=[])
    return ast.unparse(module), _defined(module.body), names_read(module)


def kept(node: ast.stmt) -> bool:
    """A statement that defines names: a ``def``, a ``class``, an import, an assignment to plain names (a lambda,
    a ``partial``, a cache, settings), or an ``if`` / ``try`` made of those. Calls, prints and assignments to an
    attribute or an item (a patched module) are left out."""
    if isinstance(node, (*KEPT, ast.Pass)):
        return True
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Constant)  # a docstring or a bare constant
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return all(_plain(target) for target in targets)
    if isinstance(node, (ast.If, ast.Try)):
        return all(kept(inner) for inner in _inner(node))
    return False


def _plain(target: ast.expr) -> bool:
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_plain(t) for t in target.elts)
    return isinstance(target, ast.Name) or (isinstance(target, ast.Starred) and _plain(target.value))


def _inner(node: ast.stmt) -> list[ast.stmt]:
    """The statements directly inside an ``if`` or a ``try``."""
    handlers = [stmt for handler in getattr(node, "handlers", []) for stmt in handler.body]
    return [*node.body, *node.orelse, *getattr(node, "finalbody", []), *handlers]


def _defined(statements: list[ast.stmt]) -> set[str]:
    """The names kept statements bind (looking inside ``if`` and ``try``, not inside functions)."""
    names = set()
    for node in statements:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.If, ast.Try)):
            names |= _defined(_inner(node))
    return names


def names_read(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def answers(teaching: dict, submission: dict) -> dict[str, str]:
    """``grade_id -> source`` of the submission's solution cells (the teaching notebook's list of them)."""
    written = {grade_id(c): text(c) for c in nbgrader_cells(submission)}
    return {grade_id(c): written.get(grade_id(c), "") for c in nbgrader_cells(teaching) if is_answer(c)}


def grade(teaching: dict, submission: dict, cache: dict | None = None, seconds: float | None = None) -> dict[str, list]:
    """``{test grade_id: [score, max score, message]}`` for ``submission`` graded by ``teaching``'s tests, each
    test cell within ``seconds`` (``CELL_SECONDS`` unless given)."""
    kept = {gid: definitions(source) for gid, source in answers(teaching, submission).items()}
    context = context_lines(teaching)
    uses = {}  # name -> (answer cells defining it, names its definition reads)
    for gid, (_, defined, read) in kept.items():
        for name in defined:
            uses[name] = ({gid}, read)
    namespace, tampered = _namespace(kept, context, seconds or CELL_SECONDS)
    for line in context:  # a later part on the student's earlier answer reaches it; on the reference, nothing
        if "checks.working" in line:
            name, call = line.split("=", 1)[0].strip(), ast.parse(line).body[0].value
            student = call.args[0].id
            on_student = name in namespace and namespace[name] is namespace.get(student)
            uses[name] = (set(), {student} if on_student else set())
    verdicts = {}
    for cell in nbgrader_cells(teaching):
        if not is_test(cell):
            continue
        points = float(cell["metadata"]["nbgrader"]["points"])
        reached = sorted(_reach(names_read(ast.parse(text(cell))), uses))
        if any(gid in tampered for gid in reached):
            gid = next(gid for gid in reached if gid in tampered)
            message = f"tampering: the answer {gid} changed {tampered[gid]} when it was defined or first checked"
            verdicts[grade_id(cell)] = [0.0, points, message]
            continue
        key = hashlib.sha256(json.dumps([text(cell), [kept[g][0] for g in reached], context]).encode()).hexdigest()
        if cache is not None and key in cache:
            verdicts[grade_id(cell)] = [cache[key][0] * points, points, cache[key][1]]
            continue
        passed, message = _run(text(cell), namespace, seconds or CELL_SECONDS)
        verdicts[grade_id(cell)] = [points if passed else 0.0, points, message]
        if cache is not None:
            cache[key] = (1.0 if passed else 0.0, message)
    return verdicts


def _reach(names: set[str], uses: dict) -> set[str]:
    """The answer cells that ``names`` reach through the definitions that use one another."""
    cells, todo, seen = set(), list(names), set()
    while todo:
        name = todo.pop()
        if name in seen or name not in uses:
            continue
        seen.add(name)
        cells |= uses[name][0]
        todo += list(uses[name][1])
    return cells


_SETUP: dict[str, dict] = {}  # the context's imports and data, by their text: loaded once per process


def _namespace(kept: dict, context: list[str], seconds: float) -> tuple[dict, dict[str, str]]:
    """The notebook's context with the student's definitions: checks first, then the answers, then the wiring;
    and ``{answer grade_id: what it changed}`` for the answers that changed a guarded module while defined or
    wired (a decorator, a default value, a check the wiring called): the change is undone at once. Each
    answer's statements, and each wiring line, get ``seconds``; one that fails or runs over is skipped."""
    setup = "\n".join(line for line in context if "checks.working" not in line)
    if setup not in _SETUP:
        _SETUP[setup] = {"__name__": "__main__"}
        exec(compile(setup, "<context>", "exec"), _SETUP[setup])  # noqa: S102 - the teaching notebook's lines
    namespace, tampered = dict(_SETUP[setup]), {}
    for gid, (source, _, _) in kept.items():
        before = _guarded()
        with _time_limit(seconds):
            for node in ast.parse(source).body:
                code = compile(ast.Module(body=[node], type_ignores=[]), f"<answer {gid}>", "exec")
                with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(BaseException):
                    exec(code, namespace)  # noqa: S102 - graded, not trusted: a statement that fails is skipped
        if changed := _undo(before):
            tampered[gid] = changed
    for line in context:
        if "checks.working" in line:
            name, call = line.split("=", 1)[0].strip(), ast.parse(line).body[0].value
            before = _guarded()
            try:
                with _time_limit(seconds), contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(line, "<wiring>", "exec"), namespace)  # noqa: S102 - the teaching notebook's line
            except BaseException:  # noqa: BLE001 - the answer is missing, broken or slow: the reference stands in
                namespace[name] = eval(compile(ast.Expression(call.args[2]), "<wiring>", "eval"), namespace)  # noqa: S307
            if changed := _undo(before):
                tampered.update({gid: changed for gid, (_, defined, _) in kept.items() if call.args[0].id in defined})
    return namespace, tampered


class _Overtime(BaseException):
    """Raised in an answer's definition or wiring that ran over its time."""


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise ``_Overtime`` in this block after ``seconds``, and every second after that (where the system has
    SIGALRM and this is the main thread; elsewhere the block runs unlimited)."""
    try:
        previous = signal.signal(signal.SIGALRM, _overtime)
    except (AttributeError, ValueError):  # no SIGALRM here, or not the main thread
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _overtime(signum, frame):
    raise _Overtime


def _guarded() -> dict:
    """The modules an answer could patch to pass a check: digitlab's, NumPy's (all of them), the builtins."""
    import builtins

    mods = [m for name, m in list(sys.modules.items()) if name.split(".")[0] in ("digitlab", "numpy") and m]
    return {m.__name__: (m, dict(vars(m))) for m in [*mods, builtins]}


def _run(source: str, namespace: dict, seconds: float = CELL_SECONDS) -> tuple[bool, str]:
    """Run one test cell in a child process (a fork of this one, so it sees the namespace), under a time limit
    and a memory cap: an answer that loops, exits or eats the memory fails that cell alone and the grading goes
    on. Where the system cannot fork, the cell runs here, without the limits."""
    if not hasattr(os, "fork"):
        return _run_here(source, namespace)
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns of forking a threaded process; the child only computes
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: run the cell, send the verdict, leave without running anything of the parent's
        code = 1
        try:
            os.close(read_end)
            cap_memory(CELL_BYTES)
            verdict = json.dumps(_run_here(source, namespace)).encode()
            while verdict:
                verdict = verdict[os.write(write_end, verdict) :]
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + seconds
    with os.fdopen(read_end, "rb") as pipe:
        while (left := deadline - time.monotonic()) > 0 and select.select([pipe], [], [], left)[0]:
            chunk = os.read(pipe.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    timed_out = time.monotonic() >= deadline
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if timed_out:
        return False, f"timed out: the cell ran over {seconds:g} s (does a loop in an answer never end?)"
    try:
        passed, message = json.loads(b"".join(chunks))
    except ValueError:
        return False, f"the answers ended the grading of this cell (exit status {os.waitstatus_to_exitcode(status)})"
    return passed, message


def _run_here(source: str, namespace: dict) -> tuple[bool, str]:
    """Run one test cell in this process; (passed, what it printed or the error's message). A cell during which
    the answers changed a guarded module (``_guarded``) fails, naming the change, and the module is put back."""
    before = _guarded()
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(source, "<test>", "exec"), namespace)  # noqa: S102 - the teaching notebook's test
        passed, message = True, out.getvalue().strip()
    except BaseException as error:  # noqa: BLE001 - SystemExit and KeyboardInterrupt from answers too
        passed, message = False, f"{type(error).__name__}: {error}"
    if changed := _undo(before):
        passed, message = False, f"tampering: the answers changed {changed} while graded"
    return passed, message


def _undo(before: dict) -> str | None:
    """Put back every guarded module changed since ``before`` (``_guarded()``); the first change, or None."""
    first = None
    for name, (module, saved) in before.items():
        now = vars(module)
        changed = sorted(k for k in saved if now.get(k, now) is not saved[k])  # rebound or deleted, not added
        if changed:
            now.clear()
            now.update(saved)
            first = first or f"{name}.{changed[0]}"
    return first


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("teaching", type=Path)
    parser.add_argument("submission", type=Path)
    parser.add_argument("--seconds", type=float, default=CELL_SECONDS, help="each test cell's time limit")
    args = parser.parse_args(argv)
    import digitlab.checks  # noqa: F401 - loaded before anything the submission holds

    teaching, submission = (json.loads(p.read_text()) for p in (args.teaching, args.submission))
    print(json.dumps(grade(teaching, submission, seconds=args.seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
