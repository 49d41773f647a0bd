"""Colours, colour maps and colour limits: one place for the figures (``plots``) and the explorer's page.

A split has one colour and one name everywhere (``COLORS``, ``LABELS``); a
weight image is drawn on the diverging map ``WEIGHT_CMAP`` (blue negative,
white zero, red positive) between ``-weight_limit`` and ``+weight_limit``.
Colour never carries a meaning alone: every curve is named in a legend or a
label beside it, every weight image has a scale with its numbers.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["COLORS", "LABELS", "WEIGHT_CMAP", "weight_colors", "weight_limit"]

#: One colour per split, used by every curve (figures and the explorer's accuracy curve).
COLORS = {"train": "#1f77b4", "holdout": "#ff7f0e", "test": "#2ca02c"}
#: How a split is named wherever a person reads it.
LABELS = {"train": "train", "holdout": "hold-out", "test": "test"}
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
