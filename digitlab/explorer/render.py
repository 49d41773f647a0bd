"""The explorer's drawing: an answer as HTML (weight images, numbers), the accuracy curve as SVG, the page's CSS.

Plain functions of a ``Solution``, no widgets and no threads (``explorer.widget``
puts their output on the page). The weight images are 28 x 28 PNGs (Pillow),
scaled by the browser; their colours and limits, and the curve's colours, are
``palette``'s, as in the figures.
"""

from __future__ import annotations

import html
import io
from base64 import b64encode

import numpy as np

from ..optimum import ALL_DIGITS, Solution
from ..palette import COLORS, DASHES, LABELS, weight_colors, weight_limit
from .path import SLIDER_LAMS

__all__ = [
    "LECTURE_STYLE",
    "STYLE",
    "announcement",
    "answer_html",
    "curve_svg",
    "lam_text",
    "live_html",
    "task_text",
    "tile_png",
]


def tile_png(weights: np.ndarray, vmax: float) -> bytes:
    """784 weights as a 28 x 28 PNG on the diverging scale ``[-vmax, vmax]``, zero white (Pillow, palette mode)."""
    from PIL import Image

    index = np.clip(np.round((np.asarray(weights).reshape(28, 28) / vmax + 1) * 127.5), 0, 255).astype(np.uint8)
    image = Image.frombytes("P", (28, 28), index.tobytes())
    image.putpalette(weight_colors().tobytes())
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _gradient() -> str:
    stops = weight_colors()[np.linspace(0, 255, 9).round().astype(int)]
    return ", ".join(f"rgb({r},{g},{b})" for r, g, b in stops)


def lam_text(lam: float) -> str:
    """lambda as 1.26 x 10^-3, in HTML."""
    if lam == 0:
        return "0"
    exponent = int(np.floor(np.log10(lam) + 1e-9))
    return f"{lam / 10**exponent:.2f} &times; 10<sup>{exponent}</sup>"


def task_text(task) -> str:
    return "all ten digits" if task == ALL_DIGITS else f"{task[0]} vs {task[1]}"


def answer_html(solution: Solution, state: str = "final", kernel_ms: float = 0.0, solve_ms: float = 0.0) -> str:
    """One answer, drawn whole: lambda, labelled weight images on one stated scale, accuracies, sparsity.

    ``state`` is "final" (the optimum at this lambda) or "refining" (an iterate, replaced when done).
    """
    task, w = solution.task, solution.w
    vmax = weight_limit(np.asarray(w).T)  # w.T: (785,) or (k, 785), bias first
    tiles = np.asarray(w).reshape(len(w), -1)[1:].T  # (k, 784)
    if task == ALL_DIGITS:
        captions = [f"digit {d}" for d in range(10)]
        alts = [
            f"weights of digit {d} as a 28 by 28 image: red where ink raises its score, blue where ink lowers "
            "it, white where a pixel does not matter"
            for d in range(10)
        ]
        key = "red: pixels that raise the digit's score, blue: pixels that lower it"
        size, width = 100, 560  # two rows of five
    else:
        captions = [f"{task[1]} (red) against {task[0]} (blue)"]
        alts = [
            f"weights of {task[1]} against {task[0]} as a 28 by 28 image: red where ink votes {task[1]}, blue "
            f"where ink votes {task[0]}, white where a pixel does not matter"
        ]
        key = f"red: ink there votes {task[1]}, blue: ink there votes {task[0]}"
        size, width = 380, 380
    figures = "".join(
        f'<figure><img class="explorer-weights" alt="{alt}" width="{size}" height="{size}" '
        f'src="data:image/png;base64,{b64encode(tile_png(tile, vmax)).decode()}">'
        f"<figcaption>{caption}</figcaption></figure>"
        for tile, caption, alt in zip(tiles, captions, alts)
    )
    scale = (
        f'<div class="explorer-scale"><span>&minus;{vmax:.3g}</span>'
        f'<span class="bar" style="background: linear-gradient(to right, {_gradient()})"></span>'
        f"<span>+{vmax:.3g}</span></div>"
        f'<div class="explorer-key">weight colour scale, zero white; {key}</div>'
    )
    unseen = f"{solution.unseen_count:,} of the zeros on pixels never lit in training" if solution.unseen_count else ""
    correct, n_test = solution.test_correct, solution.test_total
    low, high = solution.test.interval
    interval = f"{100 * low:.1f}&ndash;{100 * high:.1f}%"
    rows = [
        ("train accuracy", "train", f"{solution.train_acc:.2%}", "big"),
        ("hold-out accuracy", "hold-out", f"{solution.holdout_acc:.2%}", "big"),
        ("test accuracy", "test", f"{solution.test_acc:.2%}", "big"),
        ("test interval", "", f"{correct:,} of {n_test:,} images; 95% interval {interval}", "sub"),
        ("weight length ‖w‖₂", "length ‖w‖₂", f"{solution.norm:.3f}", ""),
        ("weights exactly 0", "exactly 0", f"{solution.zero_count:,} of {solution.size:,}", ""),
    ]
    table = '<tr><th colspan="2">accuracy</th></tr>' + "".join(
        f'<tr class="{kind}"><td colspan="2" class="value" data-name="{name}">{value}</td></tr>'
        if kind == "sub"
        else f'<tr class="{kind}"><td>{label}</td><td class="value" data-name="{name}">{value}</td></tr>'
        for name, label, value, kind in rows
    )
    table += (
        '<tr><td colspan="2" class="note">‖w‖<sub>2</sub>: the Euclidean length of the weights, bias left out'
        f"{'; ' + unseen if unseen else ''}</td></tr>"
    )
    badge = '<span class="explorer-refining">refining&hellip;</span>' if state != "final" else ""
    return (
        f'<div class="explorer-answer" data-state="{state}" data-lam="{solution.lam:.6e}" '
        f'data-task="{html.escape(task_text(task))}" data-penalty="{solution.penalty}" '
        f'data-objective="{solution.objective:.10e}" data-kernel-ms="{kernel_ms:.1f}" data-solve-ms="{solve_ms:.1f}">'
        f'<div class="explorer-title"><span class="explorer-lam">&lambda; = '
        f'<span class="value" data-name="lambda" data-text="{solution.lam:.2e}">{lam_text(solution.lam)}</span></span>'
        f"<span>{solution.penalty.upper()}, {task_text(task)}</span>{badge}</div>"
        f'<div class="explorer-body"><div class="explorer-tiles" style="width: {width}px">{figures}{scale}</div>'
        f'<table class="explorer-numbers">{table}</table></div></div>'
    )


def curve_svg(curve: list[Solution], lam: float, width: int = 380, height: int = 540) -> str:
    """An inline SVG: train / hold-out / test accuracy (%) against lambda, the lambda shown marked.

    ``curve`` is any solved points of one path (the curve fills in as the path is solved).
    """
    parts = [  # accessibility: the viewBox lets the curve shrink with the page (reflow at 320 CSS px)
        f'<svg class="lambda-curve" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'data-lam="{lam:.3e}" font-size="15">'
    ]
    left, right, top, bottom = 52, width - 24, 34, height - 58

    def x(v):
        return left + (v + 5) / 5 * (right - left)

    curve = sorted((s for s in curve if s.lam > 0), key=lambda s: s.lam)
    accs = np.array([[s.train_acc, s.holdout_acc, s.test_acc] for s in curve]).reshape(-1, 3)
    low = min(0.9, float(np.floor(accs.min() * 50) / 50)) if len(accs) else 0.9
    low = max(low, 0.0)

    def y(a):
        return top + (1 - (a - low) / (1 - low)) * (bottom - top)

    every = 5 if low < 0.85 else 2 if low < 0.95 else 1  # grid lines on round percentages
    for a in np.arange(-(-round(low * 100) // every) * every, 101, every) / 100:
        parts.append(f'<line x1="{left}" x2="{right}" y1="{y(a):.1f}" y2="{y(a):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(a) + 5:.1f}" text-anchor="end">{100 * a:.0f}%</text>')
    for decade in range(-5, 1):
        parts.append(f'<text x="{x(decade):.1f}" y="{bottom + 20}" text-anchor="middle">1e{decade}</text>')
    parts.append(
        f'<text x="{(left + right) / 2:.1f}" y="{bottom + 40}" text-anchor="middle">&lambda; (log scale)</text>'
    )
    lx = np.log10([s.lam for s in curve])
    for j, (split, colour) in enumerate(COLORS.items()):
        points = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(lx, accs[:, j]))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="3" stroke-dasharray="{DASHES[split]}" '
            f'points="{points}"/>'
        )
        if len(curve) < 12:
            dots = zip(lx, accs[:, j])
            parts += [f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="3" fill="{colour}"/>' for a, b in dots]
        parts.append(  # accessibility: a legend line in the split's dash pattern beside its name
            f'<line x1="{left + 10 + 110 * j}" x2="{left + 40 + 110 * j}" y1="{height - 7}" y2="{height - 7}" '
            f'stroke="{colour}" stroke-width="3" stroke-dasharray="{DASHES[split]}"/>'
            f'<text x="{left + 44 + 110 * j}" y="{height - 2}" fill="{colour}" font-weight="bold">'
            f"{LABELS[split]}</text>"
        )
    if lam > 0:
        mark = x(np.log10(lam))
        parts.append(
            f'<line x1="{mark:.1f}" x2="{mark:.1f}" y1="{top}" y2="{bottom}" stroke="crimson" stroke-width="2" '
            'stroke-dasharray="5"/>'
        )
    if len(curve) < len(SLIDER_LAMS):
        parts.append(
            f'<text x="{right}" y="{top - 14}" text-anchor="end" fill="#595959">'
            f"path: {len(curve)} of {len(SLIDER_LAMS)} positions solved</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


STYLE = """<style>
.explorer-root { font-size: 16px; }
.explorer-root .widget-label, .explorer-root select, .explorer-root button { font-size: 16px; }
.explorer-answer .explorer-title { display: flex; gap: 28px; align-items: baseline; margin: 0 0 4px; font-size: 22px; }
.explorer-lam { font-size: 34px; font-weight: bold; }
.explorer-refining { color: #b35900; font-weight: bold; }
.explorer-body { display: flex; gap: 24px; align-items: flex-start; }
.explorer-tiles { display: flex; flex-wrap: wrap; gap: 4px 8px; flex: none; }
.explorer-tiles figure { margin: 0; text-align: center; }
.explorer-tiles figcaption { font-size: 17px; font-weight: bold; }
.explorer-tiles img { image-rendering: pixelated; border: 1px solid #ccc; display: block; }
.explorer-scale { display: flex; align-items: center; gap: 8px; width: 100%; font-size: 16px; }
.explorer-scale .bar { flex: 1; height: 16px; border: 1px solid #999; }
.explorer-key { font-size: 14px; color: #444; width: 100%; }
.explorer-numbers { border-collapse: collapse; max-width: 300px; }
.explorer-numbers td { padding: 2px 10px 2px 0; font-size: 16px; white-space: nowrap; }
.explorer-numbers th { text-align: left; font-size: 18px; font-weight: normal; color: #444; }
.explorer-numbers td.note { font-size: 14px; color: #444; white-space: normal; }
.explorer-numbers tr.big td.value { font-size: 34px; font-weight: bold; }
.explorer-numbers tr.big td { font-size: 18px; }
.explorer-numbers tr.sub td { font-size: 15px; color: #444; padding-bottom: 6px; white-space: normal; }
.explorer-status { font-size: 16px; min-height: 1.4em; }
.explorer-notice { font-size: 16px; color: #a15c00; }
/* accessibility: a visible focus on every control, and reflow to one column at 320 CSS px / 200% zoom */
.explorer-root :focus-visible, .explorer-root .noUi-handle:focus { outline: 3px solid #1a1a1a; outline-offset: 2px; }
.explorer-live { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
@media (max-width: 900px) {
  .explorer-root, .explorer-root .widget-hbox { flex-wrap: wrap; max-width: 100%; }
  .explorer-root .widget-box > *, .explorer-root .widget-hbox > *, .explorer-tiles {
    width: auto !important; max-width: 100%;
  }
  .explorer-root .widget-slider { width: 100% !important; min-width: 0; }
  .explorer-root .widget-html, .explorer-root .widget-html-content { min-width: 0; max-width: 100%; }
  .explorer-body { flex-wrap: wrap; }
  .explorer-answer .explorer-title { flex-wrap: wrap; gap: 4px 16px; }
  .explorer-lam { font-size: 26px; white-space: nowrap; }
  .explorer-tiles img, .lambda-curve { max-width: 100%; height: auto; }
  .explorer-numbers td { white-space: normal; }
  .explorer-root { min-height: 0; }
  .jp-RenderedMarkdown code { overflow-wrap: anywhere; }  /* the page's long names wrap instead of scrolling */
}
</style>"""

# accessibility: ipywidgets gives the slider's handle no name and speaks its position (the exponent); this
# script, run once where the live region is drawn, names the handle and makes it speak lambda ("1.0 × 10⁻³"),
# and makes the live region's element (kept across updates) a polite status region.
# It runs again with each announcement; the handle is observed once (data-named). No // comments: it is one line.
ACCESSIBILITY_SCRIPT = """
const live = this.closest('.widget-html-content') || this.parentElement;
live.setAttribute('role', 'status'); live.setAttribute('aria-live', 'polite'); live.setAttribute('aria-atomic', 'true');
const sup = s => s.replace(/[-0-9]/g, c => '⁻⁰¹²³⁴⁵⁶⁷⁸⁹'['-0123456789'.indexOf(c)]);
const speak = exponent => {
  const e = Math.floor(exponent + 1e-9), m = Math.pow(10, exponent - e);
  return m.toFixed(1) + ' × 10' + sup(String(e));
};
const name = handle => {
  handle.setAttribute('aria-label', 'lambda, the strength of the penalty (log scale)');
  const now = parseFloat(handle.getAttribute('aria-valuenow'));
  const text = isNaN(now) ? '' : speak(now);
  if (text && handle.getAttribute('aria-valuetext') !== text) handle.setAttribute('aria-valuetext', text);
};
const watch = root => {
  const handle = root && root.querySelector('.noUi-handle');
  if (!handle) return false;
  name(handle);
  if (handle.dataset.named) return true;
  handle.dataset.named = '1';
  const watched = {attributes: true, attributeFilter: ['aria-valuenow', 'aria-valuetext']};
  new MutationObserver(() => name(handle)).observe(handle, watched);
  return true;
};
const start = () => watch(live.closest('.explorer-root')) || setTimeout(start, 200);
start();
"""


def live_html(text: str = "") -> str:
    """The live region's content: ``text`` and, hidden, the one-off script above (re-run harmlessly)."""
    script = html.escape(ACCESSIBILITY_SCRIPT.replace("\n", " "), quote=True)
    return f'<img hidden alt="" src="data:," onerror="{script}"><span>{html.escape(text)}</span>'


def announcement(solution: Solution) -> str:
    """What the live region says when an answer settles: the request and its three accuracies."""
    lam = f"{solution.lam:.1e}".replace("e-0", " times 10 to the minus ").replace("e+0", " times 10 to the ")
    return (
        f"{solution.penalty.upper()}, {task_text(solution.task)}, lambda {lam}: test accuracy "
        f"{solution.test_acc:.1%}, hold-out {solution.holdout_acc:.1%}, train {solution.train_acc:.1%}."
    )


LECTURE_STYLE = """<style>
/* Voila, lecture mode: the explorer first; the cells before it (the notebook's introduction and setup) hidden */
[cell-index]:has(~ [cell-index] .explorer-root) { display: none; }
.jp-Cell:has(~ .jp-Cell .explorer-root) { display: none; }
.explorer-root { min-height: 700px; }
[cell-index]:has(.explorer-still), .jp-Cell:has(.explorer-still) { display: none; }  /* a still, for readers */
</style>"""
