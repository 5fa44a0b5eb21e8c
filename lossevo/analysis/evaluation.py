"""Final evaluation: train each loss N times by a recipe, resumably, for the results table.

results = evaluate_losses({"cross_entropy": "cross_entropy", "mine": genome}, dataset,
                          "wideresnet_002", runs=5, results_path="runs/eval/results.jsonl")
print(format_table(compare_to_baseline(results, "cross_entropy")))

Two protocols (`FINAL_PROTOCOLS`):
- "holdout": train on the training split (45,000 CIFAR images), validate on the held-out
  5,000, report the test accuracy at the end;
- "code": as the authors' `final_loss_testing.py` ran it: train on all 50,000 training
  images with the *test* set as validation data, and report the best test accuracy seen
  during training (the code ran 6 runs of each of its four settings, `CODE_SETTINGS`);
- "best_val": train on the training split and report the best validation accuracy seen
  during training, a surrogate's fitness (paper 002 Table 4).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

import keras

from lossevo.data.sources import ImageDataset
from lossevo.progress import Progress
from lossevo.store.results import ResultsFile
from lossevo.training import recipes as recipes_lib
from lossevo.training.solo import train

FINAL_PROTOCOLS: dict[str, str] = {
    "holdout": "train on train, validate on the held-out split, test accuracy at the end",
    "code": "train on train + validation, validate on test, best test accuracy over training (6 runs)",
    "best_val": "train on train, best validation accuracy over training (a surrogate's fitness)",
}
CODE_RUNS = 6  # runs per setting in the authors' final_loss_testing.py
# The four settings final_loss_testing.py runs under the "code" protocol, named after its
# result files (`<loss>_base_test`, `_base_test_imagenet`, `_progressive_test`, ...):
# EfficientNetV2-S at 32 px without augmentation (`basemodel_test`) and with progressive
# RandAugment (`progressive_test`), each from scratch and from ImageNet weights.
CODE_SETTINGS: dict[str, str] = {
    "base": "effnetv2s_code_base",
    "base_imagenet": "effnetv2s_code_base_imagenet",
    "progressive": "effnetv2s_progressive",
    "progressive_imagenet": "effnetv2s_progressive_imagenet",
}


def with_test_as_validation(dataset: ImageDataset) -> ImageDataset:
    """The "code" protocol's data: every training image (train then validation, the
    original order) for training, the test set for validation."""
    return dataclasses.replace(
        dataset, train=dataset.train.concatenate(dataset.validation), validation=dataset.test
    )


def evaluate_losses(
    losses: Mapping[str, Any],
    dataset: ImageDataset | Callable[[], ImageDataset],
    recipe: recipes_lib.Recipe | str,
    runs: int,
    results_path: str,
    *,
    model: Any = None,
    steps: int | None = None,
    log: bool | Callable[[str], None] | None = True,
    protocol: str = "holdout",
) -> dict[str, list[float]]:
    """Trains every loss `runs` times (seed = run index) and returns name -> accuracies: the
    test accuracy (under "code": the best test accuracy over training; under "best_val":
    the best validation accuracy).

    Args:
      losses: name -> a genome, a registry name, a Keras loss, or a zero-argument factory
        of a Keras loss (a fresh loss object per run).
      dataset: the dataset, or a function loading it (called only if something is left
        to train, so a finished evaluation reads its file without loading data).
      recipe: a `Recipe` or its name; `steps` shortens it, `model` overrides its model.
      runs: runs per loss.
      results_path: JSONL file; each run is appended as it finishes (test accuracy, best
        validation accuracy, diverged) and runs already there are not trained again.
      log: True prints a line per finished run (with a progress bar and the time left on
        a terminal), a callable gets the lines, None is silent.
      protocol: a key of `FINAL_PROTOCOLS`.

    A diverged run has no test accuracy and counts as 0 (under "code": its best test
    accuracy before it diverged).
    """
    if protocol not in FINAL_PROTOCOLS:
        raise ValueError(f"unknown final protocol {protocol!r}; known: {', '.join(FINAL_PROTOCOLS)}")
    best_only = protocol in ("code", "best_val")
    results = ResultsFile(results_path, {"protocol": protocol}, defaults={"protocol": "holdout"},
                          message=_other_protocol)  # fmt: skip
    done = results.done(("loss", "run"))
    loaded: ImageDataset | None = None
    todo = [(name, run) for name in losses for run in range(runs) if (name, run) not in done]
    with Progress(len(todo), "evaluate", bar=None if log is True else False) as progress:
        for name, run in todo:
            if loaded is None:
                loaded = dataset if isinstance(dataset, ImageDataset) else dataset()
                loaded = with_test_as_validation(loaded) if protocol == "code" else loaded
            loss = losses[name]
            factory = callable(loss) and not isinstance(loss, keras.losses.Loss)
            result = train(model, loss() if factory else loss, loaded, recipe, steps=steps, seed=run,
                           evaluate_test=not best_only)  # fmt: skip
            best = result.best_val_accuracy if math.isfinite(result.best_val_accuracy) else None
            accuracy = best if best_only else result.test_accuracy
            record = {"loss": name, "run": run, "protocol": protocol, "accuracy": accuracy,
                      "test_accuracy": result.test_accuracy, "best_val_accuracy": result.best_val_accuracy,
                      "diverged": result.diverged}  # fmt: skip
            results.append(record)
            done[(name, run)] = record
            shown = "- (diverged)" if accuracy is None else f"{accuracy:.4f}"
            progress.step(f"{name:28s} run {run}: accuracy {shown}", log)
    return {name: [_reported(done[(name, r)]) for r in range(runs)] for name in losses}


def _other_protocol(path: str, differ: Mapping[str, tuple[Any, Any]]) -> str:
    stored, protocol = differ["protocol"]
    return f"{path} holds runs of the {stored!r} protocol, not {protocol!r}; use another results file (--workdir)"


def _reported(record: Mapping[str, Any]) -> float:
    """A run's reported accuracy (results files before the protocols had `test_accuracy`)."""
    value = record.get("accuracy", record.get("test_accuracy"))
    return float(value) if value is not None else 0.0
