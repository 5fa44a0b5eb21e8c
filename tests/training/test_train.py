"""train(): a plain recipe run, progressive phases really taking effect in the compiled step,
MirroredStrategy equivalence, mixed precision, and divergence recorded instead of raised."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from lossevo import data, models, training
from lossevo.losses import catalog
from lossevo.training import Recipe

DS = data.load("synthetic", num_train=512, num_validation=128, num_test=128)


def test_convnet_surrogate_run():
    result = training.train(None, "neuroloss1", DS, "convnet_standard", steps=40, steps_per_epoch=20, seed=1)
    assert len(result.history["loss"]) == 2 and len(result.history["val_accuracy"]) == 2
    assert 0.0 <= result.best_val_accuracy <= 1.0 and 0.0 <= result.test_accuracy <= 1.0
    assert result.best_val_accuracy == max(result.history["val_accuracy"])
    assert not result.diverged
    assert int(result.model.optimizer.iterations) == 40


class Probe(keras.layers.Layer):
    """Records, during training steps, the spatial size of 4-D inputs or the fraction of
    exact zeros of 2-D inputs (what a preceding dropout produced)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.value = tf.Variable(0.0, trainable=False)

    def call(self, x, training=False):
        if training:
            if len(x.shape) == 4:
                self.value.assign(tf.cast(tf.shape(x)[1], tf.float32))
            else:
                self.value.assign(tf.reduce_mean(tf.cast(tf.equal(x, 0.0), tf.float32)))
        return x


def probe_model(num_classes, input_shape=(None, None, 3), **_):
    inputs = keras.Input(input_shape)
    x = Probe(name="size_probe")(inputs)
    x = keras.layers.Conv2D(4, 3, strides=4)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(4000, activation="softplus")(x)  # strictly positive: zeros come from dropout
    x = models.VariableDropout(0.0, seed=3, name="top_dropout")(x)
    x = Probe(name="dropout_probe")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


class Record(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.rows = []

    def on_train_batch_end(self, batch, logs=None):
        m = self.model
        self.rows.append(
            (float(m.get_layer("size_probe").value.numpy()), float(m.get_layer("dropout_probe").value.numpy()),
             int(m.optimizer.iterations.numpy()), float(m.optimizer.learning_rate.numpy()))
        )  # fmt: skip


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "xla"])
@pytest.mark.slow
def test_progressive_phases_take_effect_in_the_compiled_step(jit):
    record = Record()
    result = training.train(
        probe_model, "cross_entropy", DS, "effnetv2s_progressive", steps=8, steps_per_epoch=2,
        batch_size=4, callbacks=[record], jit_compile=jit, evaluate_test=False,
    )  # fmt: skip
    phases = data.PHASE_TABLES["cifar"]
    assert len(record.rows) == 8
    for i, (size, zeros, iteration, _) in enumerate(record.rows):
        phase = phases[i // 2]
        assert size == phase.image_size  # the input size the compiled step saw
        assert zeros == pytest.approx(phase.dropout, abs=0.03)  # the dropout rate it applied
        assert iteration == i + 1  # one optimizer across phases
    lrs = [row[3] for row in record.rows]
    recipe = training.recipes.scaled(training.recipes.get("effnetv2s_progressive"), 8, 4)
    expected = [float(training.make_schedule(recipe)(i)) for i in range(1, 9)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-5)  # one schedule across phases
    assert len(result.history["loss"]) == 4


TINY = Recipe("tiny", "convnet", "sgd_nesterov", 0.05, "warmup_cosine", 2, 6, 8, augmentation="none")


def bn_free(num_classes, input_shape=(32, 32, 3), **_):
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))


def test_mirrored_strategy_matches_single_device(mirrored_strategy):
    # Deterministic setup: no BatchNorm (per-replica statistics), no dropout, no shuffling
    # (Keras rebuilds the pipeline under a strategy and tf.data's shuffle draws anew).
    kw = {"steps_per_epoch": 3, "seed": 5, "evaluate_test": False, "shuffle_buffer": 1}
    single = training.train(bn_free, catalog.A2, DS, TINY, **kw)
    mirrored = training.train(bn_free, catalog.A2, DS, TINY, strategy=mirrored_strategy, **kw)
    for a, b in zip(single.model.get_weights(), mirrored.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(single.history["loss"], mirrored.history["loss"], rtol=1e-5)


def test_mixed_precision():
    result = training.train(
        "convnet", "neuroloss3", DS, "convnet_standard", steps=10, steps_per_epoch=5,
        mixed_precision="mixed_float16", evaluate_test=False,
    )  # fmt: skip
    conv = next(layer for layer in result.model.layers if isinstance(layer, keras.layers.Conv2D))
    assert conv.compute_dtype == "float16"
    assert result.model.output.dtype == "float32"
    assert np.isfinite(result.history["loss"]).all()
    assert keras.config.dtype_policy().name == "float32"  # restored


def test_divergence_is_recorded_not_raised():
    # B0's gradient is NaN (BUILD_NOTES.md): training stops on NaN and says so.
    recipe = dataclasses.replace(TINY, steps=6)
    result = training.train(bn_free, catalog.B0, DS, recipe, steps_per_epoch=3)
    assert result.diverged and result.test_accuracy is None


@pytest.mark.slow
def test_a_phase_stopped_below_its_threshold_hands_over_to_the_next():
    # The code's elimination: each phase is a fit with EpochCallback(0.45, epoch=40); a phase
    # it stops still leaves the next phases to run. Here no phase can reach 1.1 at epoch 0.
    record = Record()
    recipe = training.recipes.scaled(training.recipes.get("effnetv2s_progressive"), 16, 4)
    recipe = dataclasses.replace(recipe, phase_stop=(1.1, 0))
    result = training.train(probe_model, "cross_entropy", DS, recipe, steps_per_epoch=2, callbacks=[record],
                            jit_compile=False, evaluate_test=False)  # fmt: skip
    assert len(result.history["loss"]) == 4  # one epoch of each phase's two
    sizes = [row[0] for row in record.rows]
    assert sizes == [128, 128, 160, 160, 192, 192, 224, 224]
    assert [row[2] for row in record.rows] == list(range(1, 9))  # the schedule counts trained steps
