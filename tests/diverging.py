"""A Keras loss that trains like cross-entropy, then turns NaN: real divergence for the
tests of how diverged runs are scored."""

import keras
import tensorflow as tf


def nan_after(step: int):
    """Cross-entropy for the first `step` loss calls (training steps), NaN from then on."""
    ce = keras.losses.CategoricalCrossentropy()
    calls = tf.Variable(0, dtype=tf.int64, trainable=False)

    def loss(y, p):
        calls.assign_add(1)
        return tf.where(calls > step, tf.constant(float("nan")), ce(y, p))

    return loss
