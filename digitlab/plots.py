"""Figures: weight images, digit grids, training curves, lambda sweeps, confusion matrices.

Every helper takes ``ax=None`` (a new figure when omitted) and returns the
Axes it drew on; none of them trains anything. ``set_style()`` sets the house
style once through rcParams.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "COLORS",
    "set_style",
    "plot_confusion",
    "plot_curves",
    "plot_digits",
    "plot_lambda_sweep",
    "plot_weights",
    "weight_limit",
    "weight_row",
]

#: One colour per split, used by every curve.
COLORS = {"train": "#1f77b4", "holdout": "#ff7f0e", "test": "#2ca02c"}


def set_style() -> None:
    """The house style: modest dpi, light grid, no top/right spines.

    Introduced in ``01_gradient_derivation.ipynb``.
    """
    mpl.rcParams.update(
        {
            "figure.dpi": 72,
            "savefig.dpi": 72,
            "figure.figsize": (6.0, 3.6),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": "medium",
            "legend.frameon": False,
            "image.interpolation": "nearest",
        }
    )


def _axes(ax):
    return plt.subplots()[1] if ax is None else ax


def weight_limit(weights: np.ndarray) -> float:
    """The colour limit shared by a row of weight images: the largest |weight| (bias left out)."""
    return float(np.max(np.abs(np.asarray(weights)[..., 1:]))) or 1.0


def plot_weights(w: np.ndarray, ax=None, vmax: float | None = None, title: str | None = None):
    """One weight vector ``(785,)`` (bias first) as a 28 x 28 image, diverging colours centred at 0.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    ax = _axes(ax)
    vmax = weight_limit(w) if vmax is None else vmax
    ax.imshow(np.asarray(w)[1:].reshape(28, 28), cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title is not None:
        ax.set_title(title)
    return ax


def weight_row(weights: np.ndarray, axes, titles=None):
    """Several weight vectors, ``(m, 785)``, on one shared colour scale; returns the axes.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    weights = np.asarray(weights)
    vmax = weight_limit(weights)
    titles = titles if titles is not None else [None] * len(weights)
    for w, ax, title in zip(weights, np.ravel(axes), titles):
        plot_weights(w, ax=ax, vmax=vmax, title=title)
    return axes


def plot_digits(images: np.ndarray, labels=None, ncols: int = 10, axes=None):
    """A grid of digit images ``(m, 28, 28)`` (or ``(m, 784)``), optionally titled with labels.

    Returns the array of Axes. Introduced in ``02_logistic_regression.ipynb``.
    """
    images = np.asarray(images).reshape(-1, 28, 28)
    nrows = int(np.ceil(len(images) / ncols))
    if axes is None:
        _, axes = plt.subplots(nrows, ncols, figsize=(ncols * 0.8, nrows * 0.9), squeeze=False)
    axes = np.asarray(axes)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap="gray_r")
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize="small")
    return axes


def plot_curves(history: dict, metric: str = "loss", ax=None, title: str | None = None, best_epoch=None):
    """Train / hold-out / test ``metric`` ("loss" or "acc") of a ``Fit.history`` against epochs.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    ax = _axes(ax)
    for split, color in COLORS.items():
        ax.plot(history["epoch"], history[f"{split}_{metric}"], color=color, label=split)
    if best_epoch is not None:
        ax.axvline(best_epoch, color="gray", linestyle=":", label="kept")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy" if metric == "loss" else "accuracy")
    ax.legend()
    if title is not None:
        ax.set_title(title)
    return ax


def plot_lambda_sweep(lams, values, ax=None, label=None, ylabel="test accuracy", mark=None, **line):
    """``values`` against ``lams`` on a log axis; ``mark`` highlights one lambda.

    Introduced in ``03_regularization.ipynb``.
    """
    ax = _axes(ax)
    ax.plot(lams, values, marker="o", label=label, **line)
    ax.set_xscale("log")
    ax.set_xlabel("lambda")
    ax.set_ylabel(ylabel)
    if mark is not None:
        ax.axvline(mark, color="crimson", linestyle="--")
    if label is not None:
        ax.legend()
    return ax


def plot_confusion(y_true, y_pred, n_classes: int = 10, ax=None, title: str | None = None):
    """The confusion matrix (rows: true digit, columns: predicted), counts written in the cells.

    Introduced in ``04_softmax_regression.ipynb``.
    """
    ax = _axes(ax)
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    ax.imshow(counts, cmap="Blues")
    for (i, j), c in np.ndenumerate(counts):
        if c:
            ax.text(
                j,
                i,
                str(c),
                ha="center",
                va="center",
                fontsize="x-small",
                color="white" if c > counts.max() / 2 else "black",
            )
    ax.set_xticks(range(n_classes))
    ax.set_yticks(range(n_classes))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.grid(False)
    if title is not None:
        ax.set_title(title)
    return ax
