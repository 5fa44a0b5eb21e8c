"""Learning-rate schedules of the papers' recipes, as Keras `LearningRateSchedule`s.

- `WarmupCosineDecay`: linear warm-up from `initial_lr` to `peak_lr` over `warmup_steps`,
  an optional hold at the peak for `hold_steps`, then cosine decay to `final_lr` at
  `total_steps` (the authors' one-cycle `lr_warmup_cosine_decay`).
- `WarmupLinearDecay`: linear warm-up, then linear decay to `final_lr` (DavidNet).
Both stay at `final_lr` after `total_steps`.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import tensorflow as tf


def _validate(total_steps: int, warmup_steps: int, hold_steps: int) -> None:
    if warmup_steps < 0 or hold_steps < 0 or total_steps <= 0:
        raise ValueError("steps must be non-negative and total_steps positive")
    if warmup_steps + hold_steps > total_steps:
        raise ValueError(
            f"warmup_steps + hold_steps ({warmup_steps + hold_steps}) exceed total_steps ({total_steps})"
        )


@keras.saving.register_keras_serializable(package="lossevo")
class WarmupCosineDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up, optional hold, cosine decay.

    Formula: `lr(t) = initial + (peak - initial)·t/W` for `t < W`; `peak` for
    `W <= t < W + H`; `final + (peak - final)·(1 + cos(π·min(1, (t-W-H)/(T-W-H))))/2` after.
    """

    def __init__(
        self,
        peak_lr: float,
        total_steps: int,
        warmup_steps: int = 0,
        hold_steps: int = 0,
        initial_lr: float = 0.0,
        final_lr: float = 0.0,
    ):
        _validate(total_steps, warmup_steps, hold_steps)
        self.peak_lr, self.total_steps = float(peak_lr), int(total_steps)
        self.warmup_steps, self.hold_steps = int(warmup_steps), int(hold_steps)
        self.initial_lr, self.final_lr = float(initial_lr), float(final_lr)

    def __call__(self, step):
        t = tf.cast(step, tf.float32)
        w, h, T = float(self.warmup_steps), float(self.hold_steps), float(self.total_steps)
        warm = self.initial_lr + (self.peak_lr - self.initial_lr) * t / max(w, 1.0)
        decay_steps = max(T - w - h, 1.0)
        progress = tf.clip_by_value((t - w - h) / decay_steps, 0.0, 1.0)
        cosine = self.final_lr + 0.5 * (self.peak_lr - self.final_lr) * (1.0 + tf.cos(math.pi * progress))
        return tf.where(t < w, warm, tf.where(t < w + h, self.peak_lr, cosine))

    def get_config(self) -> dict[str, Any]:
        return {
            "peak_lr": self.peak_lr, "total_steps": self.total_steps, "warmup_steps": self.warmup_steps,
            "hold_steps": self.hold_steps, "initial_lr": self.initial_lr, "final_lr": self.final_lr,
        }  # fmt: skip


@keras.saving.register_keras_serializable(package="lossevo")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to `peak_lr`, then linear decay to `final_lr` at `total_steps`."""

    def __init__(
        self,
        peak_lr: float,
        total_steps: int,
        warmup_steps: int = 0,
        initial_lr: float = 0.0,
        final_lr: float = 0.0,
    ):
        _validate(total_steps, warmup_steps, 0)
        self.peak_lr, self.total_steps, self.warmup_steps = (
            float(peak_lr),
            int(total_steps),
            int(warmup_steps),
        )
        self.initial_lr, self.final_lr = float(initial_lr), float(final_lr)

    def __call__(self, step):
        t = tf.cast(step, tf.float32)
        w, T = float(self.warmup_steps), float(self.total_steps)
        warm = self.initial_lr + (self.peak_lr - self.initial_lr) * t / max(w, 1.0)
        progress = tf.clip_by_value((t - w) / max(T - w, 1.0), 0.0, 1.0)
        decay = self.peak_lr + (self.final_lr - self.peak_lr) * progress
        return tf.where(t < w, warm, decay)

    def get_config(self) -> dict[str, Any]:
        return {
            "peak_lr": self.peak_lr, "total_steps": self.total_steps, "warmup_steps": self.warmup_steps,
            "initial_lr": self.initial_lr, "final_lr": self.final_lr,
        }  # fmt: skip
