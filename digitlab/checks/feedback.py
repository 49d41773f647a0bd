"""The machinery every check shares: calling the student's code, comparing, and saying what is wrong.

``CheckFailed`` (an ``AssertionError``, so a failed check fails an nbgrader test cell) carries the message.
``_call`` runs the student's function and turns "not done yet", a crash, an overflow warning, an argument
changed in place, or a call to digitlab's own implementation of the part (``forbidden``) into that message.
``_close`` scales its tolerance to the precision of the student's numbers (float32 answers are right too).
``alone`` lets a later part be graded on its own: an earlier part of the student's that fails its check is
replaced, for the call, by digitlab's reference (no cascade); ``working`` does the same in the notebook.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import warnings
from collections.abc import Callable, Iterable

import numpy as np

_PRECISION = {"eps": float(np.finfo(np.float64).eps)}  # the coarsest float precision the student answered in
EARLIER: dict[str, tuple[Callable, Callable]] = {}  # an answer's usual name -> (its check, digitlab's reference)


class CheckFailed(AssertionError):
    """A student's function does not do what the part asks; the message says what is wrong."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows: the message alone, not the checks' own frames."""
        return [f"\x1b[0;31mCheckFailed\x1b[0m: {self}"]


def _pair(part: str, result, names: str = "(loss, grad)") -> tuple:
    """The student's pair of results, else a message saying what the function must return."""
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise CheckFailed(f"{part}: the function must return two things, {names}; got {type(result).__name__}")
    return tuple(result)


def _as_array(part: str, what: str, value, shape: tuple) -> np.ndarray:
    """The student's array, of the expected shape, else a message about its shape."""
    value = np.asarray(value)
    _note_precision(value)
    if value.shape == shape:
        return value.astype(np.float64)
    if value.shape == shape[::-1] and len(shape) == 2:
        raise CheckFailed(f"{part}: {what} has shape {value.shape}, expected {shape}: it is transposed")
    raise CheckFailed(f"{part}: {what} has shape {value.shape}, expected {shape}")


def _scalar(part: str, what: str, value) -> float:
    """The student's number as a float, else a message saying it is not one number."""
    if np.size(value) != 1:
        raise CheckFailed(f"{part}: {what} must be one number; got an array of shape {np.shape(value)}")
    _note_precision(np.asarray(value))
    return float(np.asarray(value).ravel()[0])


def _close(a, b, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """``a`` close to ``b``, the tolerance widened when the student answered in float32 (``_tolerance``)."""
    rtol, atol = _tolerance(rtol, atol)
    return bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _scaled(student: np.ndarray, reference: np.ndarray, factor: float) -> bool:
    """``student == factor * reference`` (and the reference is not zero, so the test means something)."""
    return bool(np.any(np.abs(reference) > 1e-8)) and _close(student, factor * reference)


def _passes(part: str, detail: str = "") -> str:
    return f"{part}: passes" + (f" ({detail})" if detail else "")


def _problem(seed: int, n: int, d: int, k: int | None = None):
    """Random ``X (n, d)`` with the bias column of ones, labels and weights of a size that matters."""
    rng = np.random.default_rng(seed)
    X = np.hstack([np.ones((n, 1)), rng.random((n, d - 1))])
    if k is None:
        return X, rng.integers(0, 2, n), rng.normal(0, 0.5, d)
    y = rng.permutation(np.arange(n) % k)  # every class present
    return X, y, rng.normal(0, 0.5, (d, k))


def _note_precision(value) -> None:
    """Remember the coarsest floating precision the student's answer came in (float32 widens ``_close``)."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and np.issubdtype(dtype, np.floating):
        _PRECISION["eps"] = max(_PRECISION["eps"], float(np.finfo(dtype).eps))


def _tolerance(rtol: float, atol: float) -> tuple[float, float]:
    """``(rtol, atol)`` widened to about a thousand units in the last place of the student's precision."""
    eps = min(_PRECISION["eps"], float(np.finfo(np.float32).eps))  # float32 at the coarsest (not float16)
    slack = 1000 * eps if eps > np.finfo(np.float64).eps else 0.0
    return max(rtol, slack), max(atol, slack)


def _names_of(fn: Callable, count: int) -> list[str]:
    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else f"argument {i + 1}" for i in range(count)]


@contextlib.contextmanager
def _watching(part: str, forbidden: Iterable[Callable]):
    """Raise ``CheckFailed`` after the block if code outside digitlab called one of ``forbidden``."""
    codes = {f.__code__: f.__name__ for f in forbidden if hasattr(f, "__code__")}
    called = []

    def hook(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            caller = frame.f_back
            if caller is not None and not str(caller.f_globals.get("__name__", "")).startswith("digitlab"):
                called.append(codes[frame.f_code])

    previous = sys.getprofile()
    sys.setprofile(hook if codes else previous)
    try:
        yield
    finally:
        sys.setprofile(previous)
        if called:
            _shortcut(part, called[0])


def _shortcut(part: str, name: str):
    raise CheckFailed(
        f"{part}: your function calls digitlab's own {name}, the answer to this very part; this part scores 0 "
        f"until you write it yourself (earlier parts and NumPy are fine)"
    )


def refuse_own(part: str, fn: Callable, forbidden: Iterable[Callable]) -> None:
    """A ``CheckFailed`` when the answer handed in is one of digitlab's ``forbidden`` implementations itself."""
    if any(fn is f or getattr(fn, "__code__", 1) is getattr(f, "__code__", 2) for f in forbidden):
        _shortcut(part, getattr(fn, "__name__", "function"))


def _call(part: str, fn: Callable, *args, forbidden: Iterable[Callable] = (), quiet: bool = False):
    """Call the student's function; 'not done yet', crashes, warnings, changed arguments, shortcuts: a message.

    ``forbidden``: digitlab's implementations of the part; ``quiet``: NumPy warnings are ignored (the values
    are judged instead).
    """
    forbidden = tuple(forbidden)
    _PRECISION["eps"] = float(np.finfo(np.float64).eps)  # judged afresh for each answer
    refuse_own(part, fn, forbidden)
    before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else None for a in args]
    try:
        with warnings.catch_warnings(), _watching(part, forbidden):
            warnings.simplefilter("ignore" if quiet else "error", RuntimeWarning)
            result = fn(*args)
    except NotImplementedError:
        raise CheckFailed(f"{part}: not done yet (replace `raise NotImplementedError` with your code)") from None
    except CheckFailed:  # raised by a probe the check handed the student's function: its message says it all
        raise
    except RuntimeWarning as warning:
        raise CheckFailed(
            f"{part}: NumPy warned {str(warning)!r}: an intermediate overflowed or divided by zero; "
            "compute it the stable way (subtract the row maximum before exp, use np.logaddexp)"
        ) from None
    except NameError as error:  # a global the grading does not have (it runs the answers, imports and data only)
        raise CheckFailed(
            f"{part}: your function raised NameError: {error}: a function may use its arguments, the notebook's "
            "imports and data and your other answers; make anything else inside it (a name made in a "
            "demonstration cell is not there when graded)"
        ) from None
    except Exception as error:  # noqa: BLE001 - any crash of the student's code is feedback, not a check bug
        raise CheckFailed(f"{part}: your function raised {type(error).__name__}: {error}") from None
    for name, old, new in zip(_names_of(fn, len(args)), before, args):
        if old is not None and not (old.shape == np.shape(new) and np.array_equal(old, new, equal_nan=True)):
            raise CheckFailed(
                f"{part}: the call changed its argument {name} in place; leave it as it was (work on a copy, "
                f"{name}.copy(), or build a new array)"
            )
    return result


@contextlib.contextmanager
def alone(fn: Callable, earlier: Iterable[str]):
    """Grade ``fn`` on its own: each name in ``earlier`` that ``fn``'s module holds and that fails its check
    (``EARLIER[name]``) is digitlab's reference while the block runs, so one mistake costs one part."""
    space = getattr(fn, "__globals__", None)
    swapped = {}
    if space is not None:
        for name in earlier:
            student = space.get(name)
            check, reference = EARLIER[name]
            if not callable(student) or student is reference:
                continue
            try:
                check(student)
            except CheckFailed:
                swapped[name] = student
                space[name] = reference
    try:
        yield
    finally:
        space.update(swapped) if space is not None else None


def working(student: Callable, check: Callable[[Callable], str], reference: Callable) -> Callable:
    """The student's function if ``check`` passes it, else ``reference`` (with a printed note).

    Lets a later section of an assignment run on digitlab's kernel while an earlier part is unfinished.
    """
    try:
        check(student)
    except CheckFailed as failure:
        print(f"using digitlab's {getattr(reference, '__name__', 'reference')} for now: {failure}")
        return reference
    return student
