r"""What batching each pass on its own changes (issue 20 item 5).

  python benchmarks/batch_boundaries.py [--seeds=5] [--steps=1000] [--train=4500]

The authors' loaders batch before they repeat (`.batch(B).repeat()`): every pass over the
training images ends with a partial batch and, unshuffled, the next pass starts the same
groupings again. lossevo's default repeats, then batches (`batch_per_pass=False`). This
trains the `convnet_standard` recipe (the code's initial fitness: ConvNet, batch 128, no
shuffling, no augmentation), shortened to `--steps`, on the offline synthetic data of
`--train` images (4,500 = 35 batches of 128 and one of 20, as 45,000 = 351 and one of 72),
once per seed in each form, and prints each form's best validation accuracy (the search
fitness): the per-seed difference against the seed-to-seed spread.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

import numpy as np

from lossevo import data
from lossevo.training import recipes
from lossevo.training.solo import train


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--train", type=int, default=4500)
    args = parser.parse_args()
    ds = data.load("synthetic", num_train=args.train, num_validation=1000, num_test=10)
    base = recipes.scaled(recipes.get("convnet_standard"), args.steps)
    print(f"cpu cores: {os.cpu_count()}; {base.name} for {args.steps} steps, batch {base.batch_size}, "
          f"{args.train} training images (last batch of a pass: {args.train % base.batch_size})")  # fmt: skip
    best: dict[bool, list[float]] = {False: [], True: []}
    for seed in range(args.seeds):
        for per_pass in (False, True):
            recipe = dataclasses.replace(base, batch_per_pass=per_pass)
            start = time.perf_counter()
            result = train("convnet", "cross_entropy", ds, recipe, seed=seed, evaluate_test=False)
            best[per_pass].append(result.best_val_accuracy)
            print(f"seed {seed} batch_per_pass={per_pass!s:5}: best val acc {result.best_val_accuracy:.4f} "
                  f"({time.perf_counter() - start:.0f} s)")  # fmt: skip
    repeat_first, per_pass = np.array(best[False]), np.array(best[True])
    diff = per_pass - repeat_first
    print(f"repeat, then batch (lossevo): {repeat_first.mean():.4f} ± {repeat_first.std(ddof=1):.4f}")
    print(f"batch each pass (the code):   {per_pass.mean():.4f} ± {per_pass.std(ddof=1):.4f}")
    print(f"per-seed difference (code − lossevo): mean {diff.mean():+.4f}, std {diff.std(ddof=1):.4f}, "
          f"max |d| {np.abs(diff).max():.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
