"""The lambda explorer: a slider over the regularisation path, answered at once, for a lecture hall.

One wing of the package, built on the solve pipeline (``optimum``); nothing below it imports it.

- ``path``: ``solve_for_lambda`` (alias ``fit_for_lambda``: ``optimum.solve`` with the explorer's
  tolerances) and ``PathCache``, the solved path kept in memory, each lambda started where the path points;
- ``store``: the solved path kept on disk across sessions (``PathStore``), checked as it is read;
- ``shipped``: the ten-digit path solved once and shipped with the package, looked up and checked;
  ``build`` makes it (``python -m digitlab path``);
- ``render``: an answer as HTML (weight PNGs, numbers) and the accuracy curve as SVG;
- ``worker``: one thread, the newest request first (``LatestWins``);
- ``widget``: ``Explorer``, the controls wired to the rest.

``from digitlab.explorer import Explorer, fit_for_lambda`` is what notebook 05 uses.
"""

from ..optimum import ALL_DIGITS, Solution
from .path import Abandoned, PathCache, fit_for_lambda, lambda_curve, solve_for_lambda, task_splits
from .render import answer_html, curve_svg, tile_png
from .widget import Explorer
from .worker import LatestWins

__all__ = [
    "ALL_DIGITS",
    "Abandoned",
    "Explorer",
    "LatestWins",
    "PathCache",
    "Solution",
    "answer_html",
    "curve_svg",
    "fit_for_lambda",
    "lambda_curve",
    "solve_for_lambda",
    "task_splits",
    "tile_png",
]
