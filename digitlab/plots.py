"""Figures: weight images, digit grids, training curves, lambda sweeps, confusion matrices.

Every helper takes ``ax=None`` (a new figure when omitted) and returns the
Axes it drew on; none of them trains anything. ``set_style()`` sets the house
style once through rcParams: figures legible on a projector at 1280 x 720
(110 dpi, 13 pt text), accuracy always in percent, and every weight image with
a colour bar (zero in the middle, one scale per row).

Colour never carries a meaning alone: each meaning the figures share (train,
hold-out, test; L1, L2) has one entry in ``STYLES``, a colour from the
Okabe-Ito palette (told apart under the common colour-vision deficiencies),
at least 3:1 against the white page, together with its own line style and
marker. Every figure uses those entries, so L2 looks the same everywhere.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler

from .figure_text import show
from .palette import COLORS, LABELS, STYLES, WEIGHT_CMAP, weight_limit
from .stats import confusion_matrix

__all__ = [
    "COLORS",
    "DPI",
    "FONT_SIZE",
    "LABELS",
    "STYLES",
    "plot_confusion",
    "plot_curves",
    "plot_digits",
    "plot_lambda_sweep",
    "plot_weights",
    "set_style",
    "show",
    "style",
    "weight_colorbar",
    "weight_limit",
    "weight_row",
]

#: Any other line (a figure's own series): the same palette, each colour with its own dash pattern.
CYCLE = cycler(color=["#0072B2", "#D55E00", "#007A5E", "#AA3377", "#332288", "#595959"]) + cycler(
    linestyle=["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2))]
)
DPI = 110  # legible on a wall at 1280 x 720; PNGs stay small
FONT_SIZE = 13


def set_style() -> None:
    """The house style: 110 dpi, 13 pt text, light grid, no top/right spines, layouts that keep labels in,
    and a line cycle where colour and dash pattern change together (colour is never the only difference).

    Introduced in ``01_gradient_derivation.ipynb``.
    """
    mpl.rcParams.update(
        {
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
            "figure.figsize": (7.0, 4.2),
            "figure.constrained_layout.use": True,
            "font.size": FONT_SIZE,
            "axes.titlesize": FONT_SIZE + 1,
            "axes.labelsize": FONT_SIZE,
            "xtick.labelsize": FONT_SIZE - 1,
            "ytick.labelsize": FONT_SIZE - 1,
            "legend.fontsize": FONT_SIZE - 1,
            "figure.titlesize": FONT_SIZE + 2,
            "lines.linewidth": 2.0,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "image.interpolation": "nearest",
            "axes.prop_cycle": CYCLE,
        }
    )


def style(meaning: str, markers: bool = True) -> dict:
    """Keyword arguments for ``ax.plot`` that draw ``meaning`` ("train", "holdout", "test", "l1", "l2", "kept").

    Markers sit at about ten places along a line (``markevery``), so a long curve stays readable.
    Raises ``KeyError`` naming the known meanings for any other.
    """
    key = meaning.lower().replace("-", "")
    if key not in STYLES:
        raise KeyError(f"no figure style for {meaning!r}; known: {sorted(STYLES)}")
    kwargs = dict(STYLES[key])
    if not markers or kwargs["marker"] is None:
        kwargs.pop("marker")
    else:
        kwargs.update(markevery=0.1, markersize=6)
    return kwargs


def _axes(ax):
    return plt.subplots()[1] if ax is None else ax


def plot_weights(w: np.ndarray, ax=None, vmax: float | None = None, title: str | None = None, colorbar: bool = False):
    """One weight vector ``(785,)`` (bias first) as a 28 x 28 image, diverging colours centred at 0.

    Red pixels push the score up, blue down; ``colorbar=True`` adds the scale beside the image.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    ax = _axes(ax)
    vmax = weight_limit(w) if vmax is None else vmax
    image = ax.imshow(np.asarray(w)[1:].reshape(28, 28), cmap=WEIGHT_CMAP, vmin=-vmax, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.spines[:].set_visible(False)
    if title is not None:
        ax.set_title(title)
    if colorbar:
        weight_colorbar(image, ax)
    return ax


def weight_colorbar(image, axes, label: str = "weight"):
    """A colour bar for weight images drawn on one scale (``image`` one of them, ``axes`` all of them)."""
    axes = list(np.ravel(axes))
    bar = axes[0].figure.colorbar(image, ax=axes, shrink=0.9, pad=0.02, aspect=15)
    bar.set_label(label)
    return bar


def weight_row(weights: np.ndarray, axes, titles=None, colorbar: bool = True, label: str = "weight"):
    """Several weight vectors, ``(m, 785)``, on one shared colour scale with one colour bar; returns the axes.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    weights = np.asarray(weights)
    vmax = weight_limit(weights)
    titles = titles if titles is not None else [None] * len(weights)
    for w, ax, title in zip(weights, np.ravel(axes), titles):
        plot_weights(w, ax=ax, vmax=vmax, title=title)
    if colorbar:
        used = np.ravel(axes)[: len(weights)]
        weight_colorbar(used[0].images[0], used, label)
    return axes


def plot_digits(images: np.ndarray, labels=None, ncols: int = 10, axes=None):
    """A grid of digit images ``(m, 28, 28)`` (or ``(m, 784)``), optionally titled with labels.

    Pixels run from 0 (white) to 1 or 255 (black). Returns the array of Axes.
    Introduced in ``02_logistic_regression.ipynb``.
    """
    images = np.asarray(images).reshape(-1, 28, 28)
    nrows = int(np.ceil(len(images) / ncols))
    if axes is None:
        _, axes = plt.subplots(nrows, ncols, figsize=(ncols * 1.0, nrows * 1.2), squeeze=False)
    axes = np.asarray(axes)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap="gray_r")
            if labels is not None:
                ax.set_title(str(labels[i]))
    return axes


def plot_curves(
    history: dict,
    metric: str = "loss",
    ax=None,
    title: str | None = None,
    best_epoch=None,
    xlabel: str = "epoch",
    legend: bool = True,
):
    """Train / hold-out / test ``metric`` ("loss" or "acc") of a ``Fit.history`` against epochs.

    Accuracy is drawn in percent. Introduced in ``02_logistic_regression.ipynb``.
    """
    ax = _axes(ax)
    scale = 100 if metric == "acc" else 1
    for split in COLORS:
        ax.plot(history["epoch"], scale * np.asarray(history[f"{split}_{metric}"]), label=LABELS[split], **style(split))
    if best_epoch is not None:
        ax.axvline(best_epoch, label="kept", **style("kept"))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cross-entropy (mean)" if metric == "loss" else "accuracy (%)")
    if legend:
        ax.legend()
    if title is not None:
        ax.set_title(title)
    return ax


def plot_lambda_sweep(lams, values, ax=None, label=None, ylabel="test accuracy (%)", mark=None, intervals=None, **line):
    """``values`` against ``lams`` on a log axis; ``intervals`` ((low, high) per lambda) draws error bars.

    ``mark`` highlights one lambda. A ``label`` of "L1" or "L2" takes that penalty's colour, line and marker.
    Introduced in ``03_regularization.ipynb``.
    """
    ax = _axes(ax)
    values = np.asarray(values, dtype=float)
    if label is not None and label.lower() in STYLES:
        line = {**{k: v for k, v in style(label).items() if k != "markevery"}, **line}
    line.setdefault("marker", "o")
    if intervals is None:
        ax.plot(lams, values, label=label, **line)
    else:
        low, high = np.asarray(intervals, dtype=float).T
        ax.errorbar(lams, values, yerr=[values - low, high - values], capsize=4, label=label, **line)
    ax.set_xscale("log")
    ax.set_xlabel("lambda")
    ax.set_ylabel(ylabel)
    if mark is not None:
        ax.axvline(mark, **style("kept"))
    if label is not None:
        ax.legend()
    return ax


def plot_confusion(y_true, y_pred, n_classes: int = 10, ax=None, title: str | None = None):
    """The confusion matrix (rows: true digit, columns: predicted), every count written in its cell.

    The colour shows the mistakes only (the diagonal, the correct images, is grey), so the
    few confusions that matter stand out beside the ~200 correct images per digit.

    Introduced in ``04_softmax_regression.ipynb``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 5.1))  # fits a 720 px screen
    counts = confusion_matrix(y_true, y_pred, n_classes)
    mistakes = np.where(np.eye(n_classes, dtype=bool), np.nan, counts)
    top = max(np.nanmax(mistakes), 1)
    image = ax.imshow(mistakes, cmap="Reds", vmin=0, vmax=top)
    ax.imshow(np.where(np.eye(n_classes, dtype=bool), 1.0, np.nan), cmap="Greys", vmin=0, vmax=4)
    for (i, j), c in np.ndenumerate(counts):
        if c:
            dark = i != j and c > top / 2
            weight = "bold" if i == j else "normal"
            ax.text(
                j,
                i,
                str(c),
                ha="center",
                va="center",
                fontsize=FONT_SIZE - 2,
                fontweight=weight,
                color="white" if dark else "black",
            )
    ax.set_xticks(range(n_classes))
    ax.set_yticks(range(n_classes))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="mistakes (images)")
    if title is not None:
        ax.set_title(title)
    return ax
