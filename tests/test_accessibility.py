"""Accessibility (WCAG 2.1 AA): figures' text alternatives, colours with a second carrier, and axe-core in the browser.

The first tests read files only: every figure output of every notebook carries alt text, the figure styles
meet the contrast ratio and never tell two meanings apart by colour alone. The browser tests (skipped, with
the reason, without Chromium or Playwright) run axe-core's WCAG 2.1 A/AA rules on the pages
``tools/export_html.py`` writes and on the explorer in Voila, and drive the explorer by keyboard alone; axe on
the notebooks' own content in JupyterLab runs in ``test_notebook_pages.py``, in its one pass over the notebooks.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from accessibility_support import figure_outputs
from browser_support import browser_test, voila

from digitlab import figure_text, plots

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOURCES = [p for p in sorted((ROOT / "coursework" / "source").glob("*/*.ipynb")) if not p.is_symlink()]
EXPLORER = ROOT / "notebooks" / "05_lambda_explorer.ipynb"


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


@pytest.mark.parametrize("path", NOTEBOOKS + SOURCES, ids=lambda p: p.name)
def test_every_figure_carries_alt_text_that_says_what_it_shows(path):
    problems = []
    for index, output in figure_outputs(path):
        data = output["data"]
        bare = [key for key in data if key.startswith("image/")]
        if bare:  # JupyterLab and nbconvert read no alt for these: show figures with digitlab.plots.show
            problems.append(f"cell {index}: a bare {bare[0]} output (no alt text reaches a screen reader)")
            continue
        parser = _Images()
        parser.feed("".join(data["text/html"]))
        for image in parser.images:
            alt = (image.get("alt") or "").strip()
            if len(alt.split()) < 12 or re.fullmatch(r"(figure|fig\.?|image|plot)\s*\d*[a-z]?", alt, re.I):
                problems.append(f"cell {index}: alt text {alt!r} does not say what the figure shows")
            height = int(image.get("height", 0))
            if height > figure_text.MAX_HEIGHT:
                problems.append(f"cell {index}: {height} px tall, taller than a 720 px screen shows")
        plain = "".join(data.get("text/plain", ""))
        if not plain.startswith("[figure]"):
            problems.append(f"cell {index}: text/plain {plain[:40]!r} is not the figure's text")
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_the_notebooks_have_figures_to_check():
    assert sum(1 for path in NOTEBOOKS for _ in figure_outputs(path)) >= 15


def test_a_figure_shows_its_alt_caption_and_table_escaped_and_refuses_none():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2, 3])
    shown = figure_text.render(fig, 'a line rising "steeply" <fast>', caption="1 < 2", table={"x": [0, 1], "y": [1, 2]})
    page = shown._repr_html_()
    assert 'alt="a line rising &quot;steeply&quot; &lt;fast&gt;"' in page
    assert "<figcaption><p>1 &lt; 2</p><table>" in page and '<th scope="col">y</th>' in page
    source = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(source).startswith(b"\x89PNG")
    assert repr(shown).splitlines() == ['[figure] a line rising "steeply" <fast>', "1 < 2", "x | y", "0 | 1", "1 | 2"]
    assert not plt.get_fignums()  # the figure is closed: the inline backend shows it once, with its text
    with pytest.raises(ValueError, match="alt text"):
        figure_text.render(plt.figure(), "  ")
    with pytest.raises(ValueError, match="differ in length"):
        figure_text.FigureWithText(b"", "two columns of different length", table={"a": [1], "b": [1, 2]})
    with pytest.raises(ValueError, match="figsize"):
        figure_text.render(plt.figure(figsize=(4, 8)), "a figure too tall for a 720 pixel screen")
    plt.close("all")


def contrast(colour: str, background: str = "#ffffff") -> float:
    """WCAG 2.1 contrast ratio of two sRGB colours."""

    def luminance(hex_colour):
        channels = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
        linear = np.where(channels <= 0.03928, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
        return float(linear @ [0.2126, 0.7152, 0.0722])

    high, low = sorted([luminance(colour), luminance(background)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_figure_colours_meet_3_to_1_and_a_second_carrier_tells_every_meaning_apart():
    looks = list(plots.STYLES.values()) + [dict(c) for c in plots.CYCLE]
    for look in looks:
        assert contrast(look["color"]) >= 3.0, look
    for group in (["train", "holdout", "test"], ["l1", "l2"]):
        dashes = {plots.STYLES[m]["linestyle"] for m in group}
        markers = {plots.STYLES[m]["marker"] for m in group}
        assert len(dashes) == len(markers) == len(group), group  # colour is never the only difference
    cycle = [dict(c) for c in plots.CYCLE]
    assert len({str(c["linestyle"]) for c in cycle}) == len({c["color"] for c in cycle}) == len(cycle)


def test_every_helper_draws_one_meaning_one_way(splits):
    plots.set_style()
    history = {
        "epoch": np.arange(30),
        **{f"{s}_{m}": np.linspace(0.5, 0.9, 30) for s in plots.COLORS for m in ("loss", "acc")},
    }
    ax = plots.plot_curves(history, "acc", best_epoch=3)
    plots.plot_lambda_sweep([1e-3, 1e-2], [90, 91], ax=ax, label="L1")
    plots.plot_lambda_sweep([1e-3, 1e-2], [92, 93], ax=ax, label="L2", intervals=[(91, 93), (92, 94)])
    handles, labels = ax.get_legend_handles_labels()
    lines = [getattr(h, "lines", [h])[0] for h in handles]  # an error bar's handle holds its data line first
    drawn = {label: (line.get_color(), line.get_linestyle(), line.get_marker()) for label, line in zip(labels, lines)}
    for meaning, label in (("train", "train"), ("holdout", "hold-out"), ("test", "test"), ("l1", "L1"), ("l2", "L2")):
        look = plots.STYLES[meaning]
        colour, dash, marker = drawn[label]
        assert colour == look["color"] and marker == look["marker"], (label, drawn[label])
        assert dash == {"-": "-", "--": "--", "-.": "-.", ":": ":"}[look["linestyle"]]
    with pytest.raises(KeyError, match="known"):
        plots.style("validation")
    plt.close("all")


# ---------------------------------------------------------------- in the browser

REACH = """() => Math.max(...[...document.querySelectorAll('.explorer-root *')]
    .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden'
             && !e.closest('.explorer-live'))
    .map(e => e.getBoundingClientRect().right))"""  # the right edge of the explorer's furthest visible element


@browser_test
def test_exported_pages_pass_axe_with_ordered_headings_and_alt_text(browser, tmp_path):
    from accessibility_support import describe, run_axe

    sys.path.insert(0, str(ROOT / "tools"))
    import export_html

    failures = []
    for path in NOTEBOOKS:
        page_path = export_html.export(path, tmp_path)
        assert not export_html.outline_problems(page_path.read_text())
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(page_path.as_uri())
        images = page.eval_on_selector_all("img", "els => els.map(e => e.alt)")
        assert len(images) == sum(1 for _ in figure_outputs(path)) and all(images), path.name
        violations = run_axe(page)
        if violations:
            failures.append(f"{path.name}:\n{describe(violations)}")
        page.close()
    assert not failures, "\n".join(failures)


def test_export_refuses_skipped_headings_and_images_without_alt():
    sys.path.insert(0, str(ROOT / "tools"))
    import export_html

    page = '<h1>Title</h1><h3>Skipped</h3><img src="data:image/png;base64,AAAA">'
    problems = export_html.outline_problems(page)
    assert any("h3 after h1" in p for p in problems) and any("without alt" in p for p in problems)
    assert export_html.outline_problems('<h1>T</h1><h2>a</h2><h3>b</h3><h2>c</h2><img alt="x" src="y">') == []


@browser_test
def test_explorer_in_voila_passes_axe_speaks_lambda_and_announces_by_keyboard(browser, tmp_path, monkeypatch):
    from accessibility_support import describe, run_axe

    monkeypatch.setenv("DIGITLAB_CACHE", str(tmp_path / "cache"))
    with voila(EXPLORER, tmp_path) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url, timeout=180_000)
        page.wait_for_selector(".explorer-answer[data-state='final']", timeout=120_000)
        handle = page.locator(".noUi-handle").first
        page.wait_for_function(
            "() => document.querySelector('.noUi-handle').getAttribute('aria-valuetext') === '1.0 × 10⁻³'"
        )
        violations = run_axe(page)
        assert not violations, describe(violations)
        assert handle.get_attribute("aria-label").startswith("lambda")
        live = page.locator(".explorer-live [aria-live='polite'], .explorer-live[aria-live='polite']").first
        live.wait_for(state="attached")
        page.wait_for_function(
            "() => document.querySelector('[aria-live=polite]').textContent.includes('test accuracy')"
        )

        # keyboard alone: Tab to the slider, three steps right; the region speaks once, for where it rests
        announced = []
        page.expose_function("heard", lambda text: announced.append(text))
        page.evaluate(
            """() => { const region = document.querySelector('[aria-live=polite]');
                new MutationObserver(() => { const t = region.textContent.trim(); if (t) window.heard(t); })
                    .observe(region, {childList: true, subtree: true, characterData: true}); }"""
        )
        page.keyboard.press("Tab")
        for _ in range(40):
            if page.evaluate(
                "() => document.activeElement && document.activeElement.classList.contains('noUi-handle')"
            ):
                break
            page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.classList.contains('noUi-handle')"), "Tab never reached"
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", ""), "the focused slider shows no outline"
        for _ in range(3):
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(80)
        assert handle.get_attribute("aria-valuetext") == "2.0 × 10⁻³"
        page.wait_for_function("() => document.querySelector('.explorer-answer').dataset.lam.startsWith('1.995')")
        page.wait_for_timeout(2500)
        assert len(announced) == 1, announced  # once, when the answer settles
        assert announced[0].startswith("L2, 2 vs 3, lambda 2.0 times 10 to the minus 3: test accuracy")

        # reflow: 320 CSS px wide (1280 px at 400% zoom) scrolls vertically only
        page.set_viewport_size({"width": 320, "height": 720})
        page.wait_for_timeout(500)
        right = page.evaluate(REACH)
        assert right <= 321, f"the explorer reaches {right:.0f} px at a 320 px wide viewport"
        violations = run_axe(page)
        assert not violations, describe(violations)
        page.close()


@pytest.mark.parametrize("path", sorted((ROOT / "coursework" / "release").glob("*/*.ipynb")), ids=lambda p: p.name)
def test_every_part_of_a_student_copy_states_its_instructions_before_its_cell(path):
    """A screen reader reads top to bottom: each answer cell comes right after the words that say what to write."""
    cells = json.loads(path.read_text())["cells"]
    answers = [i for i, c in enumerate(cells) if c["metadata"].get("nbgrader", {}).get("solution")]
    assert answers, path
    unannounced = [i for i in answers if cells[i - 1]["cell_type"] != "markdown"]
    assert not unannounced, f"{path.name}: answer cells {unannounced} follow code, not their instructions"
