"""The training callbacks the recipes and the surrogates use."""

from __future__ import annotations

import math

import keras


class StopOnNonFiniteLoss(keras.callbacks.Callback):
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
