"""The lambda explorer in a real browser: JupyterLab and Voila, driven by Playwright in Debian's Chromium.

Skipped, with the reason, where Chromium or Playwright is missing (``.ci/run`` installs Chromium).
"""

import shutil
import sys
import time
from pathlib import Path

from browser_support import free_port, jupyterlab, requires_browser, serve, stop

from digitlab.explorer import fit_for_lambda

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "05_lambda_explorer.ipynb"

pytestmark = requires_browser


def value(page, name: str) -> str:
    return page.locator(f'td.value[data-name="{name}"]').first.inner_text()


def wait_for_value(page, name: str, old: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = value(page, name)
        if current != old:
            return current
        page.wait_for_timeout(200)
    raise AssertionError(f"{name} stayed {old!r}")


def drive_explorer(page) -> None:
    """Move the slider with the keyboard, switch penalty and task; check the page against fit_for_lambda."""
    page.wait_for_selector("td.value[data-name='lambda']", timeout=120_000)
    assert value(page, "lambda") == "1.00e-03"
    start = fit_for_lambda((2, 3), "l2", 1e-3)
    assert value(page, "test accuracy") == f"{start.test_acc:.2%}"
    image = page.locator(".widget-image").first.get_attribute("src")

    page.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    lam = wait_for_value(page, "lambda", "1.00e-03")
    assert lam == "1.26e-03"
    moved = fit_for_lambda((2, 3), "l2", 10**-2.9)
    page.wait_for_function(
        "expected => document.querySelector('td.value[data-name=\"test accuracy\"]').innerText === expected",
        arg=f"{moved.test_acc:.2%}",
    )
    for _ in range(10):  # rapid moves: the last one wins
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('td.value[data-name=\"lambda\"]').innerText === '1.26e-02'")

    zeros = value(page, "zero weights")
    page.get_by_role("button", name="L1", exact=True).click()
    page.wait_for_function(
        "old => document.querySelector('td.value[data-name=\"zero weights\"]').innerText !== old", arg=zeros
    )
    l1 = fit_for_lambda((2, 3), "l1", 10**-1.9)
    assert value(page, "test accuracy") == f"{l1.test_acc:.2%}"
    assert page.locator(".widget-image").first.get_attribute("src") != image

    test_acc = value(page, "test accuracy")
    page.locator(".widget-dropdown select").first.select_option(label="all ten digits")
    wait_for_value(page, "test accuracy", test_acc, timeout=120)
    ten = fit_for_lambda("all", "l1", 10**-1.9)
    assert abs(float(value(page, "test accuracy").rstrip("%")) - 100 * ten.test_acc) < 0.5
    assert page.locator(".explorer-error").count() == 0


def test_explorer_in_jupyterlab(browser, tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    shutil.copy(NOTEBOOK, tmp_path / NOTEBOOK.name)  # JupyterLab saves: work on a copy
    with jupyterlab(tmp_path) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/lab/tree/{NOTEBOOK.name}?token=digitlab-test")
        page.wait_for_selector(".jp-Notebook", timeout=120_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
        for _attempt in range(3):  # a cold JupyterLab sometimes drops the first Run All
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            try:
                page.wait_for_selector("td.value[data-name='lambda']", timeout=60_000)
                break
            except PlaywrightTimeout:
                continue
        drive_explorer(page)
        page.screenshot(path=str(tmp_path / "jupyterlab.png"))


def test_explorer_in_voila(browser, tmp_path):
    port = free_port()
    voila = Path(sys.executable).with_name("voila")
    server = serve(
        [str(voila), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1", str(NOTEBOOK)],
        f"http://127.0.0.1:{port}/",
        tmp_path,
    )
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/", timeout=180_000)
        drive_explorer(page)
        assert page.locator("text=explorer = Explorer()").count() == 0  # lecture mode: no code on the page
    finally:
        stop(server)
