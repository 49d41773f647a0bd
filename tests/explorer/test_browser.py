"""The lambda explorer in a real browser: JupyterLab and Voila, driven by Playwright in Debian's Chromium.

Skipped, with the reason, where Chromium or Playwright is missing (``.ci/run`` installs Chromium).
"""

import shutil
import time
from pathlib import Path

from browser_support import jupyterlab, requires_browser, run_all_cells, voila

from digitlab.explorer import solve_for_lambda

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "05_lambda_explorer.ipynb"

pytestmark = requires_browser

SWITCH_BOUND = 10.0  # seconds: a first switch to ten digits shows its optimum within this (2 s on an idle machine)


def answer(page) -> dict:
    """The answer on the page: its data attributes (lam, task, penalty, state) and shown numbers."""
    return page.evaluate(
        """() => {
        const el = document.querySelector('.explorer-answer');
        const out = {...el.dataset};
        for (const td of el.querySelectorAll('.value')) {
            out[td.dataset.name] = (td.dataset.text || td.textContent).trim();  // rendered or not
        }
        out.images = [...el.querySelectorAll('img.explorer-weights')].map(img => img.src);
        return out;
    }"""
    )


def wait_for_answer(page, lam: str, task: str, penalty: str, state: str = "final", timeout: float = 60) -> dict:
    """Wait until the page shows the answer for this request (``lam`` as the page prints it, 1.26e-03)."""
    page.wait_for_function(
        """want => {
        const el = document.querySelector('.explorer-answer');
        const lam = el && el.querySelector('.value[data-name="lambda"]');
        return el && lam && lam.dataset.text === want.lam && el.dataset.task === want.task
            && el.dataset.penalty === want.penalty && (want.state === 'any' || el.dataset.state === want.state);
    }""",
        arg={"lam": lam, "task": task, "penalty": penalty, "state": state},
        timeout=timeout * 1e3,
    )
    return answer(page)


def drive_explorer(page) -> None:
    """Move the slider with the keyboard, switch penalty and task; check the page against solve_for_lambda."""
    page.wait_for_selector(".explorer-answer[data-state='final']", timeout=120_000)
    first = wait_for_answer(page, "1.00e-03", "2 vs 3", "l2")
    start = solve_for_lambda((2, 3), "l2", 1e-3)
    assert first["test accuracy"] == f"{start.test_acc:.2%}"
    assert len(first["images"]) == 1

    page.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    moved = wait_for_answer(page, "1.26e-03", "2 vs 3", "l2")
    assert moved["test accuracy"] == f"{solve_for_lambda((2, 3), 'l2', 10**-2.9).test_acc:.2%}"
    assert moved["images"] != first["images"]

    for _ in range(10):  # a burst of keypresses: the page ends on the last value
        page.keyboard.press("ArrowRight")
    last = wait_for_answer(page, "1.26e-02", "2 vs 3", "l2")
    page.wait_for_timeout(1500)  # nothing stale arrives after it
    assert answer(page)["lambda"] == "1.26e-02" and answer(page)["state"] == "final"
    assert last["test accuracy"] == f"{solve_for_lambda((2, 3), 'l2', 10**-1.9).test_acc:.2%}"

    page.get_by_role("button", name="L1", exact=True).click()
    l1 = wait_for_answer(page, "1.26e-02", "2 vs 3", "l1")
    solution = solve_for_lambda((2, 3), "l1", 10**-1.9)
    assert l1["test accuracy"] == f"{solution.test_acc:.2%}"
    assert l1["weights exactly 0"] == f"{solution.zero_count:,} of 784"
    assert l1["images"] != last["images"]

    started = time.monotonic()
    page.locator(".explorer-root .widget-dropdown select").first.select_option(label="all ten digits")
    ten = wait_for_answer(page, "1.26e-02", "all ten digits", "l1", timeout=SWITCH_BOUND)  # the shipped path
    assert time.monotonic() - started < SWITCH_BOUND
    expected = solve_for_lambda("all", "l1", 10**-1.9)
    assert abs(float(ten["test accuracy"].rstrip("%")) - 100 * expected.test_acc) < 0.5
    assert len(ten["images"]) == 10
    assert page.locator(".explorer-root select:visible").count() == 1  # the task alone: no digit dropdowns
    assert page.locator(".explorer-error").count() == 0


def test_explorer_in_jupyterlab(browser, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_CACHE", str(tmp_path / "cache"))  # no path kept from an earlier session
    shutil.copy(NOTEBOOK, tmp_path / NOTEBOOK.name)  # JupyterLab saves: work on a copy
    with jupyterlab(tmp_path) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/lab/tree/{NOTEBOOK.name}?token=digitlab-test")
        page.wait_for_selector(".jp-Notebook", timeout=120_000)
        run_all_cells(page)
        page.wait_for_selector(".explorer-answer", timeout=240_000)
        page.locator(".explorer-root").first.scroll_into_view_if_needed()  # cells out of view are not rendered
        drive_explorer(page)
        assert page.locator("p", has_text="In this notebook you will:").first.is_visible()  # the whole notebook
        page.screenshot(path=str(tmp_path / "jupyterlab.png"))


def test_explorer_in_voila_lecture_mode(browser, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_CACHE", str(tmp_path / "cache"))  # no path kept from an earlier session
    with voila(NOTEBOOK, tmp_path) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url, timeout=180_000)
        page.wait_for_selector(".explorer-answer[data-state='final']", timeout=120_000)
        root = page.locator(".explorer-root").bounding_box()
        assert root["y"] < 60 and root["width"] <= 1280  # the explorer first, filling the screen's width
        assert not page.locator("p", has_text="In this notebook you will:").first.is_visible()  # not the intro
        assert page.locator(".noUi-target").bounding_box()["width"] >= 600  # a wide slider
        assert page.locator("text=explorer = Explorer()").count() == 0  # lecture mode: no code on the page
        drive_explorer(page)
        page.screenshot(path=str(tmp_path / "voila.png"))
