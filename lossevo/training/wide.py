"""Wide population training: K candidate losses trained as one network (`WideModel`).

`WidePopulation` has `PopulationTrainer`'s interface (assign, deactivate, train_step,
epoch_metrics, evaluate, slot_weights) but holds the K candidates in one wide network:
grouped convolutions, per-channel BatchNorm, one einsum head. A step computes all K at
once, so its kernels do not grow with K.

Each candidate trains as its solo run would: `assign(slot, genome, seed)` builds the
model `train(seed=seed)` would start from and copies its weights into the slot; its loss is
the interpreted loss of its genome over its own predictions, reduced as Keras reduces it.
Adam is element-wise, so one update over the stacked weights is K independent Adams; each
candidate keeps its own step count (bias correction and learning-rate schedule), as a
fresh optimizer per candidate would. An inactive candidate (empty slot, finished, NaN) is
frozen: its weights, BatchNorm statistics and moments are restored element-wise by a
select, so nothing of it, NaN included, reaches the others. Each candidate draws its solo
run's dropout masks.

In the exact per-candidate form (`form="split"`; `WideModel`'s `form`: "split",
"split_fused", "grouped" or "patches", None for the device's default) a candidate's step is
its solo `fit` step bit for bit: the same ops on its own tensors, with the names that make
Grappler sum its gradients in the same order (`WideModel.layer_call`); weights, BatchNorm
statistics and every epoch's validation accuracy then equal the solo run's exactly. This
matters beyond rounding: a convolution bias followed by BatchNorm has a true gradient of
zero, so its computed gradient is rounding noise (about 1e-7, near Adam's ε), which Adam
turns into steps of about the learning rate with a sign the rounding picks; training-mode
BatchNorm cancels the bias, but its moving mean lags it, so another rounding gives another
validation accuracy (the ConvNet surrogate, K = 4, 400 steps: up to 26 of 5,000 images) with
the same training accuracy. The other forms ("split_fused", the CPU default: fused
BatchNorm kernels per candidate; "grouped", the GPU default: one grouped convolution;
"patches": patches and one batched matmul; the last two with one fused BatchNorm over K·C
channels) round otherwise, so there a validation accuracy can differ by as much: as a
solo run on another device or library version would.

Nothing traced depends on which genomes are loaded (`trace_counts`).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from lossevo.losses.interpreted import interpreted_loss, interpreted_loss_compiled
from lossevo.models import get as get_model
from lossevo.models.wide import WIDE_MODELS, WideModel
from lossevo.space.protocol import Genome
from lossevo.training import recipes as recipes_lib
from lossevo.training.build import builder_kwargs, make_schedule
from lossevo.training.population_base import PopulationBase, resolve_jit

BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # keras.optimizers.Adam's defaults, as the recipes use it


def wide_support(model: str, recipe: recipes_lib.Recipe) -> str | None:
    """Why `model` under `recipe` cannot train wide, or None when it can."""
    if model not in WIDE_MODELS:
        return f"model {model!r} has no wide form (wide: {', '.join(WIDE_MODELS)})"
    if recipe.optimizer != "adam":
        return f"recipe {recipe.name!r} uses {recipe.optimizer}, the wide trainer has Adam only"
    if recipe.kernel_l2 or recipe.progressive:
        return f"recipe {recipe.name!r} uses weight decay or progressive resizing"
    return None


class WidePopulation(PopulationBase):
    """K candidates as one wide network, trained in one compiled step (module docstring).

    Args: as `PopulationTrainer`'s; `form`: the wide model's (`WideModel`; None: the device's default).
    """

    def __init__(self, model: str, num_classes: int, recipe: recipes_lib.Recipe, population: int,
                 label_smoothing: float = 0.0, jit_compile: bool | str = "auto",
                 image_size: tuple[int, int] | None = None, form: str | None = None):  # fmt: skip
        if population < 1:
            raise ValueError(f"population must be >= 1, got {population}")
        reason = wide_support(model, recipe)
        if reason:
            raise ValueError(reason)
        self.model_name, self.num_classes, self.recipe = model, num_classes, recipe
        self.population, self.label_smoothing = population, float(label_smoothing)
        self.image_size = image_size
        self.net = WideModel(self._build(0), population, form=form)
        self.weights = self.net.trainable_variables
        # the exact form's loss is the solo step's ops; the others' one XLA program (rounds otherwise)
        self._loss = interpreted_loss if self.net.form == "split" else interpreted_loss_compiled
        self.statistics = self.net.statistics  # BatchNorm's moving means and variances
        # Adam's moments as one vector over all weights (`WideModel.owners`: each element's candidate)
        self._owner = tf.constant(self.net.owners(self.weights))
        self._sizes = [int(np.prod(v.shape)) for v in self.weights]
        self.m = tf.Variable(tf.zeros([sum(self._sizes)]), trainable=False, name="adam_m")
        self.v = tf.Variable(tf.zeros([sum(self._sizes)]), trainable=False, name="adam_v")
        self.steps = tf.Variable(np.zeros(population, np.float32), trainable=False, name="steps")
        self.schedule = make_schedule(recipe)
        self._init_slots(population)
        jit = resolve_jit(jit_compile)
        self._train_fn = tf.function(self._train_step, jit_compile=jit)
        self._eval_fn = tf.function(self._eval_step, jit_compile=jit)

    def _build(self, seed: int) -> keras.Model:
        keras.utils.set_random_seed(seed)
        kwargs = builder_kwargs(self.recipe, self.model_name, image_size=self.image_size)
        return get_model(self.model_name, self.num_classes, **kwargs)

    # -- candidates ---------------------------------------------------------------------
    def assign(self, slot: int, genome: Genome, seed: int) -> None:
        """Loads a candidate into `slot`: its genome code, the weights `train(seed=seed)` would
        start from, zero moments and step; activates it (no re-trace)."""
        solo = self._build(seed)
        self.net.load(slot, solo)
        del solo
        fresh = tf.equal(self._owner, slot)
        for moment in (self.m, self.v):
            moment.assign(tf.where(fresh, 0.0, moment))
        self.steps[slot].assign(0.0)
        self._load_code(slot, genome)

    def moments(self, var: tf.Variable) -> tuple[np.ndarray, np.ndarray]:
        """Adam's first and second moments of the weight `var`, in its shape."""
        i = next(i for i, w in enumerate(self.weights) if w is var)
        start = sum(self._sizes[:i])
        return tuple(
            np.reshape(m.numpy()[start : start + self._sizes[i]], var.shape) for m in (self.m, self.v)
        )

    def slot_weights(self, slot: int) -> list[np.ndarray]:
        """Candidate `slot`'s weights in its solo model's order."""
        return self.net.slot_weights(slot)

    # -- compiled steps -----------------------------------------------------------------
    def _inputs(self, x: tf.Tensor) -> tf.Tensor:
        """`[1, B, H, W, 3]` → the shared batch; `[K, B, H, W, 3]` → `[B, H, W, K·3]`."""
        if x.shape[0] == 1:
            return x[0]
        stacked = tf.transpose(x, [1, 2, 3, 0, 4])
        return tf.reshape(stacked, [*stacked.shape[:3], -1])

    def _train_step(self, x: tf.Tensor, y: tf.Tensor) -> None:
        self.trace_counts["train"] += 1
        active = tf.identity(self.active)
        batch = y.shape[1]
        statistics = [tf.identity(v) for v in self.statistics]
        with tf.GradientTape() as tape:
            preds = self.net(self._inputs(x), training=True)  # [K, B, classes]
            targets = y if y.shape[0] > 1 else tf.broadcast_to(y, preds.shape)
            values = self._loss(self.ops, self.args, self.sign, targets, preds, self.label_smoothing)
            losses = tf.math.divide_no_nan(tf.reduce_sum(values, -1), float(batch))  # Keras' reduction
            total = tf.reduce_sum(tf.where(active, losses, 0.0))
        grads = tape.gradient(total, self.weights)
        lr = tf.cast(self.schedule(self.steps), tf.float32)  # each candidate's own step
        step = self.steps + 1.0
        alpha = lr * tf.sqrt(1.0 - tf.pow(BETA_2, step)) / (1.0 - tf.pow(BETA_1, step))
        # One Adam over all weights as one vector: element-wise, so K independent Adams, each
        # element stepped by its candidate's rate and frozen with it (few ops, whatever K).
        on, rate = tf.gather(active, self._owner), tf.gather(alpha, self._owner)
        grad = tf.concat([tf.reshape(g, [-1]) for g in grads], 0)
        flat = tf.concat([tf.reshape(w, [-1]) for w in self.weights], 0)
        new_m = self.m + (grad - self.m) * (1.0 - BETA_1)
        new_v = self.v + (tf.square(grad) - self.v) * (1.0 - BETA_2)
        new_flat = tf.where(on, flat - (new_m * rate) / (tf.sqrt(new_v) + EPSILON), flat)
        self.m.assign(tf.where(on, new_m, self.m))
        self.v.assign(tf.where(on, new_v, self.v))
        for var, value in zip(self.weights, tf.split(new_flat, self._sizes), strict=True):
            var.assign(tf.reshape(value, var.shape))
        keep = self.net.spread(active)
        for var, old in zip(self.statistics, statistics, strict=True):
            var.assign(tf.where(keep[id(var)], var, old))
        self.steps.assign(tf.where(active, step, self.steps))
        self._record_step(active, losses, targets, preds, batch)

    def _eval_step(self, x: tf.Tensor, y: tf.Tensor, weight: tf.Tensor, mask: tf.Tensor) -> None:
        self.trace_counts["evaluate"] += 1
        preds = self.net(x, training=False)
        hits = tf.cast(tf.equal(tf.argmax(y, -1)[None], tf.argmax(preds, -1)), tf.float32)
        self._record_eval(tf.reduce_sum(hits * weight[None], -1), weight, mask)
