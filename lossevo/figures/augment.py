"""One image under each augmentation technique (paper 000, Fig. 2)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from lossevo.data.pipelines import TECHNIQUES, AugmentConfig, augment_batch

DEFAULT_TECHNIQUES = ("base", "cutout", "mixup", "randaug", "all", "cutmix")


def augment_examples(
    images: np.ndarray,
    num_classes: int,
    techniques: tuple[str, ...] = DEFAULT_TECHNIQUES,
    seed: int = 0,
    config: AugmentConfig | None = None,
) -> dict[str, np.ndarray]:
    """The first image of `images` (uint8 `[B, H, W, 3]`, B >= 2 for mixing) under each
    technique, as uint8 arrays keyed by technique ("original" first)."""
    config = config or AugmentConfig()
    images = tf.convert_to_tensor(images, tf.uint8)
    labels = tf.one_hot(tf.range(tf.shape(images)[0]) % num_classes, num_classes)
    out = {"original": images[0].numpy()}
    for technique in techniques:
        x, _ = augment_batch(images, labels, TECHNIQUES[technique], config, tf.constant([seed, 0], tf.int64))
        out[technique] = tf.cast(
            tf.clip_by_value(tf.round(tf.cast(x[0], tf.float32)), 0, 255), tf.uint8
        ).numpy()
    return out


def plot_augmentations(
    images: np.ndarray,
    num_classes: int,
    techniques: tuple[str, ...] = DEFAULT_TECHNIQUES,
    seed: int = 0,
    config: AugmentConfig | None = None,
) -> Figure:
    """A row of panels: the original image, then the same image under each technique."""
    examples = augment_examples(images, num_classes, techniques, seed, config)
    fig = Figure(figsize=(2.0 * len(examples), 2.3))
    for i, (name, image) in enumerate(examples.items()):
        ax = fig.add_subplot(1, len(examples), i + 1)
        ax.imshow(image, interpolation="nearest")
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    return fig
