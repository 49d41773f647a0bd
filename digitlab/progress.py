"""A progress bar for work that takes more than a few seconds, wherever it runs.

In a Jupyter kernel (JupyterLab, Voila, nbconvert) it is one output, updated in
place (``display(..., display_id=True)``), with an HTML ``<progress>`` bar and a
plain-text twin; when the work ends it is replaced by one line saying what was
done, so a stored notebook keeps a short, fixed line (no timings, nothing on
stderr). In a terminal it redraws one line on stderr; piped elsewhere it prints
only the final line. No dependency beyond IPython, which Jupyter brings.

    with Progress(66, "report's recipe", unit="runs") as bar:
        ...
        bar.update(epoch=12)        # or bar.advance() for one more unit of work
"""

from __future__ import annotations

import html
import sys
import time

__all__ = ["Progress"]

WIDTH = 24  # characters of the text bar


def _kernel_display():
    """IPython's ``display`` when running in a Jupyter kernel, else None."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return None
    shell = get_ipython()
    return display if shell is not None and getattr(shell, "kernel", None) is not None else None


class _View:
    """What the kernel displays: HTML for the browser, plain text for everything else."""

    def __init__(self, text: str, fraction: float | None):
        self.text, self.fraction = text, fraction

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        bar = ""
        if self.fraction is not None:
            bar = f'<progress value="{self.fraction:.3f}" max="1" style="width:16em"></progress> '
        return f'<div class="digitlab-progress" style="font-family:monospace">{bar}{html.escape(self.text)}</div>'


class Progress:
    """Progress through ``total`` units of work (``unit`` names them), shown where the code runs.

    Parameters
    ----------
    total : int
        The units of work expected (epochs, runs, lambdas); the bar may end before it (early stopping).
    label : str
        What is being done, e.g. ``"softmax: report's recipe, seed 0"``.
    unit : str
        The unit's name, for the text.
    done : str, optional
        The line left when the work ends; default ``"{label}: done"``.
    every : float
        Seconds between redraws (more often only floods the page).

    Introduced in ``04_softmax_regression.ipynb``.
    """

    def __init__(self, total: int, label: str, unit: str = "", done: str | None = None, every: float = 0.25):
        self.total, self.label, self.unit = max(int(total), 1), label, unit
        self.final = done if done is not None else f"{label}: done"
        self.every = every
        self.count = 0
        self.note = ""
        self._display = _kernel_display()
        self._handle = None
        self._shown = 0.0
        self._start = time.perf_counter()
        self._tty = not self._display and sys.stderr.isatty()

    def __enter__(self) -> Progress:
        self._show(force=True)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def advance(self, by: int = 1, note: str = "") -> None:
        """``by`` more units done."""
        self.update(self.count + by, note)

    def update(self, count: int, note: str = "") -> None:
        """``count`` units done so far; ``note`` adds a few words (e.g. how many runs are still going)."""
        self.count, self.note = min(int(count), self.total), note
        self._show()

    def text(self) -> str:
        filled = round(WIDTH * self.count / self.total)
        seconds = time.perf_counter() - self._start
        note = f", {self.note}" if self.note else ""
        unit = f" {self.unit}" if self.unit else ""
        bar = "#" * filled + "." * (WIDTH - filled)
        return f"{self.label} [{bar}] {self.count}/{self.total}{unit}{note} ({seconds:.0f} s)"

    def _show(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._shown < self.every:
            return
        self._shown = now
        if self._display is not None:
            view = _View(self.text(), self.count / self.total)
            if self._handle is None:
                self._handle = self._display(view, display_id=True)
            else:
                self._handle.update(view)
        elif self._tty:
            sys.stderr.write("\r" + self.text())
            sys.stderr.flush()

    def close(self) -> None:
        """Replace the bar by the final line."""
        if self._display is not None:
            view = _View(self.final, None)
            if self._handle is None:
                self._handle = self._display(view, display_id=True)
            else:
                self._handle.update(view)
        else:
            seconds = time.perf_counter() - self._start
            end = f"{self.final} ({seconds:.0f} s)"
            sys.stderr.write(("\r" + end.ljust(len(self.text())) if self._tty else end) + "\n")
            sys.stderr.flush()
