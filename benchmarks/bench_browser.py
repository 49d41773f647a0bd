"""Benchmark: the lambda explorer as a person sees it, in Voila, driven by Playwright in Debian's Chromium.

Lecture mode exactly as the README starts it (``voila notebooks/05_lambda_explorer.ipynb``), a 1280 x 720
page. Every latency is measured inside the page: from the keydown, click or change event to the frame after
the answer for the new request (its lambda, task and penalty; ``data-state="final"``: the optimum, not an
iterate still being refined) is in the DOM. Printed per task and penalty: median, 95th percentile and worst

- of slider steps of 0.1 decade (arrow keys, up the slider and back; ``--think`` seconds between two, a
  lecturer looking),
- of fast drags of 0.5 decade (five arrow presses ``--drag-gap`` ms apart) into ground not yet visited,
  towards the far end of the slider: the settle time after the last press,
- of task switches, the first time each task and penalty is asked for in the session: a fresh page switched
  at once (nothing computed ahead for it), and the switches of the main session (2 vs 3 L2 -> L1 -> 4 vs 3
  -> all ten digits L1 -> L2); for these the time to the first answer on the page (an iterate marked
  "refining" counts) is printed too,

and beside each, the solver-only latency: the same requests, in the same order, solved in this process by
``PathCache.solve`` from the previous answer (no page, no path computed ahead; a switch is a cold
``solve_for_lambda``). Then the time from opening the page to a working explorer (the first answer on the
page, then one slider step answered). Each session has its own Voila server (a closed page's kernel goes
with it), and by default an empty disk cache (``--cache DIR`` to keep one across runs). Finally
(``--check``, on by default) every final answer the page showed is checked against the optimum: its
objective (``data-objective``) against a solve run far past the explorer's tolerance (ftol 1e-12, started
from the neighbouring slider position, never from the answer judged), as a relative gap, which must stay
under 1e-4.

The page answers ten digits from the path shipped with the package (``digitlab.explorer.shipped``), when its
key matches the data; the solver-only column never uses it, so it shows what a solve alone costs.

Run: ``.venv/bin/python benchmarks/bench_browser.py [--steps 12] [--drags 4] [--think 1.0] [--no-check]``.
Needs Chromium at /usr/bin/chromium and playwright (the test extra); reuses ``tests/browser_support.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import ARGS, CHROMIUM, voila  # noqa: E402

from digitlab.explorer.path import ALL_DIGITS, LAM_MAX, SLIDER_LAMS, SLIDER_STEP, PathCache, solve_for_lambda  # noqa: E402
from digitlab.explorer.shipped import FILE, load  # noqa: E402
from digitlab.threads import blas_on_one_thread  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "05_lambda_explorer.ipynb"
START = int(np.argmin(np.abs(SLIDER_LAMS - 1e-3)))  # the explorer opens at lambda 1e-3

PROBE = """
() => {
  const bench = window.__bench = {t0: null, first: null, final: null, answer: null};
  for (const kind of ['keydown', 'change', 'click']) {
    document.addEventListener(kind, () => { bench.t0 = performance.now(); }, true);
  }
  window.__arm = (want) => {
    bench.first = bench.final = bench.answer = null;
    const matches = (el) => el && el.dataset.task === want.task && el.dataset.penalty === want.penalty
      && Math.abs(parseFloat(el.dataset.lam) / want.lam - 1) < 1e-6;
    const look = () => {
      const el = document.querySelector('.explorer-answer');
      if (!matches(el)) return;
      const state = el.dataset.state, data = {...el.dataset};
      requestAnimationFrame(() => {  // the frame that shows it
        const now = performance.now();
        if (bench.first === null) bench.first = now;
        if (state === 'final' && bench.final === null) { bench.final = now; bench.answer = data; }
      });
      if (state === 'final') observer.disconnect();
    };
    const observer = new MutationObserver(look);
    observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  };
}
"""


def task_name(task) -> str:
    return "all ten digits" if task == ALL_DIGITS else f"{task[0]} vs {task[1]}"


class Page:
    """One Voila session of the explorer, driven as a person would, timing every answer."""

    def __init__(self, browser, url: str, timeout: float):
        self.page = browser.new_page(viewport={"width": 1280, "height": 720})
        self.timeout = timeout
        started = time.perf_counter()
        self.page.goto(url, timeout=timeout * 1e3)
        self.page.wait_for_selector(".explorer-answer[data-state='final']", timeout=timeout * 1e3)
        self.shown_s = time.perf_counter() - started
        self.page.evaluate(PROBE)
        self.state = {"task": (2, 3), "penalty": "l2", "index": START}
        self.answers = []  # every final answer seen: (task, penalty, lam, objective)
        self.requests = []  # (kind, task, penalty, lam) in the order asked

    def _expect(self):
        s = self.state
        return {"task": task_name(s["task"]), "penalty": s["penalty"], "lam": float(SLIDER_LAMS[s["index"]])}

    def _measure(self, act, kind: str) -> tuple[float, float]:
        """Arm the probe for the state after ``act``, run it, wait: (first answer ms, final answer ms)."""
        self.page.evaluate("want => window.__arm(want)", self._expect())
        act()
        self.page.wait_for_function("() => window.__bench.final !== null", timeout=self.timeout * 1e3)
        bench = self.page.evaluate("window.__bench")
        s = self.state
        lam = float(SLIDER_LAMS[s["index"]])
        self.answers.append((s["task"], s["penalty"], lam, float(bench["answer"]["objective"])))
        self.requests.append((kind, s["task"], s["penalty"], lam))
        return bench["first"] - bench["t0"], bench["final"] - bench["t0"]

    def step(self, direction: int) -> tuple[float, float]:
        self.page.locator(".noUi-handle").first.focus()
        self.state["index"] += direction
        key = "ArrowRight" if direction > 0 else "ArrowLeft"
        return self._measure(lambda: self.page.keyboard.press(key), "step")

    def drag(self, direction: int, positions: int, gap_ms: float) -> tuple[float, float]:
        handle = self.page.locator(".noUi-handle").first
        handle.focus()
        key = "ArrowRight" if direction > 0 else "ArrowLeft"
        self.state["index"] += direction * positions

        def act():
            for i in range(positions):
                self.page.keyboard.press(key)
                if i < positions - 1:
                    self.page.wait_for_timeout(gap_ms)

        return self._measure(act, "drag")

    def switch(self, task=None, penalty=None) -> tuple[float, float]:
        """Change the task (a pair or all ten digits) or the penalty with the page's own controls."""
        page = self.page
        if penalty is not None:
            self.state["penalty"] = penalty
            return self._measure(lambda: page.get_by_role("button", name=penalty.upper(), exact=True).click(), "switch")
        old = self.state["task"]
        self.state["task"] = task
        selects = page.locator(".explorer-root .widget-dropdown select")
        if task == ALL_DIGITS:
            return self._measure(lambda: selects.nth(0).select_option(label="all ten digits"), "switch")
        if old == ALL_DIGITS:  # back to a pair: the digit dropdowns reappear with their last values
            raise ValueError("switch to a pair from a pair")
        first_change = task[0] != old[0]
        if first_change and task[1] != old[1]:
            raise ValueError("change one digit at a time")
        which, digit = (1, task[0]) if first_change else (2, task[1])
        return self._measure(lambda: selects.nth(which).select_option(label=str(digit)), "switch")


def summary(values) -> tuple[float, float, float]:
    v = np.asarray(values, dtype=float)
    return float(np.median(v)), float(np.percentile(v, 95)), float(v.max())


def solver_only(task, penalty: str, start: float, requests) -> list[float]:
    """The same requests solved in-process, in order, each from the answers before it (no path ahead).

    The path starts as the page's did: one solve at ``start``, the lambda the task was switched at.
    """
    cache, times = PathCache(max_solutions=10_000), []
    with blas_on_one_thread():
        cache.solve(task, penalty, start)
        for _kind, _task, _penalty, lam in requests:
            started = time.perf_counter()
            cache.solve(task, penalty, lam)
            times.append(1e3 * (time.perf_counter() - started))
    return times


def cold_solver_ms(task, penalty, lam) -> float:
    with blas_on_one_thread():
        started = time.perf_counter()
        solve_for_lambda(task, penalty, lam)
        return 1e3 * (time.perf_counter() - started)


def gaps(answers) -> dict:
    """Per (task, penalty): the largest relative gap of a shown final answer's objective to the optimum.

    The optimum is solved to ftol 1e-12 from the neighbouring slider position's weights, never from the
    answer being judged: for ten digits the shipped path's neighbour, for a digit pair the neighbour solved here.
    """
    worst, where, cache, shipped = {}, {}, PathCache(max_solutions=10_000), load()
    with blas_on_one_thread():
        for task, penalty, lam, objective in sorted(set(answers), key=lambda a: (str(a[0]), a[1], -a[2])):
            other = lam * 10**SLIDER_STEP if lam < LAM_MAX / 2 else lam / 10**SLIDER_STEP
            if task == ALL_DIGITS and shipped is not None:
                start = shipped[penalty][int(np.argmin(np.abs(np.log10(SLIDER_LAMS / other))))].w
            else:
                start = cache.solve(task, penalty, other).w
            best = solve_for_lambda(task, penalty, lam, warm_start=start, tol=1e-12).objective
            gap = (objective - best) / best
            if gap > worst.get((task, penalty), -np.inf):
                worst[task, penalty], where[task, penalty] = gap, lam
    return {key: (gap, where[key]) for key, gap in worst.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12, help="slider steps of 0.1 decade per task and penalty")
    parser.add_argument("--drags", type=int, default=4, help="fast drags of 0.5 decade per task and penalty")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between two steps (a person looking)")
    parser.add_argument("--drag-gap", type=float, default=40.0, help="ms between the arrow presses of one drag")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds before any one wait fails")
    parser.add_argument(
        "--cache",
        help="the explorer's disk cache (DIGITLAB_CACHE) for the Voila server: default a new, empty folder "
        "(no path kept from an earlier session); pass the same folder twice to measure a second session",
    )
    parser.add_argument("--screenshot", help="save the page at the end (1280 x 720) to this PNG")
    parser.add_argument("--no-check", dest="check", action="store_false", help="skip the check against the optimum")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    rows, switches, answers, opened = [], [], [], {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DIGITLAB_CACHE"] = args.cache or str(Path(tmp) / "cache")  # the server's kernels inherit it
        kept = len(list(Path(os.environ["DIGITLAB_CACHE"]).rglob("*.npz")))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            for session in (fresh_page, main_session):  # one server each: a closed page's kernel goes with it
                with voila(NOTEBOOK, Path(tmp)) as url:
                    session(browser, url, args, rows, switches, answers, opened)
            browser.close()
    print(f"disk cache: {os.environ['DIGITLAB_CACHE']} ({kept} solutions kept from earlier sessions at the start)")
    shipped = "in use" if load() is not None else "missing or made for other data: ten digits are solved"
    print(f"shipped ten-digit path ({FILE.name}): {shipped}")
    report(args, rows, switches, answers, opened)


def fresh_page(browser, url, args, rows, switches, answers, opened) -> None:
    """How soon a new page works, then switches made at once (nothing computed ahead for them)."""
    page = Page(browser, url, args.timeout)
    opened["shown"] = page.shown_s
    opened["step"] = page.step(-1)[1] / 1e3
    for change in ({"task": ALL_DIGITS}, {"penalty": "l1"}):
        first, final = page.switch(**change)
        _, task, penalty, lam = page.requests[-1]
        switches.append(("fresh page", task, penalty, lam, first, final))
    answers += page.answers
    page.page.close()


def main_session(browser, url, args, rows, switches, answers, opened) -> None:
    """Per task and penalty: a switch, steps to and fro, then fast drags into new ground."""
    # 2. the main session: per task and penalty, a switch, steps, then fast drags
    page = Page(browser, url, args.timeout)
    plan = [
        ((2, 3), "l2", None),
        ((2, 3), "l1", {"penalty": "l1"}),
        ((4, 3), "l1", {"task": (4, 3)}),
        (ALL_DIGITS, "l1", {"task": ALL_DIGITS}),
        (ALL_DIGITS, "l2", {"penalty": "l2"}),
    ]
    for task, penalty, change in plan:
        if change is not None:
            page.page.wait_for_timeout(args.think * 1e3)
            first, final = page.switch(**change)
            lam = float(SLIDER_LAMS[page.state["index"]])
            switches.append(("session", task, penalty, lam, first, final))
        if task == (4, 3):
            continue  # a second pair: the switch is what is measured
        mark, start = len(page.requests), float(SLIDER_LAMS[page.state["index"]])
        steps, drags = [], []
        for i in range(args.steps):  # up the slider and back: a lecturer stepping to and fro
            page.page.wait_for_timeout(args.think * 1e3)
            steps.append(page.step(1 if i < (args.steps + 1) // 2 else -1))
        direction = -1 if page.state["index"] >= 20 else 1  # drags into new ground, towards the far end
        for _ in range(args.drags):
            page.page.wait_for_timeout(args.think * 1e3)
            if not 0 <= page.state["index"] + 5 * direction < len(SLIDER_LAMS):
                direction = -direction
            drags.append(page.drag(direction, 5, args.drag_gap))
        rows.append((task, penalty, start, steps, drags, page.requests[mark:]))
    answers += page.answers
    if args.screenshot:
        page.page.screenshot(path=args.screenshot)
    page.page.close()


def report(args, rows, switches, answers, opened) -> None:
    print(
        f"Voila, lecture mode, 1280 x 720: page opened -> explorer shown {opened['shown']:.1f} s; "
        f"its first slider step answered {1e3 * opened['step']:.0f} ms later"
    )
    print(
        f"steps: think {args.think:.1f} s between two; drags: 5 positions, {args.drag_gap:.0f} ms apart; "
        "all times ms.\npage = to the optimum on the page; first answer = to the first answer for the new lambda "
        "(an iterate marked refining counts); solver = PathCache.solve in-process, same requests, no page, "
        "no path ahead"
    )
    print(
        f"{'task':15} {'pen':3} {'kind':9} {'n':>3} | {'page median':>11} {'p95':>6} {'worst':>6} | "
        f"{'first answer':>12} {'worst':>6} | {'solver median':>13} {'p95':>6} {'worst':>6}"
    )
    for task, penalty, start, steps, drags, requests in rows:
        alone = solver_only(task, penalty, start, requests)
        step_alone = [t for t, r in zip(alone, requests) if r[0] == "step"]
        drag_alone = [t for t, r in zip(alone, requests) if r[0] == "drag"]
        for kind, page_ms, solver_ms in (("step 0.1", steps, step_alone), ("drag 0.5", drags, drag_alone)):
            if page_ms:
                first, final = zip(*page_ms)
                first_median, _, first_worst = summary(first)
                print(
                    f"{task_name(task):15} {penalty:3} {kind:9} {len(page_ms):3d} | "
                    + "{:11.0f} {:6.0f} {:6.0f} | ".format(*summary(final))
                    + f"{first_median:12.0f} {first_worst:6.0f} | "
                    + "{:13.0f} {:6.0f} {:6.0f}".format(*summary(solver_ms))
                )
    print(
        "\ntask switches, first time in the session (ms): page first answer (may be refining) / final; "
        "solver-only = a cold solve_for_lambda"
    )
    print(f"{'where':10} {'task':15} {'pen':3} {'lambda':>8} | {'first':>6} {'final':>6} | {'solver':>6}")
    for where, task, penalty, lam, first, final in switches:
        cold = cold_solver_ms(task, penalty, lam)  # after the pages, not competing with them
        print(f"{where:10} {task_name(task):15} {penalty:3} {lam:8.1e} | {first:6.0f} {final:6.0f} | {cold:6.0f}")
    if args.check:
        print("\nevery final answer shown against the optimum (ftol 1e-10): largest relative objective gap")
        for (task, penalty), (gap, lam) in gaps(answers).items():
            verdict = "within" if gap <= 1e-4 else "OVER"
            print(f"{task_name(task):15} {penalty:3} {gap:9.1e} at lambda {lam:.1e} ({verdict} 1e-4)")


if __name__ == "__main__":
    main()
