"""CE's baselines of a "ce_pair" search (paper 003's fifth experiment; Algorithm B.1
"Require: test error values of the InceptionV3 model trained by using CE on all given
datasets"), trained once per run directory and kept in `ce_baselines.json`.

Each baseline is the search's surrogate trained on one dataset with the cross-entropy
genome, through the same fitness (and worker process) the candidates use, with the search's
seed. The file is written atomically after each dataset, so a search killed while its
baselines train keeps the finished ones; a resumed search reads them and trains none again.
An entry is keyed by everything that decides it (surrogate, dataset and its source,
scale, thresholds, batch, seed), so a baseline is never used for another setting; a file
that cannot be read stops the run (it is never overwritten).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from typing import Any

from lossevo.configs.setup import SearchSetup
from lossevo.fitness.surrogates import SurrogateFactory
from lossevo.losses import get_genome
from lossevo.search.types import EvaluationError, Fitness
from lossevo.store.errors import RunDirectoryError

BASELINES_FILE = "ce_baselines.json"
BASELINE_LOSS = "cross_entropy"
VERSION = 1


def baseline_key(factory: SurrogateFactory, seed: int) -> str:
    """What decides a baseline, as one JSON text."""
    return json.dumps({**dataclasses.asdict(factory), "seed": seed, "loss": BASELINE_LOSS}, sort_keys=True)


def read_baselines(path: str) -> dict[str, dict[str, Any]]:
    """The baselines stored at `path` by key ({} when there is no file)."""
    if not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            data = json.load(f)
        if data.get("version") != VERSION or not isinstance(data.get("baselines"), dict):
            raise ValueError(f"expected version {VERSION} with a 'baselines' object")
        return data["baselines"]
    except (OSError, ValueError, AttributeError) as e:
        raise RunDirectoryError(
            f"{path}: CE's baselines cannot be read ({e}); move the file away to train them again"
        ) from None


def _write(path: str, baselines: dict[str, dict[str, Any]]) -> None:
    tmp = f"{path}.tmp"
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(tmp, "w") as f:
        json.dump({"version": VERSION, "baselines": baselines}, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def ce_baselines(
    workdir: str,
    setup: SearchSetup,
    name: str,
    fitness_of: Callable[[SurrogateFactory], Fitness],
    log: Callable[[str], None] = print,
) -> tuple[float, ...]:
    """CE's validation accuracy with the surrogate `name` on each of `setup.datasets()`:
    read from `workdir/ce_baselines.json`, or trained with `fitness_of(factory)` and stored.

    Raises `EvaluationError` when CE itself does not train (no baseline to compare with)."""
    path = os.path.join(workdir, BASELINES_FILE)
    stored = read_baselines(path)
    seed = setup.search.seed
    accuracies = []
    for factory in setup.dataset_factories(name):
        key = baseline_key(factory, seed)
        entry = stored.get(key)
        if entry is not None:
            log(f"CE baseline on {factory.dataset}: {entry['accuracy']:.4f} ({factory.name}, from {path})")
        else:
            log(f"CE baseline on {factory.dataset}: training {factory.name} with cross-entropy")
            (result,) = fitness_of(factory).evaluate([get_genome(BASELINE_LOSS)], [seed])
            if result.status != "ok" or result.fitness is None:
                reason = result.info.get("reason", "")
                raise EvaluationError(
                    f"CE's baseline on {factory.dataset} did not train ({result.status}{': ' if reason else ''}"
                    f"{reason}); without it no candidate can be compared with CE"
                )
            entry = {"dataset": factory.dataset, "fitness": factory.name, "seed": seed,
                     "accuracy": float(result.fitness), "info": result.info}  # fmt: skip
            stored[key] = entry
            _write(path, stored)
            log(f"CE baseline on {factory.dataset}: {entry['accuracy']:.4f}")
        if not entry["accuracy"] < 1.0:
            raise EvaluationError(
                f"CE classifies every validation image of {factory.dataset} correctly, so no loss can improve "
                "on it and the pair fitness is undefined; use a harder dataset or a shorter training"
            )
        accuracies.append(float(entry["accuracy"]))
    return tuple(accuracies)
