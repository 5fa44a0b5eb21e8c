"""Final evaluation: train each loss N times by a recipe, resumably, for the results table.

results = evaluate_losses({"cross_entropy": "cross_entropy", "mine": genome}, dataset,
                          "wideresnet_002", runs=5, results_path="runs/eval/results.jsonl")
print(format_table(compare_to_baseline(results, "cross_entropy")))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import keras

from lossevo.data.sources import ImageDataset
from lossevo.evolution.rundir import append_result, read_results
from lossevo.training import recipes as recipes_lib
from lossevo.training.train import train


def evaluate_losses(
    losses: Mapping[str, Any],
    dataset: ImageDataset | Callable[[], ImageDataset],
    recipe: recipes_lib.Recipe | str,
    runs: int,
    results_path: str,
    *,
    model: Any = None,
    steps: int | None = None,
    log: Callable[[str], None] | None = print,
) -> dict[str, list[float]]:
    """Trains every loss `runs` times (seed = run index) and returns name -> test accuracies.

    Args:
      losses: name -> a genome, a registry name, a Keras loss, or a zero-argument factory
        of a Keras loss (a fresh loss object per run).
      dataset: the dataset, or a function loading it (called only if something is left
        to train, so a finished evaluation reads its file without loading data).
      recipe: a `Recipe` or its name; `steps` shortens it, `model` overrides its model.
      runs: runs per loss.
      results_path: JSONL file; each run is appended as it finishes (test accuracy, best
        validation accuracy, diverged) and runs already there are not trained again.
      log: called with a line per finished run (None: silent).

    A diverged run has no test accuracy and counts as 0.
    """
    done = {(r["loss"], r["run"]): r for r in read_results(results_path)}
    loaded = dataset if isinstance(dataset, ImageDataset) else None
    for name, loss in losses.items():
        for run in range(runs):
            if (name, run) in done:
                continue
            if loaded is None:
                loaded = dataset()
            factory = callable(loss) and not isinstance(loss, keras.losses.Loss)
            result = train(model, loss() if factory else loss, loaded, recipe, steps=steps, seed=run)
            record = {"loss": name, "run": run, "test_accuracy": result.test_accuracy,
                      "best_val_accuracy": result.best_val_accuracy, "diverged": result.diverged}  # fmt: skip
            append_result(results_path, record)
            done[(name, run)] = record
            if log is not None:
                log(f"{name:28s} run {run}: test accuracy {result.test_accuracy}")
    return {name: [done[(name, r)]["test_accuracy"] or 0.0 for r in range(runs)] for name in losses}
