"""Figures: binary phenotypes, 3-D loss surfaces, genome drawings (matplotlib)."""

from lossevo.figures.augment import augment_examples, plot_augmentations
from lossevo.figures.graph import draw_genome
from lossevo.figures.phenotype import plot_phenotypes
from lossevo.figures.progress import plot_progress
from lossevo.figures.surface import loss_surface, plot_surface

__all__ = [
    "augment_examples",
    "draw_genome",
    "loss_surface",
    "plot_augmentations",
    "plot_phenotypes",
    "plot_progress",
    "plot_surface",
]
