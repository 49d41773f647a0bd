"""Every notebook as a reader sees it: the report's equations stated once each, and each page in JupyterLab.

One pass opens each notebook (00-05), one after another in one JupyterLab page in Debian's Chromium, with
every cell attached to the page (windowing off, so off-screen math is typeset and off-screen outputs are checked
too), waits for MathJax, and keeps what three tests read: MathJax's error marks (an ``mjx-merror`` element, or a
message such as "Multiple \\tag"), the figures shown with their alt text, and axe-core's WCAG 2.1 A/AA violations
in the notebook's own content (outputs and rendered Markdown; JupyterLab's interface is upstream's). Skipped where
Chromium or Playwright is missing.
"""

import json
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from accessibility_support import describe, figure_outputs, run_axe
from browser_support import ARGS, CHROMIUM, browser_test, jupyterlab, notebooks_fully_attached

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
OWN_CONTENT = [f"{PANEL} .jp-OutputArea-output", f"{PANEL} .jp-RenderedMarkdown"]


OPEN_ALONE = """async (path) => {  // the notebook shown before is removed from the page; this one is opened in front
    if (window.shownNotebook) window.shownNotebook.dispose();
    window.shownNotebook = await window.jupyterapp.commands.execute('docmanager:open', {path: path});
    window.jupyterapp.shell.activateById(window.shownNotebook.id);
}"""
SHOWN = """(path) => {
    const widget = window.jupyterapp.shell.currentWidget;
    return widget && widget.context && widget.context.path === path && !!widget.node.querySelector('.jp-MarkdownCell');
}"""


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


def read_page(page, path: Path, folder: Path) -> dict:
    """What the tests below read from one notebook's page, once its math is typeset."""
    seen = {"typeset": typeset(page), "problems": []}
    errors = page.locator(f"{PANEL} mjx-merror")
    for i in range(errors.count()):
        error = errors.nth(i)
        seen["problems"].append(error.get_attribute("data-mjx-error") or error.inner_text())
    text = page.locator(PANEL).inner_text()
    seen["problems"] += re.findall(r"Multiple \\tag|Undefined control sequence", text)
    seen["alts"] = page.eval_on_selector_all(f"{PANEL} .jp-OutputArea-output img", "els => els.map(e => e.alt)")
    seen["violations"] = run_axe(page, include=OWN_CONTENT)
    page.screenshot(path=str(folder / f"{path.stem}.png"))
    return seen


@pytest.fixture(scope="module")
def lab_pages(tmp_path_factory):
    """{notebook name: what its page showed}, every notebook opened once in one JupyterLab."""
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("lab")
    seen = {}
    with pytest.MonkeyPatch.context() as monkeypatch, sync_playwright() as p:
        notebooks_fully_attached(NOTEBOOKS, folder, monkeypatch)
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            with jupyterlab(folder) as url:
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                page.goto(f"{url}/lab?token=digitlab-test&reset")  # reset: no notebook from an earlier session
                page.wait_for_function("() => window.jupyterapp", timeout=120_000)
                page.evaluate("() => window.jupyterapp.restored.then(() => true)")  # every plugin, every command
                for path in NOTEBOOKS:  # one at a time in the one page: JupyterLab loads once
                    page.evaluate(OPEN_ALONE, path.name)
                    page.wait_for_function(SHOWN, arg=path.name, timeout=120_000)
                    seen[path.name] = read_page(page, path, folder)
                page.close()
        finally:
            browser.close()
    return seen


@browser_test
def test_notebooks_show_no_mathjax_error_in_jupyterlab(lab_pages):
    problems = [f"{name}: {problem}" for name, seen in lab_pages.items() for problem in seen["problems"]]
    assert not problems, problems
    rendered = {name: seen["typeset"] for name, seen in lab_pages.items()}
    assert rendered["01_gradient_derivation.ipynb"] >= 20, f"MathJax typeset too little: {rendered}"
    if any(count == 0 for name, count in rendered.items() if name[:2] in ("02", "03", "04")):
        pytest.fail(f"no typeset math found on a notebook that has some: {rendered}")


@browser_test
def test_notebooks_show_every_figure_with_its_alt_text_in_jupyterlab(lab_pages):
    for path in NOTEBOOKS:
        alts, expected = lab_pages[path.name]["alts"], sum(1 for _ in figure_outputs(path))
        assert len(alts) == expected and all(alts), f"{path.name}: {len(alts)} of {expected} figures shown with alt"


@browser_test
def test_notebooks_own_content_passes_axe_in_jupyterlab(lab_pages):
    failures = [f"{name}:\n{describe(seen['violations'])}" for name, seen in lab_pages.items() if seen["violations"]]
    assert not failures, "\n".join(failures)
