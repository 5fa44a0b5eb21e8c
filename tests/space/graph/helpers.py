"""Shared test helpers."""

import numpy as np
import tensorflow as tf

from lossevo.losses.evolved import evolved_loss
from lossevo.space.graph import phenotype as pheno
from lossevo.space.graph.genome import Genome


def tf_curve(genome: Genome) -> np.ndarray:
    """`L(p)` on the check grid through the TensorFlow path (flip ignored)."""
    unflipped = genome.replace(flip=False)
    return evolved_loss(unflipped, tf.constant(pheno.GRID_Y), tf.constant(pheno.GRID_Y_HAT)).numpy()


def tf_check(genome: Genome) -> pheno.CheckResult:
    return pheno.check_curve(tf_curve(genome))
