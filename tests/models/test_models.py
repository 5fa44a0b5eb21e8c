"""Model builders: documented parameter counts, a few training steps with EvolvedLoss (also
under XLA), the variable top dropout, offline weights errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from lossevo import losses, models

# Golden parameter counts with 10 classes (the papers': 14k, 30k, 6.5M, 6.5M, 36M, 20M, 20.3M).
PARAMS = {
    "convnet": 14_002,
    "resnet9v2_small": 30_666,
    "resnet9v2_6m": 6_642_250,
    "davidnet": 6_577_600,
    "wideresnet28_10": 36_497_146,
    "seresnext29_4x64d": 18_120_218,
    "efficientnetv2s": 20_344_170,
}
PAPER = {"convnet": 14e3, "resnet9v2_small": 30e3, "resnet9v2_6m": 6.5e6, "davidnet": 6.5e6,
         "wideresnet28_10": 36e6, "seresnext29_4x64d": 20e6, "efficientnetv2s": 20.3e6}  # fmt: skip


def test_registry_lists_every_model_and_rejects_unknown():
    assert models.names() == [*PARAMS, "inceptionv3"]  # paper 003's: tests/fitness/test_paper_003.py
    with pytest.raises(ValueError, match="known models: convnet, resnet9v2_small"):
        models.get("resnet50", 10)


# XLA compiles of the large models take minutes on a CPU: CI compiles the surrogates' models
# under XLA; benchmarks/device_check.py runs every op under XLA on the accelerator.
XLA_IN_CI = ("convnet", "resnet9v2_small", "davidnet")


@pytest.mark.parametrize(
    ("name", "jit"),
    [(n, False) for n in PARAMS] + [(n, True) for n in XLA_IN_CI],
    ids=[f"eager-{n}" for n in PARAMS] + [f"xla-{n}" for n in XLA_IN_CI],
)
@pytest.mark.slow
def test_parameter_count_and_training_steps(name, jit):
    model = models.get(name, 10)
    assert model.count_params() == PARAMS[name]
    assert abs(PARAMS[name] - PAPER[name]) / PAPER[name] < 0.1
    assert model.output_shape == (None, 10)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 32, 32, 3)).astype(np.float32)
    y = keras.utils.to_categorical(np.arange(4) % 10, 10)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=losses.NeuroLoss1(), jit_compile=jit)
    before = [w.numpy().copy() for w in model.trainable_weights[-2:]]
    history = model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert any((b != w.numpy()).any() for b, w in zip(before, model.trainable_weights[-2:], strict=True))


def test_other_class_counts_and_input_sizes():
    assert models.get("convnet", 100).output_shape == (None, 100)
    m = models.get("resnet9v2_small", 5, input_shape=(None, None, 3))
    for size in (32, 80):
        assert m(np.zeros((1, size, size, 3), np.float32)).shape == (1, 5)
    with pytest.raises(ValueError, match="6n\\+4"):
        models.get("wideresnet28_10", 10, depth=27)


def test_strided_pointwise_equals_strided_conv():
    x = np.random.default_rng(1).normal(size=(2, 9, 9, 4)).astype(np.float32)
    inp = keras.Input((9, 9, 4))
    out = models.layers.strided_pointwise(inp, 6, 2)
    ours = keras.Model(inp, out)
    conv = keras.layers.Conv2D(6, 1, strides=2, padding="same")
    conv.build((None, 9, 9, 4))
    conv.set_weights(ours.layers[-1].get_weights())
    np.testing.assert_allclose(ours(x).numpy(), conv(x).numpy(), rtol=1e-6, atol=1e-6)


def test_variable_dropout_rate_changes_inside_a_compiled_function():
    layer = models.VariableDropout(0.0, seed=1)
    x = tf.ones((200, 100))
    fn = tf.function(lambda t: layer(t, training=True))
    assert float(tf.reduce_mean(tf.cast(fn(x) == 0, tf.float32))) == 0.0
    layer.set_rate(0.4)
    out = fn(x)
    zero = float(tf.reduce_mean(tf.cast(out == 0, tf.float32)))
    assert zero == pytest.approx(0.4, abs=0.02)
    np.testing.assert_allclose(out.numpy()[out.numpy() != 0], 1 / 0.6, rtol=1e-6)  # inverted scaling
    assert fn.experimental_get_tracing_count() == 1
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x.numpy())
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        layer.set_rate(1.0)
    assert layer.get_config()["rate"] == pytest.approx(0.4)


def test_missing_imagenet_weights_name_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(models.WeightsUnavailableError, match=r"efficientnetv2-s_notop\.h5") as e:
        models.get("efficientnetv2s", 10, weights="imagenet", download=False)
    assert str(tmp_path / "models" / "efficientnetv2-s_notop.h5") in str(e.value)
    with pytest.raises(models.WeightsUnavailableError, match=r"not found: /nope\.h5"):
        models.get("efficientnetv2s", 10, weights="/nope.h5")


def test_local_weights_file_is_loaded(tmp_path):
    backbone = keras.applications.EfficientNetV2S(
        include_top=False, weights=None, input_shape=(None, None, 3), include_preprocessing=False
    )
    for w in backbone.weights[:3]:
        w.assign(tf.fill(w.shape, 0.5))
    path = str(tmp_path / "efficientnetv2-s_notop.weights.h5")
    backbone.save_weights(path)
    model = models.get("efficientnetv2s", 10, weights=path)
    np.testing.assert_array_equal(model.weights[0].numpy(), np.full(model.weights[0].shape, 0.5))


@pytest.mark.slow
def test_efficientnet_has_no_stochastic_depth_and_its_weights_round_trip(tmp_path):
    from lossevo.models.efficientnet import is_stochastic_depth

    model = models.get("efficientnetv2s", 10)  # the authors' model: drop_connect_rate = 0
    assert not any(is_stochastic_depth(layer) for layer in model.layers)
    assert model.count_params() == 20_344_170
    keras_default = models.get("efficientnetv2s", 10, drop_connect_rate=0.2)
    rates = [layer.rate for layer in keras_default.layers if is_stochastic_depth(layer)]
    assert len(rates) == 34 and 0 < min(rates) < max(rates) < 0.2
    path = str(tmp_path / "ours.weights.h5")
    for w in model.weights[:2]:
        w.assign(tf.fill(w.shape, 0.25))
    model.save_weights(path)
    again = models.get("efficientnetv2s", 10)
    again.load_weights(path)
    for a, b in zip(model.weights, again.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(ValueError, match=r"drop_connect_rate must be in \[0, 1\)"):
        models.get("efficientnetv2s", 10, drop_connect_rate=1.5)


def test_kernel_l2_penalises_every_kernel():
    model = models.get("wideresnet28_10", 10, depth=10, width=1, kernel_l2=5e-4)
    kernels = [layer.kernel for layer in model.layers if getattr(layer, "kernel", None) is not None]
    assert len(model.losses) == len(kernels) > 5
    expected = 5e-4 * sum(float(np.sum(k.numpy() ** 2)) for k in kernels)
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-5)
    assert not models.get("wideresnet28_10", 10, depth=10, width=1).losses
    from lossevo.training import recipes
    from lossevo.training.build import builder_kwargs

    assert builder_kwargs(recipes.get("wideresnet_002"), "wideresnet28_10")["kernel_l2"] == 5e-4


def test_the_head_has_the_datasets_classes():
    """A deliberate difference (BUILD_NOTES): the authors' `EfficientNetV2S(num_classes=10)`
    is hard-coded, also on CIFAR-100; lossevo's head has the dataset's classes."""
    model = models.get("efficientnetv2s", 100, input_shape=(32, 32, 3))
    assert model.output_shape == (None, 100)
    assert model.count_params() == PARAMS["efficientnetv2s"] + 90 * (1280 + 1)  # 90 more rows of the head
