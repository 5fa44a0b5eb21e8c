"""A seeded, stratified validation split of own data that comes without one.

Own data is often stored sorted by class; the last 10% of it would then validate on a
class that training never sees. `stratified_holdout` draws the validation share of every
class on its own, so both parts hold every class, and returns the training part in a
seeded random order (an unshuffled recipe then trains on mixed classes, as on CIFAR).
CIFAR and the other tensorflow-datasets sources keep their own rule (`sources`).
"""

from __future__ import annotations

import numpy as np


def stratified_holdout(
    labels: np.ndarray, fraction: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices `(train, validation)` of `labels`: `round(fraction · n_c)` examples of each
    class `c` (at least one, and at least one left to train) drawn with `seed`; the
    training indices in a seeded random order, the validation ones ascending.

    Raises `ValueError` naming a class with fewer than two examples (it cannot be in both).
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"the validation fraction must be in (0, 1), got {fraction}")
    labels = np.asarray(labels).reshape(-1)
    classes, counts = np.unique(labels, return_counts=True)
    few = [int(c) for c, n in zip(classes, counts, strict=True) if n < 2]
    if few:
        raise ValueError(
            f"class {few[0]} has {int(counts[classes == few[0]][0])} training example(s); a validation split "
            "drawn from the training data needs at least 2 of every class (or give x_val/y_val)"
        )
    rng = np.random.default_rng(seed)
    val = []
    for c, n in zip(classes, counts, strict=True):
        members = np.flatnonzero(labels == c)
        take = min(max(1, round(n * fraction)), n - 1)
        val.append(rng.choice(members, take, replace=False))
    val_idx = np.sort(np.concatenate(val))
    train_idx = rng.permutation(np.setdiff1d(np.arange(len(labels)), val_idx))
    return train_idx, val_idx
