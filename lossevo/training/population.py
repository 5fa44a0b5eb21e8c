"""Population-batched training: K candidate losses trained at once in one compiled step.

`PopulationTrainer` holds K copies of a model (same architecture, independent weights) and
one optimizer per copy. Its compiled train step takes a batch per copy (or one batch that
all share) and runs, for each copy `k` whose `active[k]` is set, the same computation as a
solo Keras `fit` step: forward in training mode, the copy's loss (`interpreted_loss` read
from the genome-code variables), gradients of that loss alone, `optimizer.apply`. A copy
whose flag is clear is skipped by a `tf.cond`: no forward, backward or update is computed
for it, and its weights, BatchNorm statistics, dropout seed and optimizer state stay as
they are. Nothing in the traced step depends on which genomes are loaded: `assign` writes
the genome code, copies freshly initialised weights in and resets the optimizer, so new
candidates never re-trace (`trace_counts` counts the Python executions of each step).

Equivalence with training alone: `assign(slot, genome, seed)` initialises copy `slot`
exactly as `lossevo.training.train` does for that seed (`keras.utils.set_random_seed(seed)`
then the model builder; the dropout layer's seed state included), the optimizer is the
recipe's (`make_optimizer`, its own step counter), the loss is reduced as Keras reduces it,
and each copy's gradient is that of its own loss. Fed the batches that `train(seed=seed)`
would draw (`train_pipeline`), a copy follows the solo run (tested).
"""

from __future__ import annotations

import collections
import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from lossevo.data.pipelines import make_pipeline
from lossevo.data.sources import ImageDataset
from lossevo.genome.genome import Genome
from lossevo.losses.catalog import CROSS_ENTROPY
from lossevo.losses.interpreted import encode, interpreted_loss
from lossevo.models import get as get_model
from lossevo.models.layers import VariableDropout
from lossevo.training import recipes as recipes_lib
from lossevo.training.train import builder_kwargs, make_optimizer


def resolve_jit(jit_compile: bool | str) -> bool:
    """Keras' "auto": XLA when an accelerator is present, not on a CPU-only machine."""
    if jit_compile == "auto":
        return any(d.device_type != "CPU" for d in tf.config.list_physical_devices())
    return bool(jit_compile)


def train_pipeline(
    dataset: ImageDataset, recipe: recipes_lib.Recipe, seed: int, shuffle_buffer: int | None = None
) -> tf.data.Dataset:
    """The training stream `train(recipe=recipe, seed=seed)` draws (set the global seed first:
    tf.data's seeded shuffle also reads it); `shuffle_buffer` None: the recipe's."""
    shuffle_buffer = recipe.shuffle_buffer if shuffle_buffer is None else shuffle_buffer
    return make_pipeline(dataset.train, recipe.augmentation, dataset.num_classes, recipe.batch_size, seed,
                         True, recipe.augment, shuffle_buffer=shuffle_buffer, repeat=True)  # fmt: skip


def validation_pipeline(dataset: ImageDataset, recipe: recipes_lib.Recipe) -> tf.data.Dataset:
    config = recipe.augment
    config = dataclasses.replace(config, image_size=config.crop_size or config.image_size)
    return make_pipeline(dataset.validation, "none", dataset.num_classes, recipe.batch_size, training=False,
                         config=config)  # fmt: skip


class PopulationTrainer:
    """K copies of a model, each trained by its own loss, in one compiled step.

    Args:
      model: a `lossevo.models` name.
      num_classes: classes of the task.
      recipe: the (already scaled) training recipe; its optimizer and schedule are used
        per copy, its batch size fixes the step's batch.
      population: K, the number of copies.
      label_smoothing: applied to the targets of every copy's loss.
      jit_compile: XLA for the compiled steps ("auto": only with an accelerator).
      image_size: the dataset's image size, when the recipe does not resize.
    """

    def __init__(
        self,
        model: str,
        num_classes: int,
        recipe: recipes_lib.Recipe,
        population: int,
        label_smoothing: float = 0.0,
        jit_compile: bool | str = "auto",
        image_size: tuple[int, int] | None = None,
    ):
        if population < 1:
            raise ValueError(f"population must be >= 1, got {population}")
        self.model_name, self.num_classes, self.recipe = model, num_classes, recipe
        self.population, self.label_smoothing = population, float(label_smoothing)
        self.jit_compile = resolve_jit(jit_compile)
        self.image_size = image_size
        self.models = [self._build(seed) for seed in range(population)]
        self.optimizers = []
        for m in self.models:
            opt = make_optimizer(recipe)
            opt.build(m.trainable_variables)
            self.optimizers.append(opt)
        self._opt_initial = [[v.numpy() for v in opt.variables] for opt in self.optimizers]
        code = encode(CROSS_ENTROPY)
        k = population
        self.ops = tf.Variable(np.tile(code.ops, (k, 1)), trainable=False, name="genome_ops")
        self.args = tf.Variable(np.tile(code.args, (k, 1, 1)), trainable=False, name="genome_args")
        self.sign = tf.Variable(np.full(k, code.sign, np.float32), trainable=False, name="genome_sign")
        self.active = tf.Variable(np.zeros(k, bool), trainable=False, name="active")
        self.nonfinite = tf.Variable(np.zeros(k, bool), trainable=False, name="nonfinite")
        zeros = np.zeros(k, np.float32)
        self._loss_sum, self._correct, self._count = (tf.Variable(zeros, trainable=False) for _ in range(3))
        self._val_correct, self._val_count = (tf.Variable(zeros, trainable=False) for _ in range(2))
        self.trace_counts = {"train": 0, "evaluate": 0}
        self._train_fn = tf.function(self._train_step, jit_compile=self.jit_compile)
        self._eval_fn = tf.function(self._eval_step, jit_compile=self.jit_compile)

    def _build(self, seed: int) -> keras.Model:
        keras.utils.set_random_seed(seed)
        kwargs = builder_kwargs(self.recipe, self.model_name, image_size=self.image_size)
        return get_model(self.model_name, self.num_classes, **kwargs)

    # -- candidates ---------------------------------------------------------------------
    def assign(self, slot: int, genome: Genome, seed: int) -> None:
        """Loads a candidate into copy `slot`: genome code, the weights (and dropout seed
        state) `train(seed=seed)` would start from, a fresh optimizer; activates it. Leaves
        the global seeds at `seed`, as `train()` does before it builds its pipeline."""
        fresh = self._build(seed)
        target = self.models[slot]
        for dst, src in zip(target.variables, fresh.variables, strict=True):
            dst.assign(src)
        for dst_layer, src_layer in zip(target.layers, fresh.layers, strict=True):
            if isinstance(dst_layer, VariableDropout):
                dst_layer.rate.assign(src_layer.rate)
        for var, value in zip(self.optimizers[slot].variables, self._opt_initial[slot], strict=True):
            var.assign(value)
        code = encode(genome)
        self.ops[slot].assign(code.ops)
        self.args[slot].assign(code.args)
        self.sign[slot].assign(code.sign)
        self.nonfinite[slot].assign(False)
        self.active[slot].assign(True)
        del fresh

    def deactivate(self, slot: int) -> None:
        """Stops training copy `slot` (its state is kept as it is)."""
        self.active[slot].assign(False)

    # -- compiled steps -----------------------------------------------------------------
    def _train_step(self, x: tf.Tensor, y: tf.Tensor) -> None:
        self.trace_counts["train"] += 1
        active = tf.identity(self.active)
        k_all, batch = self.population, y.shape[1]
        blank = tf.fill([batch, self.num_classes], 1.0 / self.num_classes)
        with tf.GradientTape() as tape:
            preds = []
            for k, net in enumerate(self.models):
                xk = x[k] if x.shape[0] > 1 else x[0]
                preds.append(tf.cond(active[k], lambda net=net, xk=xk: tf.cast(net(xk, training=True), tf.float32),
                                     lambda: blank))  # fmt: skip
            preds = tf.stack(preds)
            targets = y if y.shape[0] > 1 else tf.broadcast_to(y, [k_all, *y.shape[1:]])
            values = interpreted_loss(self.ops, self.args, self.sign, targets, preds, self.label_smoothing)
            # Keras' "sum_over_batch_size" reduction, per copy.
            losses = tf.math.divide_no_nan(tf.reduce_sum(values, -1), float(batch))
            total = tf.reduce_sum(tf.where(active, losses, 0.0))
        variables = [net.trainable_variables for net in self.models]
        grads = tape.gradient(total, variables)
        for k, opt in enumerate(self.optimizers):

            def apply(opt=opt, g=grads[k], v=variables[k]):
                opt.apply(g, v)
                return tf.constant(True)

            tf.cond(active[k], apply, lambda: tf.constant(False))
        hits = tf.cast(tf.equal(tf.argmax(targets, -1), tf.argmax(preds, -1)), tf.float32)
        zero = tf.zeros_like(self._count)
        self._loss_sum.assign_add(tf.where(active, losses * batch, zero))
        self._correct.assign_add(tf.where(active, tf.reduce_sum(hits, -1), zero))
        self._count.assign_add(tf.where(active, float(batch), zero))
        # The running mean loss turned NaN/Inf stops the copy at once (`train()` stops at
        # the end of that epoch; the candidate is `failed` either way).
        mean = self._loss_sum / tf.maximum(self._count, 1.0)
        bad = tf.logical_and(active, tf.logical_not(tf.math.is_finite(mean)))
        self.nonfinite.assign(tf.logical_or(self.nonfinite, bad))
        self.active.assign(tf.logical_and(active, tf.logical_not(bad)))

    def _eval_step(self, x: tf.Tensor, y: tf.Tensor, weight: tf.Tensor, mask: tf.Tensor) -> None:
        self.trace_counts["evaluate"] += 1
        correct = []
        for k, net in enumerate(self.models):

            def run(net=net):
                pred = net(x, training=False)
                hits = tf.cast(tf.equal(tf.argmax(y, -1), tf.argmax(pred, -1)), tf.float32)
                return tf.reduce_sum(hits * weight)

            correct.append(tf.cond(mask[k], run, lambda: tf.constant(0.0)))
        zero = tf.zeros_like(self._val_count)
        self._val_correct.assign_add(tf.where(mask, tf.stack(correct), zero))
        self._val_count.assign_add(tf.where(mask, tf.reduce_sum(weight), zero))

    def train_step(self, x: tf.Tensor, y: tf.Tensor) -> None:
        """One step for every active copy: `x [K, B, ...]`, `y [K, B, C]` (a batch per
        copy), or leading size 1 (one batch all copies share)."""
        self._train_fn(x, y)

    def epoch_metrics(self, reset: bool = True) -> dict[str, np.ndarray]:
        """Per copy since the last reset: mean loss, train accuracy, nonfinite flags."""
        count = np.maximum(self._count.numpy(), 1.0)
        out = {"loss": self._loss_sum.numpy() / count, "accuracy": self._correct.numpy() / count,
               "steps_seen": self._count.numpy(), "nonfinite": self.nonfinite.numpy().copy()}  # fmt: skip
        if reset:
            for v in (self._loss_sum, self._correct, self._count):
                v.assign(tf.zeros_like(v))
        return out

    def evaluate(self, batches: Any, mask: Sequence[bool]) -> np.ndarray:
        """Validation accuracy of the copies in `mask` (others: NaN) over `batches` of
        `(x, y)`; a last short batch is padded and weighted out (one trace)."""
        for v in (self._val_correct, self._val_count):
            v.assign(tf.zeros_like(v))
        mask_t = tf.constant(np.asarray(mask, bool))
        size = self.recipe.batch_size
        for xb, yb in batches:
            n = int(xb.shape[0])
            weight = tf.concat([tf.ones(n), tf.zeros(size - n)], 0)
            if n < size:
                xb = tf.concat([xb, tf.zeros((size - n, *xb.shape[1:]), xb.dtype)], 0)
                yb = tf.concat([yb, tf.zeros((size - n, *yb.shape[1:]), yb.dtype)], 0)
            self._eval_fn(xb, yb, weight, mask_t)
        count = self._val_count.numpy()
        return np.where(
            np.asarray(mask, bool) & (count > 0), self._val_correct.numpy() / np.maximum(count, 1), np.nan
        )


@dataclasses.dataclass
class CandidateRun:
    """One candidate's training: per-epoch `loss`, `accuracy` (train, running mean as
    Keras logs it) and `val_accuracy`; whether the stop rule fired or the loss went
    NaN/Inf; the final weights when asked for."""

    history: dict[str, list[float]]
    stopped: bool = False
    nonfinite: bool = False
    weights: list[np.ndarray] | None = None

    @property
    def best_val_accuracy(self) -> float | None:
        val = [v for v in self.history["val_accuracy"] if np.isfinite(v)]
        return max(val) if val else None


@dataclasses.dataclass
class _Slot:
    index: int
    iterator: Any
    epoch: int = 0


def train_population(
    trainer: PopulationTrainer,
    dataset: ImageDataset,
    genomes: Sequence[Genome],
    seeds: Sequence[int],
    *,
    steps: int,
    steps_per_epoch: int = 100,
    stop_threshold: float | None = None,
    stop_epoch: int | None = None,
    data: str = "candidate",
    shuffle_buffer: int | None = None,
    keep_weights: bool = False,
) -> list[CandidateRun]:
    """Trains every candidate through the trainer's K copies; a queue refills a copy at
    the next epoch boundary once its candidate finishes, is stopped or fails.

    Each candidate trains `ceil(steps / steps_per_epoch)` epochs of
    `min(steps_per_epoch, steps)` steps (as `train()` runs `fit`), is validated after every
    epoch, and stops early when the train accuracy of an epoch with 0-based index
    `>= stop_epoch` is below `stop_threshold` (the code's `EpochCallback`, `StopBelow`) or
    its running loss turns NaN/Inf.

    Args:
      data: "candidate": every copy draws the stream `train(seed=its seed)` would (results
        equal solo training); "shared": one stream (seeded by `seeds[0]`) feeds all copies,
        cheaper when augmentation dominates, but a candidate's batches then depend on when
        it entered the queue.
      keep_weights: store each candidate's final weights in its `CandidateRun`.
    """
    if data not in ("candidate", "shared"):
        raise ValueError(f"data must be 'candidate' or 'shared', got {data!r}")
    if len(genomes) != len(seeds):
        raise ValueError(f"{len(genomes)} genomes but {len(seeds)} seeds")
    per_epoch = min(steps_per_epoch, steps)
    epochs = max(1, math.ceil(steps / steps_per_epoch))
    if stop_threshold is None or stop_epoch is None:
        stop_threshold = stop_epoch = None
    recipe = trainer.recipe
    val_ds = validation_pipeline(dataset, recipe)
    runs: list[CandidateRun | None] = [None] * len(genomes)
    queue = collections.deque(range(len(genomes)))
    slots: list[_Slot | None] = [None] * trainer.population
    shared = None
    if data == "shared" and genomes:
        keras.utils.set_random_seed(int(seeds[0]))
        shared = iter(train_pipeline(dataset, recipe, int(seeds[0]), shuffle_buffer))
    blank = None
    while queue or any(s is not None for s in slots):
        for s in range(trainer.population):
            if slots[s] is None and queue:
                i = queue.popleft()
                trainer.assign(s, genomes[i], int(seeds[i]))
                it = (
                    iter(train_pipeline(dataset, recipe, int(seeds[i]), shuffle_buffer))
                    if shared is None
                    else None
                )
                slots[s] = _Slot(i, it)
                runs[i] = CandidateRun({"loss": [], "accuracy": [], "val_accuracy": []})
        trainer.epoch_metrics(reset=True)
        for _ in range(per_epoch):
            if shared is not None:
                xb, yb = next(shared)
                trainer.train_step(xb[None], yb[None])
                continue
            batches = [next(slot.iterator) if slot is not None else None for slot in slots]
            if blank is None:
                first = next(b for b in batches if b is not None)
                blank = (tf.zeros_like(first[0]), tf.zeros_like(first[1]))
            batches = [b if b is not None else blank for b in batches]
            trainer.train_step(tf.stack([b[0] for b in batches]), tf.stack([b[1] for b in batches]))
        metrics = trainer.epoch_metrics()
        # A copy that turned NaN/Inf this epoch is validated too, as `train()` validates the
        # epoch its loss went non-finite in (the fitness rule takes the best epoch).
        mask = [slot is not None for slot in slots]
        val = trainer.evaluate(val_ds, mask) if any(mask) else np.full(trainer.population, np.nan)
        for s, slot in enumerate(slots):
            if slot is None:
                continue
            run = runs[slot.index]
            slot.epoch += 1
            for key, value in (("loss", metrics["loss"][s]), ("accuracy", metrics["accuracy"][s]),
                               ("val_accuracy", val[s])):  # fmt: skip
                run.history[key].append(float(value))
            if metrics["nonfinite"][s]:
                run.nonfinite = True
            elif (
                stop_threshold is not None
                and slot.epoch - 1 >= stop_epoch
                and metrics["accuracy"][s] < stop_threshold
            ):
                run.stopped = True
            elif slot.epoch < epochs:
                continue
            if keep_weights:
                run.weights = [v.numpy() for v in trainer.models[s].weights]
            trainer.deactivate(s)
            slots[s] = None
    return runs
