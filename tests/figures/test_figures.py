"""Figures draw what they claim: curves equal the phenotypes, surfaces the loss terms."""

import numpy as np
import pytest
import tensorflow as tf

from lossevo import figures
from lossevo.losses import catalog, evolved_loss
from lossevo.space.graph import binary_phenotype, phenotype


def test_phenotype_plot_lines_are_the_phenotypes():
    fig = figures.plot_phenotypes({"NL1": catalog.NEUROLOSS1, "A2": catalog.A2})
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert set(lines) == {"cross-entropy", "NL1", "A2"}
    np.testing.assert_array_equal(lines["A2"].get_ydata(), binary_phenotype(catalog.A2))
    np.testing.assert_array_equal(lines["NL1"].get_xdata(), phenotype.GRID_Y_HAT[:, 1])
    raw = figures.plot_phenotypes([catalog.A2], normalized=False, include_ce=False, zoom=(0.9, 1.0))
    (line,) = raw.axes[0].get_lines()
    np.testing.assert_allclose(line.get_ydata(), binary_phenotype(catalog.A2, normalized=False))
    assert raw.axes[0].get_xlim() == (0.9, 1.0)


def test_raw_phenotype_is_the_loss_on_the_binary_grid():
    values = evolved_loss(catalog.A2, tf.constant(phenotype.GRID_Y), tf.constant(phenotype.GRID_Y_HAT))
    np.testing.assert_allclose(binary_phenotype(catalog.A2, normalized=False), values.numpy(), rtol=1e-6)


def test_surface_is_the_per_class_term():
    y, y_hat, z = figures.loss_surface(catalog.A2, n=7)
    assert z.shape == (7, 7)
    # One class: the per-example loss of a [1]-class input is the term itself.
    expected = evolved_loss(catalog.A2, tf.constant(y.reshape(-1, 1)), tf.constant(y_hat.reshape(-1, 1)))
    np.testing.assert_allclose(z.ravel(), expected.numpy(), rtol=1e-6)
    _, _, ce = figures.loss_surface(catalog.CROSS_ENTROPY, n=7)
    np.testing.assert_allclose(ce, -y * np.log(y_hat + 1e-7), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("diff", [False, True])
def test_surface_figure(diff):
    fig = figures.plot_surface(catalog.A2, diff_to_ce=diff, n=12, title="A2")
    ax = fig.axes[0]
    assert ax.name == "3d" and ax.get_title() == "A2"
    assert ("difference" in ax.get_zlabel()) is diff


def test_genome_drawing_colours_active_and_inactive_nodes():
    fig = figures.draw_genome(catalog.NEUROLOSS1)
    texts = {t.get_text(): t for t in fig.axes[0].texts}
    colour = {
        label.split("\n")[0]: t.get_bbox_patch().get_facecolor()
        for label, t in texts.items()
        if "\n" in label
    }
    assert colour["h0"] == colour["h1"] == colour["h2"]  # active
    assert colour["h3"] != colour["h0"]  # inactive
    assert colour["root"][:3] == (1.0, 1.0, 1.0)
    assert "(flip)" in fig.axes[0].get_title()
    fig.savefig(__import__("io").BytesIO(), format="png")


def test_augmentation_figure_shows_each_technique():
    from lossevo.data import synthetic

    images, _ = synthetic.generate(6, 0)
    examples = figures.augment_examples(images, 10, seed=3)
    assert list(examples) == ["original", "base", "cutout", "mixup", "randaug", "all", "cutmix"]
    np.testing.assert_array_equal(examples["original"], images[0])
    assert all(e.shape == (32, 32, 3) and e.dtype == np.uint8 for e in examples.values())
    assert len({e.tobytes() for e in examples.values()}) >= 5  # the techniques differ
    fig = figures.plot_augmentations(images, 10, seed=3)
    assert [ax.get_title() for ax in fig.axes] == list(examples)
    np.testing.assert_array_equal(fig.axes[4].images[0].get_array(), examples["randaug"])
