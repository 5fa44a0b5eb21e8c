"""What a recipe builds: its learning-rate schedule, its optimizer, its model's builder
arguments, and the Keras loss a `train` call is given (a genome, a name or a loss)."""

from __future__ import annotations

from typing import Any

import keras

from lossevo import losses as losses_lib
from lossevo.space.protocol import Genome
from lossevo.training import recipes as recipes_lib
from lossevo.training.schedules import WarmupCosineDecay, WarmupLinearDecay


def make_schedule(recipe: recipes_lib.Recipe) -> keras.optimizers.schedules.LearningRateSchedule | float:
    """The recipe's learning-rate schedule (a constant rate for "constant")."""
    total = recipe.total_schedule_steps
    if recipe.schedule == "constant":
        return recipe.peak_lr
    if recipe.schedule == "warmup_cosine":
        return WarmupCosineDecay(recipe.peak_lr, total, recipe.warmup_steps, recipe.hold_steps)
    if recipe.schedule == "warmup_linear":
        return WarmupLinearDecay(recipe.peak_lr, total, recipe.warmup_steps)
    raise ValueError(f"unknown schedule {recipe.schedule!r}; known: warmup_cosine, warmup_linear, constant")


def make_optimizer(recipe: recipes_lib.Recipe) -> keras.optimizers.Optimizer:
    schedule = make_schedule(recipe)
    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(schedule)
    if recipe.optimizer == "sgd_nesterov":
        decay = recipe.weight_decay / recipe.batch_size if recipe.weight_decay else None
        return keras.optimizers.SGD(schedule, momentum=recipe.momentum, nesterov=True, weight_decay=decay)
    raise ValueError(f"unknown optimizer {recipe.optimizer!r}; known: adam, sgd_nesterov")


def builder_kwargs(
    recipe: recipes_lib.Recipe,
    model: Any,
    progressive: bool = False,
    image_size: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The model-builder arguments a recipe implies: its input size when it resizes or crops
    (any size for progressive recipes and EfficientNet, whose weights do not depend on it),
    else the dataset's `image_size` (your own 64x64 images), its ImageNet weights, its top
    dropout and its kernel L2 penalty."""
    kwargs: dict[str, Any] = {}
    size = recipe.augment.crop_size or recipe.augment.image_size or image_size
    if progressive or (size and model == "efficientnetv2s"):
        kwargs["input_shape"] = (None, None, 3)
    elif size:  # e.g. the small ResNet9v2 surrogate at 80x80
        kwargs["input_shape"] = (*size, 3)
    if recipe.weights:
        kwargs["weights"] = recipe.weights
    if recipe.dropout is not None:
        kwargs["dropout"] = recipe.dropout
    if recipe.kernel_l2:
        kwargs["kernel_l2"] = recipe.kernel_l2
    kwargs.update(recipe.model_kwargs)
    return kwargs


def plateau_callback(recipe: recipes_lib.Recipe) -> keras.callbacks.Callback | None:
    """Keras' `ReduceLROnPlateau` as the recipe sets it, on the validation accuracy."""
    if recipe.plateau is None:
        return None
    factor, patience, min_lr = recipe.plateau
    return keras.callbacks.ReduceLROnPlateau(
        monitor="val_accuracy", factor=factor, patience=patience, min_lr=min_lr
    )


def resolve_loss(loss: Any, label_smoothing: float) -> keras.losses.Loss:
    """A Keras loss from a genome (any representation), a registry name, or a Keras loss."""
    if isinstance(loss, str):
        return losses_lib.get(loss)
    if isinstance(loss, Genome):
        return losses_lib.EvolvedLoss(loss, label_smoothing=label_smoothing)
    return loss
