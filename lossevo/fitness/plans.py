"""The papers' surrogate fitness functions (docs/reference.md §5–6) as data: their stages, names,
published pairings, and the training plan of each stage at a given scale.

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

from lossevo.training import recipes as recipes_lib


@dataclasses.dataclass(frozen=True)
class Stage:
    """One training run of a surrogate.

    Attributes:
      recipe: the recipe whose schedule it follows (and whose model it trains).
      steps: steps trained: the first `steps` of the recipe's schedule (None: all of it).
      threshold: the training-accuracy threshold of the stop and pass rules.
      stop_epoch: the code's `EpochCallback(threshold, epoch=stop_epoch)`: stop at the end
        of an epoch with 0-based index `>= stop_epoch` whose training accuracy is below the
        threshold; None: no callback (pre-checks).
      rejects: the stage returns None ("rejected") when its best training accuracy stays
        below the threshold; the main run of a two-stage surrogate never rejects.
      recipe_for: `(dataset name, recipe)` pairs: the recipe on that dataset instead
        (paper 003 trains 50 epochs on CIFAR, 35 on Fashion-MNIST).
      runs: training runs per candidate, their fitness averaged (paper 003: 3 on
        Fashion-MNIST); each run has its own seed.
      split: "dataset" (the dataset's validation split) or "random" (a fresh random 90/10
        split of training + validation for each run, from the run's seed: paper 003).
      measure: the stage's fitness, "best" (the best validation accuracy of any epoch, the
        code's `nanmax`) or "final" (the trained model's: the last epoch's; paper 003).
    """

    recipe: str
    steps: int | None
    threshold: float
    stop_epoch: int | None = None
    rejects: bool = True
    recipe_for: tuple[tuple[str, str], ...] = ()
    runs: int = 1
    split: str = "dataset"
    measure: str = "best"

    @property
    def per_candidate(self) -> bool:
        """Each candidate trains on data and runs of its own (several runs, random splits),
        so candidates cannot share one training call."""
        return self.runs > 1 or self.split != "dataset"

    def recipe_on(self, dataset: str | None) -> str:
        """The recipe this stage trains on `dataset` (by name)."""
        return dict(self.recipe_for).get(dataset or "", self.recipe)


@dataclasses.dataclass(frozen=True)
class SurrogateSpec:
    name: str
    stages: tuple[Stage, ...]
    description: str


# Paper 003's GP fitness (§4.1, Appendix B.1): InceptionV3 with its 9-layer head, no
# early-stopping rejection, the trained model's validation accuracy on a fresh random split.
_FMNIST = "fashion_mnist"
_P003_DESC = ("InceptionV3 + 9-layer head, batch 128, shift 0.1 / zoom 0.2 / flip, Adam 1e-3 with "
              "ReduceLROnPlateau, 50 epochs (35 on Fashion-MNIST), a fresh random 90/10 split per run, the "
              "final validation accuracy, no rejection")  # fmt: skip


def _p003(name: str, recipe: str, runs: int, what: str, fmnist: str | None) -> SurrogateSpec:
    recipe_for = ((_FMNIST, fmnist),) if fmnist else ()
    stage = Stage(recipe, None, 0.0, rejects=False, recipe_for=recipe_for, runs=runs, split="random",
                  measure="final")  # fmt: skip
    return SurrogateSpec(name, (stage,), f"paper 003, {what}: {_P003_DESC}")


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
        _p003(
            "inception_003",
            "inception_003",
            1,
            "from scratch, one run (experiments 1 and 5)",
            "inception_003_fmnist",
        ),
        _p003(
            "inception_003_x3",
            "inception_003",
            3,
            "from scratch, 3 runs averaged (experiment 2)",
            "inception_003_fmnist",
        ),
        _p003(
            "inception_003_finetune",
            "inception_003_finetune",
            1,
            "ImageNet weights fine-tuned, one run (experiment 3)",
            "inception_003_finetune_fmnist",
        ),
        _p003(
            "inception_003_finetune_x3",
            "inception_003_finetune",
            3,
            "ImageNet weights fine-tuned, 3 runs averaged (experiment 4)",
            "inception_003_finetune_fmnist",
        ),
        _p003(
            "inception_003_small",
            "inception_003_small",
            1,
            "its CPU smoke form at 75x75, no upsampling",
            None,
        ),
        SurrogateSpec(
            "convnet_003_small",
            (Stage("convnet_standard", None, 0.0, rejects=False, split="random", measure="final"),),
            "a CPU smoke form of paper 003's fitness rules (a fresh random split, the trained model's "
            "validation accuracy, no rejection) on the ConvNet surrogate instead of InceptionV3",
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

# The published (initial fitness, surrogate fitness) pairs of a search (docs/reference.md §5).
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
    dataset: str | None = None,
) -> list[StagePlan]:
    """Each stage's budget: the recipe's schedule (the stage's recipe for `dataset`) scaled
    by `scale` (at least 10 steps), of which the stage trains its first `steps · scale`;
    epochs of up to the recipe's `steps_per_epoch`; thresholds times `threshold_scale`;
    `batch_size` overrides every stage's batch (smoke runs)."""
    plans = []
    for stage in spec.stages:
        recipe = recipes_lib.get(stage.recipe_on(dataset))
        if augmentation is not None:
            recipe = dataclasses.replace(recipe, augmentation=augmentation)
        if scale != 1 or batch_size is not None:
            recipe = recipes_lib.scaled(recipe, max(10, round(recipe.steps * scale)), batch_size)
        steps = recipe.steps if stage.steps is None else max(10, round(stage.steps * scale))
        per_epoch = min(recipe.steps_per_epoch, steps)
        plans.append(
            StagePlan(stage, recipe.model, recipes_lib.truncated(recipe, steps), steps, per_epoch,
                      stage.threshold * threshold_scale, _scaled_epoch(stage.stop_epoch, scale))
        )  # fmt: skip
    return plans


def fitness_name(surrogate: str, augmentation: str | None = None) -> str:
    """The name a surrogate's results are journaled and cached under."""
    return surrogate if augmentation is None else f"{surrogate}:{augmentation}"
