"""Every notebook as a reader sees it: the report's equations stated once each, and no MathJax error on the page.

The page test opens each notebook (00-05) in JupyterLab in Debian's Chromium, with every cell attached to the
page (windowing off, so off-screen math is typeset too), waits for MathJax and looks for its error marks: an
``mjx-merror`` element, or a message such as "Multiple \\tag". Skipped where Chromium or Playwright is missing.
"""

import json
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from browser_support import jupyterlab, notebooks_fully_attached, requires_browser

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)


def markdown(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


def test_every_report_equation_is_stated_once_with_its_number():
    tags, crowded = Counter(), []
    for path in NOTEBOOKS:
        for text in markdown(path):
            for display in DISPLAY.findall(text):
                found = re.findall(r"\\tag\{([^}]*)\}", display)
                tags.update(found)
                if len(found) > 1:
                    crowded.append(f"{path.name}: {found}")
    assert not crowded, f"one \\tag per display (MathJax shows 'Multiple \\tag' otherwise): {crowded}"
    assert tags == Counter({str(n): 1 for n in range(1, 21)}), f"equations (1)-(20) once each; found {dict(tags)}"


PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in front


def typeset(page, timeout: float = 60) -> int:
    """Wait until MathJax has stopped adding typeset math to the notebook; return how much there is."""
    deadline, last, steady = time.monotonic() + timeout, -1, 0
    while time.monotonic() < deadline:
        count = page.locator(f"{PANEL} mjx-container").count()
        steady = steady + 1 if count == last else 0
        if steady >= 4:
            return count
        last = count
        page.wait_for_timeout(500)
    return last


def needs_browser(test):
    for mark in requires_browser:  # skip, with the reason, without Chromium or Playwright
        test = mark(test)
    return test


@needs_browser
def test_notebooks_show_no_mathjax_error_in_jupyterlab(browser, tmp_path, monkeypatch):
    notebooks_fully_attached(NOTEBOOKS, tmp_path, monkeypatch)
    problems, rendered = [], {}
    with jupyterlab(tmp_path) as url:
        for path in NOTEBOOKS:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(f"{url}/lab/tree/{path.name}?token=digitlab-test&reset")  # reset: only this notebook open
            page.wait_for_selector(f"{PANEL} .jp-MarkdownCell", timeout=120_000)
            rendered[path.name] = typeset(page)
            errors = page.locator(f"{PANEL} mjx-merror")
            for i in range(errors.count()):
                error = errors.nth(i)
                problems.append(f"{path.name}: {error.get_attribute('data-mjx-error') or error.inner_text()}")
            text = page.locator(PANEL).inner_text()
            problems += [f"{path.name}: {m}" for m in re.findall(r"Multiple \\tag|Undefined control sequence", text)]
            page.screenshot(path=str(tmp_path / f"{path.stem}.png"))
            page.close()
    assert not problems, problems
    assert rendered["01_gradient_derivation.ipynb"] >= 20, f"MathJax typeset too little: {rendered}"
    if any(count == 0 for name, count in rendered.items() if name[:2] in ("02", "03", "04")):
        pytest.fail(f"no typeset math found on a notebook that has some: {rendered}")
