"""Random train/validation splits per run (paper 003's Algorithm B.1: "Randomly generate
train, val and test sets" before each run; the authors' NGL example draws 10% for
validation with `train_test_split`, not stratified).

    splits = RandomSplits(dataset)            # pools train + validation in memory, once
    run_data = splits.draw(seed)              # a fresh 90/10 split of the pool

The test split is left as it is (no fitness reads it). The pool needs images of one size.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from lossevo.data.sources import ImageDataset


def as_arrays(split: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """A split's `(images, labels)` as NumPy arrays (images of one size only)."""
    images, labels = [], []
    for x, y in split.batch(4096).as_numpy_iterator():
        images.append(x)
        labels.append(y)
    if not images:
        return np.zeros((0, 1, 1, 3), np.uint8), np.zeros((0,), np.int64)
    return np.concatenate(images), np.concatenate(labels)


class RandomSplits:
    """A dataset's training and validation examples pooled, split anew for every seed.

    Args:
      dataset: from `lossevo.data.load`; its images must share one size.
      validation_fraction: the share of the pool that validates (paper 003: 0.1).
    """

    def __init__(self, dataset: ImageDataset, validation_fraction: float = 0.1):
        if not 0.0 < validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction}")
        self.dataset, self.validation_fraction = dataset, validation_fraction
        self._pool: tuple[np.ndarray, np.ndarray] | None = None

    def pool(self) -> tuple[np.ndarray, np.ndarray]:
        """Training then validation examples, as loaded (read once)."""
        if self._pool is None:
            try:
                train, val = as_arrays(self.dataset.train), as_arrays(self.dataset.validation)
                self._pool = (np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]]))
            except (ValueError, tf.errors.InvalidArgumentError) as e:
                raise ValueError(
                    f"dataset {self.dataset.name!r}: a random split per run needs images of one size ({e})"
                ) from e
        return self._pool

    def indices(self, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """The pool indices of `seed`'s training and validation examples."""
        n = len(self.pool()[1])
        order = np.random.default_rng(seed).permutation(n)
        cut = n - max(1, round(n * self.validation_fraction))
        return order[:cut], order[cut:]

    def draw(self, seed: int) -> ImageDataset:
        """The dataset with `seed`'s split (the test split unchanged)."""
        x, y = self.pool()
        train, val = self.indices(seed)
        split = lambda i: tf.data.Dataset.from_tensor_slices((x[i], y[i]))  # noqa: E731
        d = self.dataset
        return ImageDataset(d.name, split(train), split(val), d.test, d.num_classes, d.image_size)
