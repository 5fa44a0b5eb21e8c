"""`train(model, loss, dataset, recipe)`: one training run of a recipe, progressive or not.

Runs inside any `tf.distribute` strategy (TPU on Colab, several GPUs), with mixed precision
on request. A progressive recipe trains one model, one optimizer and one schedule across its
phases; each phase changes the input size, the top dropout (`VariableDropout`, a variable
read inside the compiled step) and the RandAugment magnitude.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from lossevo import losses as losses_lib
from lossevo.data import progressive
from lossevo.data.pipelines import make_pipeline
from lossevo.data.sources import ImageDataset
from lossevo.genome.genome import Genome
from lossevo.gp.tree import TreeGenome
from lossevo.models import get as get_model
from lossevo.models import set_top_dropout
from lossevo.training import recipes as recipes_lib
from lossevo.training.schedules import WarmupCosineDecay, WarmupLinearDecay


@dataclasses.dataclass
class TrainResult:
    """History (per epoch, all phases), best validation accuracy, test accuracy, the model."""

    history: dict[str, list[float]]
    best_val_accuracy: float
    test_accuracy: float | None
    model: keras.Model
    diverged: bool = False


def make_schedule(recipe: recipes_lib.Recipe) -> keras.optimizers.schedules.LearningRateSchedule:
    total = recipe.total_schedule_steps
    if recipe.schedule == "warmup_cosine":
        return WarmupCosineDecay(recipe.peak_lr, total, recipe.warmup_steps, recipe.hold_steps)
    if recipe.schedule == "warmup_linear":
        return WarmupLinearDecay(recipe.peak_lr, total, recipe.warmup_steps)
    raise ValueError(f"unknown schedule {recipe.schedule!r}; known: warmup_cosine, warmup_linear")


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
    return kwargs


def _resolve_loss(loss: Any, label_smoothing: float) -> keras.losses.Loss:
    if isinstance(loss, Genome | TreeGenome):
        return losses_lib.EvolvedLoss(loss, label_smoothing=label_smoothing)
    if isinstance(loss, str):
        return losses_lib.get(loss)
    return loss


class _StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stops at the end of an epoch whose loss is NaN/Inf. Unlike `TerminateOnNaN`, it has
    no per-batch hook, so Keras does not copy the logs to the host after every step (a
    device sync per step)."""

    def __init__(self):
        super().__init__()
        self.fired = False

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.fired = True
            self.model.stop_training = True


class StopBelow(keras.callbacks.Callback):
    """The authors' `EpochCallback(threshold, epoch=E)`: stops training at the end of any
    epoch with 0-based index `>= epoch`, counted from the start of this `fit`, whose
    training accuracy is below `threshold`. `stopped` records that it fired."""

    def __init__(self, threshold: float, epoch: int = 6):
        super().__init__()
        self.threshold, self.epoch, self.stopped = threshold, epoch, False
        self._first = 0

    def on_train_begin(self, logs=None):
        self._first = None

    def on_epoch_end(self, epoch, logs=None):
        if self._first is None:
            self._first = epoch
        if epoch - self._first >= self.epoch and (logs or {}).get("accuracy", 0.0) < self.threshold:
            self.stopped = True
            self.model.stop_training = True


@contextlib.contextmanager
def _dtype_policy(policy: str | None):
    if policy is None:
        yield
        return
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def train(
    model: str | Callable[..., keras.Model] | None,
    loss: keras.losses.Loss | Genome | str,
    dataset: ImageDataset,
    recipe: recipes_lib.Recipe | str,
    *,
    steps: int | None = None,
    steps_per_epoch: int | None = None,
    batch_size: int | None = None,
    seed: int = 0,
    strategy: tf.distribute.Strategy | None = None,
    mixed_precision: str | None = None,
    jit_compile: bool | str = "auto",
    callbacks: Sequence[keras.callbacks.Callback] = (),
    evaluate_test: bool = True,
    model_kwargs: dict[str, Any] | None = None,
    shuffle_buffer: int | None = None,
    verbose: int = 0,
) -> TrainResult:
    """Trains a model with a loss on a dataset by a recipe.

    Args:
      model: a `lossevo.models` name, a builder `f(num_classes, input_shape, **kw)`, or None
        for the recipe's model.
      loss: a Keras loss, a genome, or a `lossevo.losses` name.
      dataset: from `lossevo.data.load`.
      recipe: a `Recipe` or its name.
      steps: shorten the recipe to this many steps (schedule scaled alike; to train only the
        first steps of its schedule pass `recipes.truncated(recipe, steps)` instead).
      steps_per_epoch: steps between validations (an epoch of the history; default the
        recipe's).
      batch_size: override the recipe's (global) batch size.
      seed: seeds weights and data.
      strategy: a `tf.distribute` strategy to build and train in.
      mixed_precision: a Keras dtype policy such as "mixed_float16" or "mixed_bfloat16".
      jit_compile: passed to `model.compile`.
      callbacks: extra Keras callbacks.
      evaluate_test: evaluate on the test split at the end.
      model_kwargs: extra builder arguments.
      shuffle_buffer: training shuffle buffer (default the recipe's; 0: no shuffling).
        Under a distribution strategy Keras rebuilds the input pipeline and tf.data's seeded
        shuffle then draws another order: runs repeat exactly per strategy, not across
        strategies.
    """
    recipe = recipes_lib.get(recipe) if isinstance(recipe, str) else recipe
    if steps is not None or batch_size is not None:
        recipe = recipes_lib.scaled(recipe, steps or recipe.steps, batch_size)
    steps_per_epoch = steps_per_epoch or recipe.steps_per_epoch
    shuffle_buffer = recipe.shuffle_buffer if shuffle_buffer is None else shuffle_buffer
    keras.utils.set_random_seed(seed)
    builder = get_model if model is None or isinstance(model, str) else None
    name = recipe.model if model is None else model
    config = recipe.augment
    phases = (
        list(progressive.ProgressiveSchedule.from_table(recipe.progressive, 1, recipe.num_phases))
        if recipe.progressive
        else None
    )
    kwargs = {**builder_kwargs(recipe, name, bool(phases), dataset.image_size), **(model_kwargs or {})}
    eval_config = dataclasses.replace(config, image_size=config.crop_size or config.image_size)

    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope, _dtype_policy(mixed_precision):
        net = (
            builder(name, dataset.num_classes, **kwargs) if builder else model(dataset.num_classes, **kwargs)
        )
        net.compile(
            optimizer=make_optimizer(recipe),
            loss=_resolve_loss(loss, recipe.label_smoothing),
            metrics=["accuracy"],
            jit_compile=jit_compile,
        )

    history: dict[str, list[float]] = {}
    nonfinite = _StopOnNonFiniteLoss()
    callbacks = [nonfinite, *callbacks]
    if phases and recipe.phase_stop is not None:
        callbacks.append(StopBelow(*recipe.phase_stop))
    epochs_done = 0

    def fit(train_ds, val_ds, n_steps: int):
        nonlocal epochs_done
        n_epochs = max(1, math.ceil(n_steps / steps_per_epoch))
        h = net.fit(
            train_ds, validation_data=val_ds, steps_per_epoch=min(steps_per_epoch, n_steps),
            initial_epoch=epochs_done, epochs=epochs_done + n_epochs, callbacks=callbacks, verbose=verbose,
            shuffle=False,  # the pipeline shuffles
        )  # fmt: skip
        epochs_done += n_epochs
        for k, v in h.history.items():
            history.setdefault(k, []).extend(float(x) for x in v)

    bs = recipe.batch_size
    if phases:
        per_phase = recipe.steps_per_phase or recipe.steps // len(phases)
        for phase in phases:
            set_top_dropout(net, phase.dropout)
            size = (phase.image_size, phase.image_size)
            train_ds = progressive.phase_pipeline(dataset.train, phase, dataset.num_classes, bs, seed, config,
                                                  repeat=True, shuffle_buffer=shuffle_buffer)  # fmt: skip
            val_cfg = dataclasses.replace(config, image_size=size)
            val_ds = make_pipeline(
                dataset.validation, "none", dataset.num_classes, bs, training=False, config=val_cfg
            )
            fit(train_ds, val_ds, per_phase)
            if nonfinite.fired:  # a phase stopped by `phase_stop` goes on to the next one
                break
        eval_config = dataclasses.replace(config, image_size=size)
    else:
        train_ds = make_pipeline(dataset.train, recipe.augmentation, dataset.num_classes, bs, seed, True, config,
                                 shuffle_buffer=shuffle_buffer, repeat=True)  # fmt: skip
        val_ds = make_pipeline(
            dataset.validation, "none", dataset.num_classes, bs, training=False, config=eval_config
        )
        fit(train_ds, val_ds, recipe.steps)

    diverged = any(not np.isfinite(v) for v in history.get("loss", []))
    val_acc = [v for v in history.get("val_accuracy", []) if np.isfinite(v)]
    test_acc = None
    if evaluate_test and not diverged:
        test_ds = make_pipeline(
            dataset.test, "none", dataset.num_classes, bs, training=False, config=eval_config
        )
        test_acc = float(net.evaluate(test_ds, verbose=0, return_dict=True)["accuracy"])
    return TrainResult(history, max(val_acc) if val_acc else float("nan"), test_acc, net, diverged)
