"""The label rule for own data, one function for every source (`npz`, `image_folder`).

Classes are the training labels `0 … C-1`: every one of them present in training, at
least two, and validation and test labels among them. A test label outside them would
otherwise widen the problem (`max(label) + 1` classes) and a one-class set would score
every loss 1.0, both with exit status 0.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def label_problem(where: str, labels: Mapping[str, np.ndarray]) -> str | None:
    """What is wrong with `labels` (split name -> integer labels, "train" required), or None.

    `where` names the source in the message (a file or folder)."""
    train = np.asarray(labels["train"]).reshape(-1)
    for split, y in labels.items():
        y = np.asarray(y).reshape(-1)
        if not np.issubdtype(y.dtype, np.integer):
            return f"{where}: {split} labels must be integer class indices 0, 1, ... (got {y.dtype})"
        if len(y) and y.min() < 0:
            return f"{where}: {split} labels must be class indices 0, 1, ... (got {int(y.min())})"
    present = np.unique(train)
    if len(present) < 2:
        return f"{where}: training holds {len(present)} class(es); a classification needs at least 2"
    num_classes = int(present.max()) + 1
    absent = sorted(set(range(num_classes)) - {int(c) for c in present})
    if absent:
        return (
            f"{where}: class {absent[0]} has no training example (classes are the training labels "
            f"0..{num_classes - 1}; {len(absent)} of them absent)"
        )
    for split, y in labels.items():
        outside = sorted({int(c) for c in np.unique(np.asarray(y).reshape(-1))} - {int(c) for c in present})
        if outside:
            return (
                f"{where}: {split} label {outside[0]} is not a training class (0..{num_classes - 1}); "
                f"{len(outside)} such label(s)"
            )
    return None
