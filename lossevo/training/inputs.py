"""The input pipelines a recipe trains and evaluates on, for every trainer (one candidate
at a time, or K at once): the training stream of a seed, the evaluation stream of a split,
and the progressive phases' streams."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from lossevo.data import progressive
from lossevo.data.pipelines import AugmentConfig, make_pipeline
from lossevo.data.sources import ImageDataset
from lossevo.training.recipes import Recipe


def train_stream(
    dataset: ImageDataset, recipe: Recipe, seed: int, shuffle_buffer: int | None = None
) -> tf.data.Dataset:
    """The training stream of `seed` (its shuffle and augmentation draws), repeated; set the
    global seed first (tf.data's seeded shuffle reads it too). `shuffle_buffer` None: the
    recipe's."""
    buffer = recipe.shuffle_buffer if shuffle_buffer is None else shuffle_buffer
    return make_pipeline(dataset.train, recipe.augmentation, dataset.num_classes, recipe.batch_size, seed,
                         True, recipe.augment, shuffle_buffer=buffer, repeat=True,
                         batch_per_pass=recipe.batch_per_pass)  # fmt: skip


def eval_config(recipe: Recipe, image_size: tuple[int, int] | None = None) -> AugmentConfig:
    """The evaluation images' configuration: at the crop (or resize) size, or `image_size`."""
    config = recipe.augment
    size = image_size or config.crop_size or config.image_size
    return dataclasses.replace(config, image_size=size)


def eval_stream(
    split: tf.data.Dataset, num_classes: int, recipe: Recipe, image_size: tuple[int, int] | None = None
) -> tf.data.Dataset:
    """A split's evaluation stream: resized as the recipe evaluates, no augmentation."""
    return make_pipeline(split, "none", num_classes, recipe.batch_size, training=False,
                         config=eval_config(recipe, image_size))  # fmt: skip


def phase_stream(
    dataset: ImageDataset, recipe: Recipe, phase: progressive.ScheduledPhase, seed: int, shuffle_buffer: int
) -> tf.data.Dataset:
    """The training stream of one progressive phase (its size and RandAugment magnitude)."""
    return progressive.phase_pipeline(dataset.train, phase, dataset.num_classes, recipe.batch_size, seed,
                                      recipe.augment, repeat=True, shuffle_buffer=shuffle_buffer,
                                      batch_per_pass=recipe.batch_per_pass)  # fmt: skip


def resident_reason(recipe: Recipe, shuffle_buffer: int | None = None) -> str | None:
    """Why the training stream of `recipe` is not the same for every seed (so cannot be held
    in memory and shared), or None when it is: nothing shuffled, augmented or cropped."""
    buffer = recipe.shuffle_buffer if shuffle_buffer is None else shuffle_buffer
    if buffer > 1:
        return f"recipe {recipe.name!r} shuffles (buffer {buffer})"
    if recipe.augmentation not in (None, "none") or recipe.augment.crop_size is not None:
        return f"recipe {recipe.name!r} augments ({recipe.augmentation})"
    return None


class ResidentStream:
    """The training stream of a recipe that neither shuffles nor augments, held in memory:
    every seed's stream is the split repeated and batched in order, so the batch a
    candidate sees at its step `s` is examples `s·B … s·B + B − 1` (mod N) of the split.
    `batches(positions)` gathers those of several candidates at once (`[G, B, ...]`),
    equal to what `train_stream` gives each of them at that step."""

    def __init__(self, dataset: ImageDataset, recipe: Recipe):
        reason = resident_reason(recipe)
        if reason:
            raise ValueError(f"the training stream differs per seed: {reason}")
        xs, ys = [], []
        # The training stream's images (resized as training resizes: to uint8), in order.
        for xb, yb in make_pipeline(dataset.train, "none", dataset.num_classes, 1024, training=True,
                                    config=recipe.augment, shuffle_buffer=0, drop_remainder=False):  # fmt: skip
            xs.append(xb)
            ys.append(yb)
        self.x, self.y = tf.concat(xs, 0), tf.concat(ys, 0)
        self.size, self.batch_size = int(self.x.shape[0]), recipe.batch_size
        if self.size < self.batch_size:
            raise ValueError(f"{self.size} training examples, fewer than a batch of {self.batch_size}")

    def batches(self, positions: Sequence[int]) -> tuple[tf.Tensor, tf.Tensor]:
        index = (
            np.asarray(positions, np.int64)[:, None] * self.batch_size + np.arange(self.batch_size)
        ) % self.size
        return tf.gather(self.x, index), tf.gather(self.y, index)
