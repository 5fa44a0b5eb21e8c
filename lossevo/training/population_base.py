"""What the two population trainers share (`PopulationTrainer`: K model copies;
`WidePopulation`: one wide network): the genome-code variables the compiled step reads, the
active and non-finite flags, and the per-candidate metrics of an epoch and a validation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from lossevo.losses.catalog import CROSS_ENTROPY
from lossevo.losses.interpreted import encode
from lossevo.space.protocol import Genome


def resolve_jit(jit_compile: bool | str) -> bool:
    """Keras' "auto": XLA when an accelerator is present, not on a CPU-only machine."""
    if jit_compile == "auto":
        return any(d.device_type != "CPU" for d in tf.config.list_physical_devices())
    return bool(jit_compile)


class PopulationBase:
    """State and metrics of K candidate slots; subclasses provide the compiled steps
    (`_train_fn(x, y)`, `_eval_fn(x, y, weight, mask)`) and call `_record_step`."""

    population: int
    recipe: Any

    def _init_slots(self, k: int) -> None:
        code = encode(CROSS_ENTROPY)
        self.ops = tf.Variable(np.tile(code.ops, (k, 1)), trainable=False, name="genome_ops")
        self.args = tf.Variable(np.tile(code.args, (k, 1, 1)), trainable=False, name="genome_args")
        self.sign = tf.Variable(np.full(k, code.sign, np.float32), trainable=False, name="genome_sign")
        self.active = tf.Variable(np.zeros(k, bool), trainable=False, name="active")
        self.nonfinite = tf.Variable(np.zeros(k, bool), trainable=False, name="nonfinite")
        zeros = np.zeros(k, np.float32)
        self._loss_sum, self._correct, self._count = (tf.Variable(zeros, trainable=False) for _ in range(3))
        self._val_correct, self._val_count = (tf.Variable(zeros, trainable=False) for _ in range(2))
        self.trace_counts = {"train": 0, "evaluate": 0}

    def _load_code(self, slot: int, genome: Genome) -> None:
        """Writes a genome's code into `slot` and activates it."""
        code = encode(genome)
        self.ops[slot].assign(code.ops)
        self.args[slot].assign(code.args)
        self.sign[slot].assign(code.sign)
        self.nonfinite[slot].assign(False)
        self.active[slot].assign(True)

    def deactivate(self, slot: int) -> None:
        """Stops training `slot` (its state is kept as it is)."""
        self.active[slot].assign(False)

    def _record_step(self, active: tf.Tensor, losses: tf.Tensor, targets: tf.Tensor, preds: tf.Tensor,
                     batch: int) -> None:  # fmt: skip
        """Adds a step's loss and hits to the active slots' epoch sums. A running mean loss
        that turned NaN/Inf stops its slot at once (`train()` stops at the end of that epoch;
        the candidate is `failed` either way)."""
        hits = tf.cast(tf.equal(tf.argmax(targets, -1), tf.argmax(preds, -1)), tf.float32)
        zero = tf.zeros_like(self._count)
        self._loss_sum.assign_add(tf.where(active, losses * batch, zero))
        self._correct.assign_add(tf.where(active, tf.reduce_sum(hits, -1), zero))
        self._count.assign_add(tf.where(active, float(batch), zero))
        mean = self._loss_sum / tf.maximum(self._count, 1.0)
        bad = tf.logical_and(active, tf.logical_not(tf.math.is_finite(mean)))
        self.nonfinite.assign(tf.logical_or(self.nonfinite, bad))
        self.active.assign(tf.logical_and(active, tf.logical_not(bad)))

    def _record_eval(self, correct: tf.Tensor, weight: tf.Tensor, mask: tf.Tensor) -> None:
        zero = tf.zeros_like(self._val_count)
        self._val_correct.assign_add(tf.where(mask, correct, zero))
        self._val_count.assign_add(tf.where(mask, tf.reduce_sum(weight), zero))

    def train_step(self, x: tf.Tensor, y: tf.Tensor) -> None:
        """One step for every active slot: `x [K, B, ...]`, `y [K, B, C]` (a batch per
        slot), or leading size 1 (one batch all slots share)."""
        self._train_fn(x, y)

    def epoch_metrics(self, reset: bool = True) -> dict[str, np.ndarray]:
        """Per slot since the last reset: mean loss, train accuracy, nonfinite flags."""
        count = np.maximum(self._count.numpy(), 1.0)
        out = {"loss": self._loss_sum.numpy() / count, "accuracy": self._correct.numpy() / count,
               "steps_seen": self._count.numpy(), "nonfinite": self.nonfinite.numpy().copy()}  # fmt: skip
        if reset:
            for v in (self._loss_sum, self._correct, self._count):
                v.assign(tf.zeros_like(v))
        return out

    def evaluate(self, batches: Any, mask: Sequence[bool]) -> np.ndarray:
        """Validation accuracy of the slots in `mask` (others: NaN) over `batches` of
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
