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

from lossevo.data import progressive
from lossevo.data.sources import ImageDataset
from lossevo.models import get as get_model
from lossevo.models import set_top_dropout
from lossevo.space.protocol import Genome
from lossevo.training import recipes as recipes_lib
from lossevo.training.build import builder_kwargs, make_optimizer, plateau_callback, resolve_loss
from lossevo.training.callbacks import StopBelow, StopOnNonFiniteLoss
from lossevo.training.inputs import eval_stream, phase_stream, train_stream


@dataclasses.dataclass
class TrainResult:
    """History (per epoch, all phases), best validation accuracy, test accuracy, the model."""

    history: dict[str, list[float]]
    best_val_accuracy: float
    test_accuracy: float | None
    model: keras.Model
    diverged: bool = False


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
    phases = (
        list(progressive.ProgressiveSchedule.from_table(recipe.progressive, 1, recipe.num_phases))
        if recipe.progressive
        else None
    )
    kwargs = {**builder_kwargs(recipe, name, bool(phases), dataset.image_size), **(model_kwargs or {})}

    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope, _dtype_policy(mixed_precision):
        net = (
            builder(name, dataset.num_classes, **kwargs) if builder else model(dataset.num_classes, **kwargs)
        )
        net.compile(
            optimizer=make_optimizer(recipe),
            loss=resolve_loss(loss, recipe.label_smoothing),
            metrics=["accuracy"],
            jit_compile=jit_compile,
        )

    history: dict[str, list[float]] = {}
    nonfinite = StopOnNonFiniteLoss()
    callbacks = [nonfinite, *callbacks]
    if phases and recipe.phase_stop is not None:
        callbacks.append(StopBelow(*recipe.phase_stop))
    plateau = plateau_callback(recipe)
    if plateau is not None:
        callbacks.append(plateau)
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

    eval_size = None  # the recipe's evaluation size (a progressive run's: its last phase's)
    if phases:
        per_phase = recipe.steps_per_phase or recipe.steps // len(phases)
        for phase in phases:
            set_top_dropout(net, phase.dropout)
            eval_size = (phase.image_size, phase.image_size)
            train_ds = phase_stream(dataset, recipe, phase, seed, shuffle_buffer)
            fit(train_ds, eval_stream(dataset.validation, dataset.num_classes, recipe, eval_size), per_phase)
            if nonfinite.fired:  # a phase stopped by `phase_stop` goes on to the next one
                break
    else:
        train_ds = train_stream(dataset, recipe, seed, shuffle_buffer)
        fit(train_ds, eval_stream(dataset.validation, dataset.num_classes, recipe), recipe.steps)

    diverged = any(not np.isfinite(v) for v in history.get("loss", []))
    val_acc = [v for v in history.get("val_accuracy", []) if np.isfinite(v)]
    test_acc = None
    if evaluate_test and not diverged:
        test_ds = eval_stream(dataset.test, dataset.num_classes, recipe, eval_size)
        test_acc = float(net.evaluate(test_ds, verbose=0, return_dict=True)["accuracy"])
    return TrainResult(history, max(val_acc) if val_acc else float("nan"), test_acc, net, diverged)
