"""A student's copy in JupyterLab, in Debian's Chromium: write an answer, run its check, read the feedback."""

import shutil
import sys
from pathlib import Path

from browser_support import jupyterlab, requires_browser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import coursework  # noqa: E402

pytestmark = requires_browser

RIGHT = """def stable_softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
"""
WRONG = """def stable_softmax(a):
    e = np.exp(a)
    return e / e.sum(axis=1, keepdims=True)
"""


def answer_and_check(page, cell, code: str) -> str:
    """Replace the cell's code, run it and the check cell after it; the check's output text."""
    cell.scroll_into_view_if_needed()
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")  # runs the answer, selects the check cell
    page.keyboard.press("Shift+Enter")  # runs the check
    check = cell.locator("xpath=following-sibling::div[contains(@class, 'jp-Cell')][1]")
    output = check.locator(".jp-OutputArea-output").first
    output.wait_for(timeout=60_000)
    return output.text_content()


def test_a_student_writes_a_part_and_the_check_answers(browser, tmp_path):
    notebook = coursework.RELEASE / "01_gradients" / "01_gradient_derivation.ipynb"
    shutil.copy(notebook, tmp_path / notebook.name)
    with jupyterlab(tmp_path) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/lab/tree/{notebook.name}?token=digitlab-test")
        page.get_by_text("| Idle").first.wait_for(timeout=120_000)
        setup = page.locator(".jp-CodeCell", has_text="SEED = 0").first
        setup.locator(".cm-content").click()
        page.keyboard.press("Shift+Enter")
        part = page.locator(".jp-CodeCell", has_text="def stable_softmax").first
        part.scroll_into_view_if_needed()
        assert "NotImplementedError" in part.text_content(), "the student copy has no solution"

        feedback = answer_and_check(page, part, WRONG)
        assert "overflow" in feedback and "maximum" in feedback, feedback
        page.screenshot(path=str(tmp_path / "wrong.png"))

        page.locator(".jp-CodeCell", has_text="checks.check_softmax(stable_softmax)").first.locator(
            ".jp-OutputArea-output"
        ).first.wait_for()
        feedback = answer_and_check(page, part, RIGHT)
        assert "softmax: passes" in feedback, feedback
