import matplotlib.pyplot as plt
import numpy as np

import digitlab as dl
from digitlab import plots


def test_every_plot_helper_draws_on_the_axes_it_is_given(splits):
    plots.set_style()
    fit = dl.fit_softmax(splits, epochs=2)
    fig, axes = plt.subplots(2, 3)
    for ax, draw in zip(
        axes.ravel(),
        [
            lambda ax: plots.plot_weights(fit.w[:, 3], ax=ax, title="3"),
            lambda ax: plots.plot_curves(fit.history, "loss", ax=ax, best_epoch=fit.best_epoch),
            lambda ax: plots.plot_curves(fit.history, "acc", ax=ax),
            lambda ax: plots.plot_lambda_sweep([1e-3, 1e-2, 1e-1], [0.9, 0.8, 0.5], ax=ax, label="L2", mark=1e-2),
            lambda ax: plots.plot_confusion(splits.test.y, dl.softmax_predict(fit.w, splits.test.X), ax=ax),
            lambda ax: plots.plot_weights(np.zeros(785), ax=ax),
        ],
    ):
        assert draw(ax) is ax
    assert axes[0, 1].get_lines()[0].get_ydata()[0] == fit.history["train_loss"][0]
    image = axes[0, 0].images[0]
    assert image.get_array().shape == (28, 28) and image.norm.vmin == -image.norm.vmax
    fig.canvas.draw()
    plt.close("all")


def test_weight_row_shares_one_scale_and_new_axes_when_none_given(mnist):
    fig, axes = plt.subplots(1, 3)
    weights = np.random.default_rng(0).normal(size=(3, 785)) * [[1], [2], [3]]
    plots.weight_row(weights, axes)
    limits = {ax.images[0].norm.vmax for ax in axes}
    assert limits == {plots.weight_limit(weights)}
    grid = plots.plot_digits(mnist.test_images[:12], mnist.test_labels[:12], ncols=6)
    assert grid.shape == (2, 6) and grid[0, 0].get_title() == str(mnist.test_labels[0])
    assert plots.plot_weights(weights[0]).figure is not fig
    plt.close("all")


def test_house_style_is_legible_on_a_projector_and_accuracy_is_in_percent(splits):
    import matplotlib as mpl

    plots.set_style()
    assert mpl.rcParams["figure.dpi"] >= 110 and mpl.rcParams["savefig.dpi"] >= 110
    assert 12 <= mpl.rcParams["font.size"] <= 14
    history = {"epoch": np.arange(3), **{f"{s}_acc": np.array([0.5, 0.9, 0.95]) for s in ("train", "holdout", "test")}}
    ax = plots.plot_curves(history, "acc")
    assert ax.get_ylabel() == "accuracy (%)" and ax.get_lines()[0].get_ydata()[-1] == 95.0
    fig, axes = plt.subplots(1, 3)
    plots.weight_row(np.random.default_rng(1).normal(size=(3, 785)), axes)
    assert len(fig.axes) == 4 and fig.axes[-1].get_ylabel() == "weight"  # one colour bar for the row
    ax = plots.plot_confusion(splits.test.y[:50], splits.test.y[:50])
    assert len(ax.figure.axes) == 2 and ax.get_xlabel() == "predicted digit"
    texts = [t.get_text() for t in ax.texts]
    assert sum(int(t) for t in texts) == 50
    plt.close("all")
