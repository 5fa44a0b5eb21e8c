"""The wide model's forms (`WideModel(form=...)`): "patches" (patches times the kernels in
one batched matmul, gradients on a CPU) and "split_fused" (each candidate's own convolution,
fused BatchNorm kernels, a leaner swish gradient; the CPU default) compute what "split"
(each candidate with its solo model's ops, bit for bit: tests/training/test_wide.py)
computes, up to rounding — forward, gradients and training steps — keep inactive and NaN
candidates isolated and are traced once across refills."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from lossevo.losses import catalog
from lossevo.models import get as get_model
from lossevo.models.wide import WideModel
from lossevo.models.wide_layers import (
    FORMS,
    WideConv,
    batch_norm_fused,
    batch_norm_split,
    default_form,
    grouped_conv_fast,
    resolve_form,
    swish,
)
from lossevo.training import recipes
from lossevo.training.trainer import make_trainer
from lossevo.training.wide import WidePopulation

BATCH = 8


def _wide(model: str, k: int, form: str) -> WideModel:
    solos = []
    for seed in range(k):
        keras.utils.set_random_seed(seed)
        solos.append(get_model(model, 10, dropout=0.0))
    wide = WideModel(solos[0], k, form=form)
    for slot, solo in enumerate(solos):
        wide.load(slot, solo)
    return wide


def _close(got, want, rel=1e-5, floor=0.0):
    """Equal up to float32 rounding: within `rel` of the largest magnitude of `want` (or `floor`)."""
    got, want = np.asarray(got), np.asarray(want)
    np.testing.assert_allclose(got, want, rtol=0, atol=max(rel * float(np.abs(want).max()), floor, 1e-30))


def test_forms_are_named_and_the_default_is_the_devices():
    assert FORMS == ("split", "split_fused", "grouped", "patches")
    assert resolve_form(None, True) == "split" and resolve_form(None, False) == "grouped"
    assert resolve_form("patches", True) == "patches"  # `form` wins over the older `split`
    assert default_form() == ("grouped" if grouped_conv_fast() else "split_fused")
    with pytest.raises(ValueError, match="form must be one of"):
        resolve_form("im2col")


@pytest.mark.parametrize("strides", [1, 2])
def test_a_patches_convolution_is_each_candidates_convolution(strides):
    rng = np.random.default_rng(0)
    conv = WideConv(3, 5, (3, 3), (strides, strides), "same", True, "patches")
    x = tf.constant(rng.normal(size=(2, 9, 9, 3 * 4)).astype(np.float32))  # odd size: uneven padding
    got = conv(x)
    conv.bias.assign(rng.normal(size=conv.bias.shape).astype(np.float32))
    got = conv(x).numpy()
    kernels, biases = np.split(conv.kernel.numpy(), 3, -1), np.split(conv.bias.numpy(), 3)
    want = [tf.nn.conv2d(part, kernel, strides, "SAME") + bias
            for part, kernel, bias in zip(np.split(x.numpy(), 3, -1), kernels, biases, strict=True)]  # fmt: skip
    assert conv.form == "patches" and not conv.split
    _close(got, np.concatenate(want, -1))


def test_the_fused_batch_norm_of_the_wide_forms_is_keras_batch_norm():
    """One fused kernel over K·C channels: Keras' outputs and moving averages (of the biased
    batch variance, as Keras keeps it), up to rounding."""
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(2.0, 3.0, size=(4, 6, 6, 10)).astype(np.float32))
    fused, plain = (
        keras.layers.BatchNormalization(momentum=0.5),
        keras.layers.BatchNormalization(momentum=0.5),
    )
    for layer in (fused, plain):
        layer.build(x.shape)
        layer.gamma.assign(rng.uniform(0.5, 2.0, 10).astype(np.float32))
    plain.gamma.assign(fused.gamma)
    _close(batch_norm_fused(fused, x, training=True), plain(x, training=True))
    for got, want in zip(fused.non_trainable_weights, plain.non_trainable_weights, strict=True):
        _close(got.numpy(), want.numpy())
    _close(batch_norm_fused(fused, x, training=False), plain(x, training=False))


def test_the_fused_per_candidate_batch_norm_is_each_candidates_keras_batch_norm():
    """ "split_fused": candidate k's C channels of a wide BatchNorm normalise its own tensor
    as a solo `BatchNormalization` of C channels does, moving averages included."""
    rng = np.random.default_rng(2)
    xs = [tf.constant(rng.normal(k, 1.0 + k, size=(4, 5, 5, 3)).astype(np.float32)) for k in range(2)]
    wide = keras.layers.BatchNormalization(momentum=0.7)
    wide.build((None, 5, 5, 6))
    wide.gamma.assign(rng.uniform(0.5, 2.0, 6).astype(np.float32))
    wide.beta.assign(rng.normal(size=6).astype(np.float32))
    got = batch_norm_split(wide, xs, None, training=True, fused=True)
    for k, x in enumerate(xs):
        solo = keras.layers.BatchNormalization(momentum=0.7)
        solo.build(x.shape)
        solo.gamma.assign(wide.gamma[3 * k : 3 * k + 3])
        solo.beta.assign(wide.beta[3 * k : 3 * k + 3])
        _close(got[k], solo(x, training=True))
        _close(wide.moving_mean[3 * k : 3 * k + 3], solo.moving_mean.numpy())
        _close(wide.moving_variance[3 * k : 3 * k + 3], solo.moving_variance.numpy())


def test_the_lean_swish_is_keras_swish_with_its_gradient():
    x = tf.constant(np.linspace(-30.0, 30.0, 61, dtype=np.float32))  # saturated ends included
    cotangent = tf.range(61, dtype=tf.float32)

    def value_and_grad(fn):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        return y.numpy(), tape.gradient(y, x, output_gradients=cotangent).numpy()

    (got, got_grad), (want, want_grad) = value_and_grad(swish), value_and_grad(keras.activations.swish)
    _close(got, want, rel=1e-6)
    np.testing.assert_allclose(got_grad, want_grad, rtol=1e-5, atol=1e-6)
    assert got_grad[30] == pytest.approx(0.5 * 30)  # swish'(0) = 1/2, times the cotangent 30


@pytest.mark.parametrize("form", ["patches", "split_fused"])
@pytest.mark.parametrize("model", ["convnet", "resnet9v2_small"])
def test_the_fast_forms_compute_the_split_forms_outputs_and_gradients(model, form):
    split, patches = _wide(model, 2, "split"), _wide(model, 2, form)
    assert (split.form, split.split, patches.form, patches.split) == (
        "split",
        True,
        form,
        form == "split_fused",
    )
    rng = np.random.default_rng(0)
    for x in (rng.uniform(size=(BATCH, 32, 32, 3)), rng.uniform(size=(BATCH, 32, 32, 6))):  # shared, own
        x = tf.constant(x.astype(np.float32))
        weight = tf.constant(rng.normal(size=(2, BATCH, 10)).astype(np.float32))

        @tf.function
        def step(net, x, weight):
            with tf.GradientTape() as tape:
                preds = net(x, training=True)
                total = tf.reduce_sum(preds * weight)
            return preds, tape.gradient(total, net.trainable_variables)

        (want, want_grads), (got, got_grads) = step(split, x, weight), step(patches, x, weight)
        _close(got, want)
        for g, w in zip(got_grads, want_grads, strict=True):
            # a conv bias before BatchNorm has a true gradient of 0: rounding noise (~1e-7) either way
            _close(g, w, rel=1e-4, floor=1e-5)
        for got_stat, want_stat in zip(
            patches.statistics, split.statistics, strict=True
        ):  # BN moving averages
            _close(got_stat.numpy(), want_stat.numpy())


@pytest.fixture(scope="module")
def recipe():  # the ConvNet surrogate's recipe (batch, /255, no shuffling), dropout off
    return dataclasses.replace(recipes.scaled(recipes.get("convnet_standard"), 8, BATCH), dropout=0.0)


def _trained(form, recipe, third, steps=3):
    population = WidePopulation("convnet", 10, recipe, 3, jit_compile=False, form=form)
    for slot, genome in enumerate((catalog.CROSS_ENTROPY, catalog.BAIKAL, third)):
        population.assign(slot, genome, slot + 3)
    population.deactivate(1)
    before = population.slot_weights(1)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        x = tf.constant(rng.uniform(size=(3, BATCH, 32, 32, 3)).astype(np.float32))
        population.train_step(x, tf.one_hot(rng.integers(0, 10, (3, BATCH)), 10))
    for a, b in zip(before, population.slot_weights(1), strict=True):
        np.testing.assert_array_equal(a, b)  # the inactive candidate: frozen, statistics included
    return population


@pytest.mark.slow
@pytest.mark.parametrize("form", ["patches", "split_fused"])
def test_fast_forms_training_follows_the_split_form_and_isolates_nan_candidates(recipe, form):
    """A few steps of each form from the same start: the same losses and weights up to
    rounding (the conv biases before BatchNorm step by Adam on rounding noise: up to the
    learning rate per step), and the NaN candidate reaches neither."""
    patches, split = _trained(form, recipe, catalog.C1), _trained("split", recipe, catalog.C1)
    assert patches.net.form == form
    assert patches.nonfinite.numpy().tolist() == [False, False, True]
    assert patches.active.numpy().tolist() == [True, False, False]
    np.testing.assert_allclose(
        patches.epoch_metrics()["loss"][0], split.epoch_metrics()["loss"][0], rtol=1e-4
    )
    for got, want in zip(patches.slot_weights(0), split.slot_weights(0), strict=True):
        assert np.isfinite(got).all()
        np.testing.assert_allclose(got, want, atol=3 * recipe.peak_lr + 1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("form", ["patches", "split_fused"])
def test_fast_forms_refills_do_not_retrace(recipe, form):
    population = _trained(form, recipe, catalog.CROSS_ENTROPY, steps=1)
    population.assign(1, catalog.A2, 9)  # refills: new genomes and weights, same traced step
    population.assign(2, catalog.BESSEL, 10)
    x = tf.zeros((1, BATCH, 32, 32, 3))  # a batch all share: the other input shape is its own trace
    population.train_step(tf.zeros((3, BATCH, 32, 32, 3)), tf.one_hot(tf.zeros((3, BATCH), tf.int32), 10))
    assert population.trace_counts["train"] == 1
    population.train_step(x, tf.one_hot(tf.zeros((1, BATCH), tf.int32), 10))
    population.train_step(x, tf.one_hot(tf.zeros((1, BATCH), tf.int32), 10))
    assert population.trace_counts["train"] == 2


def test_the_trainer_takes_the_wide_models_form():
    recipe = recipes.truncated(recipes.get("convnet_standard"), 4)
    trainer = make_trainer("convnet", 10, recipe, 2, wide_form="patches")
    assert trainer.form == "wide" and trainer.population.net.form == "patches"
    assert make_trainer("convnet", 10, recipe, 2).population.net.form == default_form()
    with pytest.raises(ValueError, match="is for a wide population; this one trains K copies"):
        make_trainer("convnet", 10, recipe, 2, form="copies", wide_form="patches")
