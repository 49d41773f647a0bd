import io

import digitlab.progress as progress
from digitlab.progress import Progress


class Handle:
    def __init__(self, shown):
        self.shown = shown

    def update(self, view):
        self.shown.append(view)


def test_in_a_kernel_one_display_is_updated_and_ends_on_a_fixed_line(monkeypatch):
    shown = []

    def display(view, display_id=False):
        assert display_id is True
        shown.append(view)
        return Handle(shown)

    monkeypatch.setattr(progress, "_kernel_display", lambda: display)
    with Progress(10, "searching", unit="epochs", done="searching: 3 runs done", every=0) as bar:
        for epoch in range(1, 11):
            bar.update(epoch, "3 runs descending")
    assert "[" in repr(shown[1]) and "1/10 epochs, 3 runs descending" in repr(shown[1])
    assert "<progress" in shown[1]._repr_html_()
    assert repr(shown[-1]) == "searching: 3 runs done"  # no timing: a stored notebook stays the same
    assert "<progress" not in shown[-1]._repr_html_()


def test_in_a_terminal_the_line_is_redrawn_on_stderr(monkeypatch):
    err = io.StringIO()
    err.isatty = lambda: True
    monkeypatch.setattr(progress, "_kernel_display", lambda: None)
    monkeypatch.setattr(progress.sys, "stderr", err)
    with Progress(4, "solving", unit="lambdas", every=0) as bar:
        bar.advance()
        bar.advance()
    text = err.getvalue()
    assert "\rsolving [" in text and "2/4 lambdas" in text and text.endswith("\n")
    assert "solving: done (" in text


def test_piped_output_gets_only_the_final_line(monkeypatch):
    err = io.StringIO()
    err.isatty = lambda: False
    monkeypatch.setattr(progress, "_kernel_display", lambda: None)
    monkeypatch.setattr(progress.sys, "stderr", err)
    with Progress(3, "running", every=0) as bar:
        bar.advance(3)
    assert err.getvalue().startswith("running: done (") and err.getvalue().count("\n") == 1
