"""axe-core in the page: inject it, run the WCAG 2.1 A/AA rules, and say what failed.

axe-core comes from the ``axe-playwright-python`` package (test extra), which ships ``axe.min.js``;
only the file is used here, injected into the page and called as ``axe.run(context, options)``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def figure_outputs(path: Path):
    """(cell index, output) for every output of the notebook ``path`` that shows an image."""
    for index, cell in enumerate(json.loads(path.read_text())["cells"]):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if any(key.startswith("image/") for key in data) or "<img" in "".join(data.get("text/html", "")):
                yield index, output


def axe_script() -> Path:
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or spec.origin is None:
        raise RuntimeError("axe-core is missing: pip install axe-playwright-python (digitlab's test extra)")
    return Path(spec.origin).with_name("axe.min.js")


def axe_version(page) -> str:
    return page.evaluate("() => axe.version")


def run_axe(page, include: list[str] | None = None, exclude: list[str] | None = None) -> list[dict]:
    """The WCAG 2.1 A/AA violations on ``page`` (within the ``include`` selectors when given).

    Each is ``{"id", "impact", "help", "nodes": [target, ...]}``.
    """
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script()))
    context = {"include": [[s] for s in include]} if include else {"exclude": []}
    if exclude:
        context["exclude"] = [[s] for s in exclude]
    result = page.evaluate(
        """([context, tags]) => axe.run(context, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
            .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                               nodes: v.nodes.map(n => n.target.join(' '))})))""",
        [context, WCAG_21_AA],
    )
    return result


def describe(violations: list[dict]) -> str:
    """One line per rule: id, impact, how many nodes, the first few targets."""
    return "\n".join(
        f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['help']}; e.g. {v['nodes'][:3]}" for v in violations
    )


def count(violations: list[dict]) -> int:
    """How many nodes fail, over all rules."""
    return sum(len(v["nodes"]) for v in violations)
