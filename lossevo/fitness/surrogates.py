"""The papers' surrogate fitness functions (SPEC §5–6) as named, configurable objects.

Each surrogate is named after the authors' function in `fitness_functions.py`:
`convnet_standard`, `resnet_standard`, `resnet_rand_aug`, `effnet_rand_aug` (earlier
lossevo names stay as `ALIASES`). A surrogate is a list of stages; a stage trains the
first `steps` steps of its recipe's schedule (the code's 800-step pre-check is the warm-up
of the 8,000-step schedule), with the code's `EpochCallback(threshold, epoch=E)` when it
has one, and is judged by `rules.judge_stage` (fitness = best validation accuracy; reject
when the best training accuracy stays below the threshold).

`PAIRINGS` names the two published (initial fitness, surrogate fitness) pairs of a search.
`scale` shrinks every step count (and the stop epoch) for smoke runs on a CPU.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any

import keras

from lossevo.data.sources import ImageDataset, load
from lossevo.evolution.types import EvaluationError, FitnessResult, error_text
from lossevo.fitness.rules import judge_stage
from lossevo.genome.genome import Genome
from lossevo.losses.evolved import EvolvedLoss
from lossevo.training import recipes as recipes_lib
from lossevo.training.train import StopBelow, train


@dataclasses.dataclass(frozen=True)
class Stage:
    """One training run of a surrogate.

    Attributes:
      recipe: the recipe whose schedule it follows (and whose model it trains).
      steps: steps trained: the first `steps` of the recipe's schedule.
      threshold: the training-accuracy threshold of the stop and pass rules.
      stop_epoch: the code's `EpochCallback(threshold, epoch=stop_epoch)`: stop at the end
        of an epoch with 0-based index `>= stop_epoch` whose training accuracy is below the
        threshold; None: no callback (pre-checks).
      rejects: the stage returns None ("rejected") when its best training accuracy stays
        below the threshold; the main run of a two-stage surrogate never rejects.
    """

    recipe: str
    steps: int
    threshold: float
    stop_epoch: int | None = None
    rejects: bool = True


@dataclasses.dataclass(frozen=True)
class SurrogateSpec:
    name: str
    stages: tuple[Stage, ...]
    description: str


SURROGATES: dict[str, SurrogateSpec] = {
    s.name: s
    for s in (
        SurrogateSpec(
            "convnet_standard",
            (Stage("convnet_standard", 8000, 0.37, stop_epoch=8),),
            "ConvNet, 32x32 / 255, batch 128, no shuffling or augmentation, 8,000 steps; "
            "EpochCallback(0.37, epoch=8); rejected when max train accuracy < 0.37",
        ),
        SurrogateSpec(
            "resnet_standard",
            (Stage("resnet_standard", 8000, 0.35, stop_epoch=6),),
            "ResNet9v2 small, 32x32 / 255, batch 128, no shuffling or augmentation, 8,000 steps; "
            "EpochCallback(0.35, epoch=6); rejected when max train accuracy < 0.35",
        ),
        SurrogateSpec(
            "resnet_rand_aug",
            (
                Stage("resnet_standard", 800, 0.35),
                Stage("resnet_rand_aug", 8000, 0.22, stop_epoch=7, rejects=False),
            ),
            "ResNet9v2 pre-check (the first 800 steps of resnet_standard; rejected when max train "
            "accuracy < 0.35), then a fresh model for 8,000 steps at 80x80 RandAugment M=5 with "
            "EpochCallback(0.22, epoch=7)",
        ),
        SurrogateSpec(
            "effnet_rand_aug",
            (
                Stage("convnet_standard", 800, 0.37),
                Stage("effnet_rand_aug", 8000, 0.25, stop_epoch=30, rejects=False),
            ),
            "ConvNet pre-check (the first 800 steps of convnet_standard; rejected when max train "
            "accuracy < 0.37), then EfficientNetV2-S at 96x96 RandAugment M=5 for 8,000 steps of the "
            "64,000-step schedule with EpochCallback(0.25, epoch=30)",
        ),
        SurrogateSpec(
            "convnet_precheck",
            (Stage("convnet_standard", 800, 0.37),),
            "the ConvNet pre-check alone (the first 800 steps of convnet_standard): a cheap initial "
            "fitness of lossevo's, not the papers'",
        ),
        SurrogateSpec(
            "resnet9v2_6m",
            (Stage("resnet9v2_6m_surrogate", 20000, 0.0, rejects=False),),
            "paper 000's 6.5M ResNet9v2, 20,000 steps (augmentation set by the recipe or overridden)",
        ),
    )
}

# Earlier lossevo names of the code's surrogates.
ALIASES: dict[str, str] = {
    "convnet": "convnet_standard",
    "resnet9v2_randaug": "resnet_rand_aug",
    "effnetv2s_96": "effnet_rand_aug",
}

# The published (initial fitness, surrogate fitness) pairs of a search (SPEC §5).
PAIRINGS: dict[str, tuple[str, str]] = {
    "paper_002": ("convnet_standard", "effnet_rand_aug"),  # paper 002 §3.10
    "code_main": ("resnet_standard", "resnet_rand_aug"),  # the code's `main`
}


def canonical_name(name: str) -> str:
    """The surrogate name for `name` or its alias; a clear error lists the known ones."""
    key = ALIASES.get(name, name)
    if key not in SURROGATES:
        raise ValueError(
            f"unknown surrogate {name!r}; known: {', '.join(SURROGATES)} (aliases: {', '.join(ALIASES)})"
        )
    return key


def get_spec(name: str) -> SurrogateSpec:
    return SURROGATES[canonical_name(name)]


@dataclasses.dataclass(frozen=True)
class StagePlan:
    """A surrogate stage with `scale`, `threshold_scale` and `augmentation` applied."""

    stage: Stage
    model: str
    recipe: recipes_lib.Recipe  # trains `steps` of its (scaled) schedule
    steps: int
    steps_per_epoch: int
    threshold: float
    stop_epoch: int | None  # 0-based, scaled

    def steps_trained(self, history: dict[str, list[float]]) -> int:
        """Steps a stage ran, from its history (a stopped run ran fewer than `steps`)."""
        return min(self.steps, len(history.get("loss", [])) * self.steps_per_epoch)


def _scaled_epoch(epoch: int | None, scale: float) -> int | None:
    """The stop epoch of a run scaled by `scale`: the check starts after the same fraction
    of the steps (the code's epoch E ends after (E + 1)·100 steps), but never at the first
    epoch, whose running-mean accuracy starts from chance (at the papers' budgets the check
    reads the 7th to 31st epoch)."""
    if epoch is None or scale >= 1:
        return epoch
    return max(1, round((epoch + 1) * scale) - 1)


def plan_stages(
    spec: SurrogateSpec,
    scale: float = 1.0,
    threshold_scale: float = 1.0,
    augmentation: str | None = None,
    batch_size: int | None = None,
) -> list[StagePlan]:
    """Each stage's budget: the recipe's schedule scaled by `scale` (at least 10 steps), of
    which the stage trains its first `steps · scale`; epochs of up to the recipe's
    `steps_per_epoch`; thresholds times `threshold_scale`; `batch_size` overrides every
    stage's batch (smoke runs)."""
    plans = []
    for stage in spec.stages:
        recipe = recipes_lib.get(stage.recipe)
        if augmentation is not None:
            recipe = dataclasses.replace(recipe, augmentation=augmentation)
        if scale != 1 or batch_size is not None:
            recipe = recipes_lib.scaled(recipe, max(10, round(recipe.steps * scale)), batch_size)
        steps = max(10, round(stage.steps * scale))
        per_epoch = min(recipe.steps_per_epoch, steps)
        plans.append(
            StagePlan(stage, recipe.model, recipes_lib.truncated(recipe, steps), steps, per_epoch,
                      stage.threshold * threshold_scale, _scaled_epoch(stage.stop_epoch, scale))
        )  # fmt: skip
    return plans


def fitness_name(surrogate: str, augmentation: str | None = None) -> str:
    """The name a surrogate's results are journaled and cached under."""
    return surrogate if augmentation is None else f"{surrogate}:{augmentation}"


def stage_info(plan: StagePlan, history: dict[str, list[float]], verdict) -> dict[str, Any]:
    """What the journal keeps of a stage."""
    return {"model": plan.model, "steps": plan.steps, "epochs": len(history.get("loss", [])),
            "best_val_accuracy": verdict.fitness, "status": verdict.status,
            "max_train_accuracy": max(history.get("accuracy", [0.0]) or [0.0]),
            "nonfinite": verdict.nonfinite}  # fmt: skip


class SurrogateFitness:
    """A named surrogate evaluated on a dataset (see `SURROGATES`).

    Args:
      name: a key of `SURROGATES` (or an alias).
      dataset: from `lossevo.data.load` (CIFAR-10 in the papers; "synthetic" offline).
      scale: multiply step counts by this (1.0: the papers' budgets).
      augmentation: override the recipe's technique (paper 000's five surrogates).
      jit_compile: passed to Keras.
      threshold_scale: multiply the early-stopping thresholds (they are calibrated for
        the papers' budgets; a scaled-down smoke run learns less by its checkpoints).
      batch_size: override every stage's batch size (smoke runs on a CPU).
    """

    def __init__(
        self,
        name: str,
        dataset: ImageDataset,
        scale: float = 1.0,
        augmentation: str | None = None,
        jit_compile: bool | str = "auto",
        threshold_scale: float = 1.0,
        batch_size: int | None = None,
    ):
        self.spec = get_spec(name)
        self.name = fitness_name(self.spec.name, augmentation)
        self.dataset, self.scale = dataset, scale
        self.augmentation, self.jit_compile = augmentation, jit_compile
        self.threshold_scale = threshold_scale
        self.plans = plan_stages(self.spec, scale, threshold_scale, augmentation, batch_size)

    def evaluate(self, genomes: Sequence[Genome], seeds: Sequence[int]) -> list[FitnessResult]:
        return [self.evaluate_one(g, s) for g, s in zip(genomes, seeds, strict=True)]

    def evaluate_one(self, genome: Genome, seed: int) -> FitnessResult:
        info: dict = {"stages": []}
        fitness = None
        try:
            for plan in self.plans:
                callbacks = [] if plan.stop_epoch is None else [StopBelow(plan.threshold, plan.stop_epoch)]
                result = train(
                    plan.model, EvolvedLoss(genome), self.dataset, plan.recipe,
                    steps_per_epoch=plan.steps_per_epoch, seed=seed % (2**31), callbacks=callbacks,
                    evaluate_test=False, jit_compile=self.jit_compile,
                )  # fmt: skip
                history = result.history
                del result
                verdict = judge_stage(
                    history, plan.threshold, plan.stage.rejects, plan.steps_trained(history)
                )
                info["stages"].append(stage_info(plan, history, verdict))
                if not verdict.passed:
                    return FitnessResult(None, verdict.status, {**info, "reason": verdict.reason})
                fitness = verdict.fitness
            return FitnessResult(float(fitness), "ok", info)
        except Exception as e:  # not about the loss: a NaN or a rejection is a result, not an error
            raise EvaluationError(error_text(e)) from e
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
    batch_size: int | None = None  # override every stage's batch (smoke runs)

    @classmethod
    def make(cls, surrogate: str, dataset: str, dataset_kwargs: dict[str, Any] | None = None,
             **kwargs: Any) -> SurrogateFactory:  # fmt: skip
        return cls(
            canonical_name(surrogate), dataset, tuple(sorted((dataset_kwargs or {}).items())), **kwargs
        )

    @property
    def name(self) -> str:
        return fitness_name(canonical_name(self.surrogate), self.augmentation)

    def time_limit(self, candidates: int) -> float:
        """Seconds a task of `candidates` may run before it counts as hung: ten minutes plus
        two seconds per planned training step (the papers' 8,000-step surrogates take
        minutes on a GPU; a CPU smoke run of 800 steps about 20 s)."""
        plans = plan_stages(get_spec(self.surrogate), self.scale, self.threshold_scale, self.augmentation)
        return 600.0 + 2.0 * sum(p.steps for p in plans) * candidates

    def __call__(self) -> SurrogateFitness:
        dataset = _load_cached(self.dataset, self.dataset_kwargs)
        if self.population:
            from lossevo.fitness.batched import BatchedSurrogateFitness

            return BatchedSurrogateFitness(
                self.surrogate, dataset, self.population, self.scale, self.augmentation,
                self.jit_compile, self.threshold_scale, batch_size=self.batch_size,
            )  # fmt: skip
        return SurrogateFitness(
            self.surrogate,
            dataset,
            self.scale,
            self.augmentation,
            self.jit_compile,
            self.threshold_scale,
            self.batch_size,
        )
