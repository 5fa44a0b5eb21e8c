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
exactly as `lossevo.training.solo` does for that seed (`keras.utils.set_random_seed(seed)`
then the model builder; the dropout layer's seed state included), the optimizer is the
recipe's (`make_optimizer`, its own step counter), the loss is reduced as Keras reduces it,
and each copy's gradient is that of its own loss. Fed the batches that `train(seed=seed)`
would draw (`train_pipeline`), a copy follows the solo run (tested).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from lossevo.losses.interpreted import interpreted_loss
from lossevo.models import get as get_model
from lossevo.models.layers import VariableDropout
from lossevo.space.protocol import Genome
from lossevo.training import recipes as recipes_lib
from lossevo.training.build import builder_kwargs, make_optimizer
from lossevo.training.population_base import PopulationBase, resolve_jit


class PopulationTrainer(PopulationBase):
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
        self._init_slots(population)
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
        self._load_code(slot, genome)
        del fresh

    def slot_weights(self, slot: int) -> list[np.ndarray]:
        """Copy `slot`'s weights (its model's order)."""
        return [v.numpy() for v in self.models[slot].weights]

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
        self._record_step(active, losses, targets, preds, batch)

    def _eval_step(self, x: tf.Tensor, y: tf.Tensor, weight: tf.Tensor, mask: tf.Tensor) -> None:
        self.trace_counts["evaluate"] += 1
        correct = []
        for k, net in enumerate(self.models):

            def run(net=net):
                pred = net(x, training=False)
                hits = tf.cast(tf.equal(tf.argmax(y, -1), tf.argmax(pred, -1)), tf.float32)
                return tf.reduce_sum(hits * weight)

            correct.append(tf.cond(mask[k], run, lambda: tf.constant(0.0)))
        self._record_eval(tf.stack(correct), weight, mask)
