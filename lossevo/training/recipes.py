"""The papers' training recipes (docs/reference.md §6 and §9) as data: `RECIPES[name]` or `get(name)`.

A recipe names a default model, the optimizer and its schedule, batch size and steps,
weight decay, augmentation and label smoothing; progressive recipes name a phase table.
`scaled(recipe, steps)` shrinks one to a smoke-test length, keeping its proportions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lossevo.data.pipelines import AugmentConfig


@dataclasses.dataclass(frozen=True)
class Recipe:
    """One training recipe.

    Attributes:
      name: registry key.
      model: the model it was published with (`lossevo.models` name).
      optimizer: "adam" or "sgd_nesterov".
      peak_lr: the schedule's peak learning rate.
      schedule: "warmup_cosine", "warmup_linear", or "constant" (`peak_lr` throughout,
        lowered only by `plateau`).
      warmup_steps, hold_steps: schedule shape.
      steps: training steps.
      schedule_steps: the schedule's length when it differs from `steps` (the EfficientNet
        surrogate trains 8,000 steps of a 64,000-step schedule).
      batch_size: global batch size.
      momentum: SGD momentum.
      weight_decay: as published; for SGD it is divided by the batch size and applied as
        Keras' (decoupled) weight decay (BUILD_NOTES.md).
      kernel_l2: an L2 penalty `kernel_l2 · Σw²` on every kernel, added to the loss (Keras'
        `kernel_regularizer`, as the code base the papers cite for WRN and SE-ResNeXt).
      augmentation: a `lossevo.data` technique.
      augment: technique parameters (image size, crop, magnitude, input scaling, ...).
      shuffle_buffer: training shuffle buffer; 0: the examples in their stored order.
      batch_per_pass: batch each pass over the training data on its own, ending with a
        partial batch, then repeat (the authors' loaders; `make_pipeline`); False (the
        default): repeat, then batch, every batch full (BUILD_NOTES, "Batch boundaries").
      steps_per_epoch: steps between validations (an epoch of the history).
      label_smoothing: default label smoothing of the loss.
      progressive: phase table ("cifar" or "large") for progressive RandAugment, else None.
      num_phases: how many phases of the table (None: all).
      steps_per_phase: steps of each progressive phase (None: `steps` split evenly).
      phase_stop: `(threshold, epoch)`: each progressive phase stops at the end of an
        epoch with 0-based index `>= epoch` (counted within the phase) whose training
        accuracy is below `threshold`; the next phase still runs (the code's
        `EpochCallback(0.45, epoch=40)` in its elimination).
      weights: "imagenet" for fine-tuning recipes.
      dropout: top dropout (None: the model's default or the phase's).
      plateau: `(factor, patience, min_lr)`: Keras' `ReduceLROnPlateau` on the validation
        accuracy after every epoch (paper 003); None: none.
      model_kwargs: more model-builder arguments as `(name, value)` pairs.
      source: where the recipe comes from.
    """

    name: str
    model: str
    optimizer: str
    peak_lr: float
    schedule: str
    warmup_steps: int
    steps: int
    batch_size: int
    hold_steps: int = 0
    schedule_steps: int | None = None
    momentum: float = 0.9
    weight_decay: float = 0.0
    kernel_l2: float = 0.0
    augmentation: str = "none"
    augment: AugmentConfig = dataclasses.field(default_factory=AugmentConfig)
    shuffle_buffer: int = 10000
    batch_per_pass: bool = False
    steps_per_epoch: int = 100
    label_smoothing: float = 0.0
    progressive: str | None = None
    num_phases: int | None = None
    steps_per_phase: int | None = None
    phase_stop: tuple[float, int] | None = None
    weights: str | None = None
    dropout: float | None = None
    plateau: tuple[float, int, float] | None = None
    model_kwargs: tuple[tuple[str, Any], ...] = ()
    source: str = ""

    @property
    def total_schedule_steps(self) -> int:
        return self.schedule_steps or self.steps


_P002 = "paper 002"
_P000 = "paper 000"
_CODE = "code fitness_functions.py"
# The code's non-augmented `trainloader`: batch 128, images / 255, no shuffling.
_UNIT = AugmentConfig(scaling="unit")
_RANDAUG80 = AugmentConfig(image_size=(80, 80), randaug_magnitude=5.0)
_RANDAUG96 = AugmentConfig(image_size=(96, 96), randaug_magnitude=5.0)
_WRN_AUG = AugmentConfig(image_size=(40, 40), crop_size=(32, 32))  # resize 40, crop 32, cutout 8, flip
_L2 = 5e-4  # BIGBALLON/cifar-10-cnn's weight decay for WRN and SE-ResNeXt
# Paper 003 (§4.1, Table B.2.1) and the authors' NGL example: Adam 1e-3, ReduceLROnPlateau
# (factor 0.2, patience 5, min 1e-4, on validation accuracy), batch 128, ImageDataGenerator
# shift 0.1 / zoom 0.2 / flip, reshuffled every epoch, inputs x / 127.5 - 1, upsampled x8
# in the model. An epoch is one pass over 90% of the training pool: CIFAR 45,000 images
# (352 steps) for 50 epochs, Fashion-MNIST 54,000 (422 steps) for 35.
_P003 = "paper 003 §4.1, Table B.2.1; authors' NGL example.py"
_INCEPTION = AugmentConfig(scaling="inception")
_PLATEAU = (0.2, 5, 1e-4)
# The authors' final tests (final_loss_testing.py): `basemodel_test` trains EfficientNetV2-S
# (top dropout 0.1) at 32 px (resize only, `(x - 127.5) / 128`), no augmentation, no
# shuffling, batch 64 (`.batch(64)` before `.repeat()`: each pass of 50,000 ends with a
# batch of 16), Adam, epochs of 100 steps: from scratch 640 epochs of a
# WarmupCosineDecay(64000, 6400), from ImageNet weights 160 epochs of (16000, 1600).
_BASE_TEST = "code final_loss_testing.py basemodel_test"
_PX32 = AugmentConfig(image_size=(32, 32))
_PROGRESSIVE = Recipe("effnetv2s_progressive", "efficientnetv2s", "adam", 1e-3, "warmup_cosine", 6400, 64000, 64,
                      augmentation="randaug_only", shuffle_buffer=1024, progressive="cifar", steps_per_phase=16000,
                      phase_stop=(0.45, 40),
                      source=f"{_P002} App. D, 16k steps/phase; code loss_projection.py EpochCallback(0.45, epoch=40)")  # fmt: skip


def _inception(name: str, epochs: int, steps_per_epoch: int, **kw: Any) -> Recipe:
    return Recipe(name, "inceptionv3", "adam", 1e-3, "constant", 0, epochs * steps_per_epoch, 128,
                  augmentation="shift_zoom_flip", augment=kw.pop("augment", _INCEPTION), shuffle_buffer=60000,
                  steps_per_epoch=steps_per_epoch, plateau=_PLATEAU, source=_P003, **kw)  # fmt: skip


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        # Surrogates (docs/reference.md §6), named after the code's fitness functions: Adam, warm-up 800
        # then cosine over 8,000 steps (EfficientNet: 6,400 and 64,000).
        Recipe("convnet_standard", "convnet", "adam", 1e-3, "warmup_cosine", 800, 8000, 128,
               augment=_UNIT, shuffle_buffer=0,
               source=f"{_P002} §3.5, {_CODE} fitness_function_convnet_standard"),
        Recipe("resnet_standard", "resnet9v2_small", "adam", 1e-3, "warmup_cosine", 800, 8000, 128,
               augment=_UNIT, shuffle_buffer=0, source=f"{_CODE} fitness_function_resnet_standard"),
        Recipe("resnet_rand_aug", "resnet9v2_small", "adam", 1e-3, "warmup_cosine", 800, 8000, 64,
               augmentation="randaug_only", augment=_RANDAUG80, shuffle_buffer=1024,
               source=f"{_CODE} fitness_function_resnet_rand_aug (80x80 RandAugment M=5)"),
        Recipe("effnet_rand_aug", "efficientnetv2s", "adam", 1e-3, "warmup_cosine", 6400, 8000, 64,
               schedule_steps=64000, augmentation="randaug_only", augment=_RANDAUG96, shuffle_buffer=1024,
               dropout=0.1, source=f"{_P002} §3.7, {_CODE} fitness_function_effnet_rand_aug (96x96)"),
        Recipe("resnet9v2_6m_surrogate", "resnet9v2_6m", "adam", 1e-3, "warmup_cosine", 1000, 20000, 128,
               augmentation="base", steps_per_epoch=500,
               source=f"{_P000} §3.1 (40 epochs x 500 steps; any technique)"),
        # Paper 003's GP fitness (InceptionV3, 9-layer head), from scratch and fine-tuned.
        _inception("inception_003", 50, 352),
        _inception("inception_003_fmnist", 35, 422),
        _inception("inception_003_finetune", 50, 352, weights="imagenet"),
        _inception("inception_003_finetune_fmnist", 35, 422, weights="imagenet"),
        # Its CPU variant: the smallest input Keras' InceptionV3 takes (75x75), no upsampling.
        _inception("inception_003_small", 50, 352, augment=AugmentConfig(scaling="inception", image_size=(75, 75)),
                   model_kwargs=(("upsample", 1),)),
        # EfficientNetV2-S progressive RandAugment (docs/reference.md §9), from scratch and, as the
        # code's final tests also ran it, from ImageNet weights.
        _PROGRESSIVE,
        dataclasses.replace(_PROGRESSIVE, name="effnetv2s_progressive_imagenet", weights="imagenet",
                            source="code loss_projection.py progressive_test(use_imagenet=True), "
                                   "as run by final_loss_testing.py"),
        # The code's final tests without progressive training (`basemodel_test`).
        Recipe("effnetv2s_code_base", "efficientnetv2s", "adam", 1e-3, "warmup_cosine", 6400, 64000, 64,
               augment=_PX32, shuffle_buffer=0, batch_per_pass=True, dropout=0.1,
               source=f"{_BASE_TEST}(use_imagenet=False)"),
        Recipe("effnetv2s_code_base_imagenet", "efficientnetv2s", "adam", 1e-3, "warmup_cosine", 1600, 16000,
               64, augment=_PX32, shuffle_buffer=0, batch_per_pass=True, weights="imagenet", dropout=0.1,
               source=f"{_BASE_TEST}(use_imagenet=True)"),
        Recipe("effnetv2s_progressive_final", "efficientnetv2s", "adam", 1e-3, "warmup_cosine", 6400, 96000,
               64, hold_steps=12400, augmentation="randaug_only", shuffle_buffer=1024, progressive="cifar",
               steps_per_phase=24000, source=f"{_P002} App. D, final tests: 24k steps/phase, 12,400-step hold"),
        Recipe("effnetv2s_finetune", "efficientnetv2s", "adam", 1e-3, "warmup_cosine", 500, 10000, 64,
               hold_steps=1500, augmentation="randaug_only", shuffle_buffer=1024,
               augment=AugmentConfig(image_size=(224, 224), randaug_magnitude=15.0), weights="imagenet",
               dropout=0.5, source=f"{_P002} App. D fine-tuning: 224 px, dropout 0.5, M 15"),
        Recipe("effnetv2s_finetune_000", "efficientnetv2s", "sgd_nesterov", 0.1, "warmup_cosine", 1000, 10000,
               64, augmentation="base", augment=AugmentConfig(image_size=(224, 224)), weights="imagenet",
               steps_per_epoch=500, source=f"{_P000} §4.2 fine-tuning (20 epochs x 500 steps)"),
        # Large CNNs (docs/reference.md §9).
        Recipe("wideresnet_002", "wideresnet28_10", "sgd_nesterov", 0.1, "warmup_cosine", 1000, 96186, 128,
               kernel_l2=_L2, augmentation="cutout", augment=_WRN_AUG, source=f"{_P002} App. D"),
        Recipe("seresnext_002", "seresnext29_4x64d", "sgd_nesterov", 0.1, "warmup_cosine", 1000, 96186, 128,
               kernel_l2=_L2, augmentation="cutout", augment=_WRN_AUG, source=f"{_P002} App. D (as WideResNet)"),
        Recipe("wideresnet_000", "wideresnet28_10", "sgd_nesterov", 0.1, "warmup_cosine", 1000, 117300, 128,
               kernel_l2=_L2, augmentation="base", steps_per_epoch=391,
               source=f"{_P000} §3.3 (300 x 391 steps; any technique)"),
        Recipe("davidnet_cutout", "davidnet", "sgd_nesterov", 0.4, "warmup_linear", 1176, 2940, 512,
               weight_decay=0.512, augmentation="cutout", source=f"{_P002} App. D (DAWNBench)"),
        Recipe("davidnet_cutmix", "davidnet", "sgd_nesterov", 0.4, "warmup_linear", 1176, 2940, 512,
               weight_decay=0.0256, augmentation="cutmix", source=f"{_P002} App. D"),
    )
}  # fmt: skip

# Earlier names, kept working.
ALIASES: dict[str, str] = {
    "resnet9v2_surrogate": "resnet_rand_aug",
    "effnetv2s_surrogate": "effnet_rand_aug",
}


def names() -> list[str]:
    return list(RECIPES)


def get(name: str) -> Recipe:
    """A recipe by name (or an earlier name in `ALIASES`)."""
    key = ALIASES.get(name, name)
    if key not in RECIPES:
        raise ValueError(
            f"unknown recipe {name!r}; known recipes: {', '.join(RECIPES)} (aliases: {', '.join(ALIASES)})"
        )
    return RECIPES[key]


def scaled(recipe: Recipe, steps: int, batch_size: int | None = None) -> Recipe:
    """The recipe shortened to `steps` (warm-up, hold, phases and schedule scaled alike)."""
    factor = steps / recipe.steps
    return dataclasses.replace(
        recipe,
        steps=steps,
        warmup_steps=round(recipe.warmup_steps * factor),
        hold_steps=round(recipe.hold_steps * factor),
        schedule_steps=None
        if recipe.schedule_steps is None
        else max(steps, round(recipe.schedule_steps * factor)),
        steps_per_phase=None
        if recipe.steps_per_phase is None
        else max(1, round(recipe.steps_per_phase * factor)),
        batch_size=batch_size or recipe.batch_size,
    )


def truncated(recipe: Recipe, steps: int) -> Recipe:
    """The first `steps` steps of the recipe, its schedule unchanged: a run cut short sees
    only the start of the schedule (the code's 800-step pre-check is the warm-up of the
    8,000-step schedule). `steps` may also exceed the recipe's: the schedule then stays at
    its final rate."""
    return dataclasses.replace(recipe, steps=steps, schedule_steps=recipe.total_schedule_steps)


def extended(recipe: Recipe, steps: int) -> Recipe:
    """The recipe trained for `steps` with the same warm-up (and hold), the decay stretched
    to the new length (paper 000's 96,000-step retrain of its 20,000-step surrogate)."""
    if recipe.schedule_steps is not None:
        raise ValueError(f"recipe {recipe.name!r} has a schedule of its own length; truncate it instead")
    return dataclasses.replace(recipe, steps=steps)
