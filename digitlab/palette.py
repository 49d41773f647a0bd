"""Colours, colour maps and colour limits: one place for the figures (``plots``) and the explorer's page.

A meaning has one look and one name everywhere (``STYLES``, ``LABELS``):
train / hold-out / test and L1 / L2 each an Okabe-Ito colour (told apart under
the common colour-vision deficiencies) at 3:1 or more against white, with its
own line style and marker, so colour never carries a meaning alone. A weight
image is drawn on the diverging map ``WEIGHT_CMAP`` (blue negative, white zero,
red positive) between ``-weight_limit`` and ``+weight_limit``, with a scale
that gives its numbers.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["COLORS", "DASHES", "LABELS", "STYLES", "WEIGHT_CMAP", "weight_colors", "weight_limit"]

#: One look per meaning, used by every figure: colour (>= 3:1 on white), line style and marker.
STYLES = {
    "train": {"color": "#0072B2", "linestyle": "-", "marker": "o"},  # Okabe-Ito blue
    "holdout": {"color": "#D55E00", "linestyle": "--", "marker": "s"},  # vermillion
    "test": {"color": "#007A5E", "linestyle": "-.", "marker": "^"},  # bluish green, darkened to 5.3:1
    "l2": {"color": "#332288", "linestyle": "-", "marker": "o"},  # indigo
    "l1": {"color": "#AA3377", "linestyle": "--", "marker": "D"},  # purple
    "kept": {"color": "#595959", "linestyle": ":", "marker": None},  # grey reference lines
}
#: One colour per split, used by every curve (figures and the explorer's accuracy curve).
COLORS = {split: STYLES[split]["color"] for split in ("train", "holdout", "test")}
#: The splits' line styles as SVG dash patterns (the explorer's accuracy curve).
DASHES = {"train": "", "holdout": "9 5", "test": "9 4 2 4"}
#: How a meaning is named wherever a person reads it.
LABELS = {"train": "train", "holdout": "hold-out", "test": "test", "l1": "L1", "l2": "L2"}
#: Weight images: blue for negative weights, white at zero, red for positive.
WEIGHT_CMAP = "RdBu_r"


def weight_limit(weights: np.ndarray) -> float:
    """The colour limit shared by a row of weight images: the largest |weight| (bias left out).

    ``weights``: one vector ``(785,)`` or a stack ``(k, 785)``, bias first in each.
    """
    return float(np.max(np.abs(np.asarray(weights)[..., 1:]))) or 1.0


@functools.lru_cache(maxsize=1)
def weight_colors() -> np.ndarray:
    """``WEIGHT_CMAP`` as 256 RGB rows, ``uint8 (256, 3)``: index 0 is ``-limit``, 255 is ``+limit``."""
    import matplotlib

    return (matplotlib.colormaps[WEIGHT_CMAP](np.linspace(0, 1, 256))[:, :3] * 255).round().astype(np.uint8)
