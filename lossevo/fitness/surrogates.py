"""The papers' surrogate fitness functions (SPEC §6) as named, configurable objects.

Fitness = best validation accuracy during training. Early stopping (the authors' rules):
a pre-check on the ConvNet (or the small ResNet9v2) rejects a loss whose training accuracy
stays below a threshold; during the main run, training stops when the training accuracy is
below a threshold at a given epoch (epochs of 100 steps), and the best validation accuracy
so far is still the fitness. A NaN/Inf or diverging loss is a recorded failure.

`scale` shrinks every step count (and epoch checkpoint) for smoke runs on a CPU.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from lossevo.data.sources import ImageDataset, load
from lossevo.evolution.search import FitnessResult
from lossevo.genome.genome import Genome
from lossevo.losses.evolved import EvolvedLoss
from lossevo.training import recipes as recipes_lib
from lossevo.training.train import train

STEPS_PER_EPOCH = 100


@dataclasses.dataclass(frozen=True)
class Stage:
    """One training run of a surrogate with its early-stopping rule."""

    model: str
    recipe: str
    steps: int
    threshold: float  # training accuracy below this is a failure ...
    check_epoch: int | None = None  # ... at this epoch (None: at the end, as a pre-check)
    rejects: bool = True  # below the threshold: reject (None) rather than keep the best so far


@dataclasses.dataclass(frozen=True)
class SurrogateSpec:
    name: str
    stages: tuple[Stage, ...]
    description: str


SURROGATES: dict[str, SurrogateSpec] = {
    s.name: s
    for s in (
        SurrogateSpec(
            "convnet",
            (Stage("convnet", "convnet_surrogate", 8000, 0.37, check_epoch=8),),
            "ConvNet, 32x32, no augmentation, 8,000 steps; reject when train accuracy < 0.37 by epoch 8",
        ),
        SurrogateSpec(
            "convnet_precheck",
            (Stage("convnet", "convnet_surrogate", 800, 0.37),),
            "the 800-step ConvNet pre-check alone (the cheap initial fitness)",
        ),
        SurrogateSpec(
            "resnet9v2_randaug",
            (
                Stage("resnet9v2_small", "convnet_surrogate", 800, 0.35),
                Stage("resnet9v2_small", "resnet9v2_surrogate", 8000, 0.22, check_epoch=7, rejects=False),
            ),
            "ResNet9v2 pre-check (800 steps, < 0.35 rejects), then 8,000 steps at 80x80 RandAugment M=5; "
            "stop when train accuracy < 0.22 at epoch 7",
        ),
        SurrogateSpec(
            "effnetv2s_96",
            (
                Stage("convnet", "convnet_surrogate", 800, 0.37),
                Stage("efficientnetv2s", "effnetv2s_surrogate", 8000, 0.25, check_epoch=30, rejects=False),
            ),
            "ConvNet pre-check, then EfficientNetV2-S 96x96 RandAugment for 8,000 steps; stop if train "
            "accuracy < 0.25 after 3,000 steps",
        ),
        SurrogateSpec(
            "resnet9v2_6m",
            (Stage("resnet9v2_6m", "resnet9v2_6m_surrogate", 20000, 0.0),),
            "paper 000's 6.5M ResNet9v2, 20,000 steps (augmentation set by the recipe)",
        ),
    )
}


@dataclasses.dataclass(frozen=True)
class StagePlan:
    """A surrogate stage with `scale`, `threshold_scale` and `augmentation` applied."""

    stage: Stage
    recipe: recipes_lib.Recipe  # shortened to `steps`
    steps: int
    steps_per_epoch: int
    threshold: float
    check_epoch: int  # the first epoch whose training accuracy is held to `threshold`


def plan_stages(
    spec: SurrogateSpec, scale: float = 1.0, threshold_scale: float = 1.0, augmentation: str | None = None
) -> list[StagePlan]:
    """Each stage's budget: steps times `scale` (at least 10), epochs of up to 100 steps, the
    check epoch scaled alike (a pre-check checks at its last epoch), thresholds times
    `threshold_scale`."""
    plans = []
    for stage in spec.stages:
        steps = max(STEPS_PER_EPOCH // 10, round(stage.steps * scale))
        per_epoch = min(STEPS_PER_EPOCH, steps)
        check = stage.check_epoch
        if check is not None and scale < 1:
            check = max(1, round(check * scale))
        if check is None:
            check = math.ceil(steps / per_epoch)
        recipe = recipes_lib.get(stage.recipe)
        if augmentation is not None:
            recipe = dataclasses.replace(recipe, augmentation=augmentation)
        recipe = recipes_lib.scaled(recipe, steps)
        plans.append(StagePlan(stage, recipe, steps, per_epoch, stage.threshold * threshold_scale, check))
    return plans


class _StopBelow(keras.callbacks.Callback):
    def __init__(self, threshold: float, epoch: int):
        super().__init__()
        self.threshold, self.epoch, self.stopped = threshold, epoch, False

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 >= self.epoch and (logs or {}).get("accuracy", 0.0) < self.threshold:
            self.stopped = True
            self.model.stop_training = True


def fitness_name(surrogate: str, augmentation: str | None = None) -> str:
    """The name a surrogate's results are journaled and cached under."""
    return surrogate if augmentation is None else f"{surrogate}:{augmentation}"


class SurrogateFitness:
    """A named surrogate evaluated on a dataset (see `SURROGATES`).

    Args:
      name: a key of `SURROGATES`.
      dataset: from `lossevo.data.load` (CIFAR-10 in the papers; "synthetic" offline).
      scale: multiply step counts by this (1.0: the papers' budgets).
      augmentation: override the recipe's technique (paper 000's five surrogates).
      jit_compile: passed to Keras.
      threshold_scale: multiply the early-stopping thresholds (they are calibrated for
        the papers' budgets; a scaled-down smoke run learns less by its checkpoints).
    """

    def __init__(
        self,
        name: str,
        dataset: ImageDataset,
        scale: float = 1.0,
        augmentation: str | None = None,
        jit_compile: bool | str = "auto",
        threshold_scale: float = 1.0,
    ):
        if name not in SURROGATES:
            raise ValueError(f"unknown surrogate {name!r}; known: {', '.join(SURROGATES)}")
        self.spec = SURROGATES[name]
        self.name = fitness_name(name, augmentation)
        self.dataset, self.scale = dataset, scale
        self.augmentation, self.jit_compile = augmentation, jit_compile
        self.threshold_scale = threshold_scale
        self.plans = plan_stages(self.spec, scale, threshold_scale, augmentation)

    def evaluate(self, genomes: Sequence[Genome], seeds: Sequence[int]) -> list[FitnessResult]:
        return [self.evaluate_one(g, s) for g, s in zip(genomes, seeds, strict=True)]

    def evaluate_one(self, genome: Genome, seed: int) -> FitnessResult:
        info: dict = {"stages": []}
        best = None
        try:
            for plan in self.plans:
                stage, steps, threshold = plan.stage, plan.steps, plan.threshold
                stopper = _StopBelow(threshold, plan.check_epoch)
                result = train(
                    stage.model, EvolvedLoss(genome), self.dataset, plan.recipe, steps=steps,
                    steps_per_epoch=plan.steps_per_epoch, seed=seed % (2**31), callbacks=[stopper],
                    evaluate_test=False, jit_compile=self.jit_compile,
                )  # fmt: skip
                history = result.history
                info["stages"].append({"model": stage.model, "steps": steps, "epochs": len(history.get("loss", [])),
                                       "best_val_accuracy": result.best_val_accuracy,
                                       "max_train_accuracy": max(history.get("accuracy", [0.0]))})  # fmt: skip
                del result
                if any(not np.isfinite(v) for v in history.get("loss", [])):
                    return FitnessResult(None, "failed", {**info, "reason": "non-finite loss"})
                if stopper.stopped and stage.rejects:
                    return FitnessResult(
                        None, "rejected", {**info, "reason": f"train accuracy < {threshold}"}
                    )
                val = [v for v in history.get("val_accuracy", []) if np.isfinite(v)]
                best = max(val) if val else None
            if best is None:
                return FitnessResult(None, "failed", {**info, "reason": "no validation accuracy"})
            return FitnessResult(float(best), "ok", info)
        except Exception as e:
            return FitnessResult(None, "failed", {**info, "reason": f"{type(e).__name__}: {e}"[:500]})
        finally:
            keras.backend.clear_session()  # models built in a loop otherwise pile up (it runs gc too)


@functools.lru_cache(maxsize=4)
def _load_cached(name: str, kwargs: tuple[tuple[str, Any], ...]) -> ImageDataset:
    """One dataset object per process for factories that name the same dataset (the
    initial and main fitness of a search)."""
    return load(name, **dict(kwargs))


@dataclasses.dataclass(frozen=True)
class SurrogateFactory:
    """Builds a `SurrogateFitness` from plain values: picklable and hashable, so a worker
    process (`lossevo.fitness.IsolatedFitness`) can build it, dataset included.

    `dataset_kwargs` are `lossevo.data.load` keyword arguments as sorted (key, value) pairs;
    `SurrogateFactory.make(...)` takes them as a dict.
    """

    surrogate: str
    dataset: str
    dataset_kwargs: tuple[tuple[str, Any], ...] = ()
    scale: float = 1.0
    augmentation: str | None = None
    jit_compile: bool | str = "auto"
    threshold_scale: float = 1.0
    population: int = 0  # K > 0: a `BatchedSurrogateFitness` training K candidates at once

    @classmethod
    def make(cls, surrogate: str, dataset: str, dataset_kwargs: dict[str, Any] | None = None,
             **kwargs: Any) -> SurrogateFactory:  # fmt: skip
        if surrogate not in SURROGATES:
            raise ValueError(f"unknown surrogate {surrogate!r}; known: {', '.join(SURROGATES)}")
        return cls(surrogate, dataset, tuple(sorted((dataset_kwargs or {}).items())), **kwargs)

    @property
    def name(self) -> str:
        return fitness_name(self.surrogate, self.augmentation)

    def __call__(self) -> SurrogateFitness:
        dataset = _load_cached(self.dataset, self.dataset_kwargs)
        if self.population:
            from lossevo.fitness.batched import BatchedSurrogateFitness

            return BatchedSurrogateFitness(
                self.surrogate, dataset, self.population, self.scale, self.augmentation,
                self.jit_compile, self.threshold_scale,
            )  # fmt: skip
        return SurrogateFitness(
            self.surrogate, dataset, self.scale, self.augmentation, self.jit_compile, self.threshold_scale
        )
