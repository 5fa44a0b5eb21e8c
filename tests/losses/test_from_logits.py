"""`from_logits=True`: a log of the prediction reads `log_softmax(logits)` (lossevo.losses.logits),
so the cross-entropy genome equals Keras' `CategoricalCrossentropy(from_logits=True)` in value
and gradient at any margin; `from_logits=False`, and logs of anything but ŷ, are unchanged.

Tolerances against Keras: both compute `-Σ y log_softmax(z)` in float32 (the rule drops the
genome's +ε, so ε plays no part), losses reach ~102, so rtol 1e-5 is ~100 float32 ulps of
room for the two implementations' different rounding; atol 1e-6 covers the losses and
gradients that are ~0 (a true class ahead by 20: exactly ~1e-8, rounded to 0 by one side).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import lossevo
from lossevo import losses
from lossevo.losses import catalog
from lossevo.losses.logits import LOG_OF_PREDICTION, log_of_prediction_slots
from lossevo.space.graph import make
from lossevo.space.graph.slots import SLOT_INDEX

RTOL, ATOL = 1e-5, 1e-6
LN_Y_PLUS_Y_HAT = make(
    {"h0": ("add", "y", "y_hat"), "h1": ("ln", "h0"), "root": ("mul", "y", "h1")}, flip=True
)


def margin_logits(margin: float, classes: int, true_is_low: bool) -> tuple[np.ndarray, np.ndarray]:
    """One row, true class 0: its logit exceeds every other by `margin`, or (`true_is_low`)
    every other exceeds it by `margin`."""
    z = np.zeros((1, classes), np.float32)
    if true_is_low:
        z[0, 1:] = margin
    else:
        z[0, 0] = margin
    return np.eye(classes, dtype=np.float32)[[0]], z


def value_and_gradient(loss, y, z):
    z = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(z)
        value = tf.reduce_sum(loss(y, z))
    return value.numpy(), tape.gradient(value, z).numpy()


@pytest.mark.parametrize("true_is_low", [False, True], ids=["true_high", "true_low"])
@pytest.mark.parametrize("classes", [2, 10])
@pytest.mark.parametrize("margin", [1.0, 20.0, 100.0])
def test_ce_genome_from_logits_matches_keras_in_value_and_gradient(margin, classes, true_is_low):
    y, z = margin_logits(margin, classes, true_is_low)
    ours = value_and_gradient(
        lossevo.EvolvedLoss(catalog.CROSS_ENTROPY, from_logits=True, reduction=None), y, z
    )
    keras_ce = keras.losses.CategoricalCrossentropy(from_logits=True, reduction=None)
    expected = value_and_gradient(keras_ce, y, z)
    np.testing.assert_allclose(ours[0], expected[0], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours[1], expected[1], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("classes", [2, 10])
def test_wrong_class_keeps_its_gradient_at_margin_100(classes):
    # The softmax path gave loss ln(1/ε) ≈ 16.1 and gradient exactly 0 here.
    y, z = margin_logits(100.0, classes, true_is_low=True)
    loss = lossevo.EvolvedLoss(catalog.CROSS_ENTROPY, from_logits=True, reduction=None)
    value, grad = value_and_gradient(loss, y, z)
    assert value == pytest.approx(100.0 + np.log(classes - 1), rel=RTOL)
    assert grad[0, 0] == pytest.approx(-1.0, abs=ATOL)  # softmax(z) - y on the true class
    np.testing.assert_allclose(grad[0, 1:], 1.0 / (classes - 1), rtol=RTOL)


def test_label_smoothing_and_xla_from_logits():
    rows = [margin_logits(m, 10, low) for m in (1.0, 20.0, 100.0) for low in (False, True)]
    y, z = np.concatenate([r[0] for r in rows]), np.concatenate([r[1] for r in rows])
    ours = lossevo.EvolvedLoss(catalog.CROSS_ENTROPY, label_smoothing=0.1, from_logits=True)
    keras_ce = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    expected = value_and_gradient(keras_ce, y, z)
    xla = tf.function(_value_and_gradient_graph(ours), jit_compile=True)
    for got in (value_and_gradient(ours, y, z), [t.numpy() for t in xla(tf.constant(y), tf.constant(z))]):
        np.testing.assert_allclose(got[0], expected[0], rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(got[1], expected[1], rtol=RTOL, atol=ATOL)


def _value_and_gradient_graph(loss):
    def fn(y, z):
        with tf.GradientTape() as tape:
            tape.watch(z)
            value = loss(y, z)
        return value, tape.gradient(value, z)

    return fn


@pytest.mark.parametrize("name", sorted(LOG_OF_PREDICTION))
def test_each_rule_agrees_with_its_op_away_from_saturation(name):
    # `-Σ y op(ŷ)`: with ŷ >= 2.7e-3 the dropped +ε moves ln ŷ by ε/ŷ <= 3.6e-5 at most,
    # a relative change of the loss well under RTOL; a rule out of step with the op table
    # (another base, another ε) is off by far more.
    genome = make({"h0": (name, "y_hat"), "root": ("mul", "y", "h0")}, flip=True)
    rng = np.random.default_rng(0)
    z = rng.normal(size=(64, 5)).astype(np.float32)
    y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, 64)]
    p = tf.nn.softmax(z).numpy()
    assert p.min() > 2.7e-3
    on_logits = lossevo.evolved_loss(genome, y, z, from_logits=True).numpy()
    np.testing.assert_allclose(on_logits, lossevo.evolved_loss(genome, y, p).numpy(), rtol=RTOL)


@pytest.mark.parametrize("name", ["baikal", "a2", "m0", "a0", "a1"])
def test_catalog_losses_with_ln_of_y_hat_agree_away_from_saturation(name):
    # The rule's walk of the graph matches the graph's own evaluation (values measured
    # within 2.3e-6 relative of the softmax path; ε/ŷ <= 3.6e-5 bounds the difference).
    genome = losses.get_genome(name)
    assert log_of_prediction_slots(genome)
    rng = np.random.default_rng(0)
    z = rng.normal(size=(64, 5)).astype(np.float32)
    y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, 64)]
    on_logits = lossevo.evolved_loss(genome, y, z, 0.1, from_logits=True).numpy()
    on_probs = lossevo.evolved_loss(genome, y, tf.nn.softmax(z).numpy(), 0.1).numpy()
    np.testing.assert_allclose(on_logits, on_probs, rtol=RTOL)


Y = np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]], np.float32)
P = np.array([[0.1, 0.6, 0.2, 0.1], [0.05, 0.15, 0.3, 0.5], [0.25, 0.25, 0.4999999, 1e-7]], np.float32)
Z = np.array([[0.5, 2.0, -1.0, 0.0], [-3.0, 1.0, 0.25, 4.0], [30.0, 0.0, -2.0, -25.0]], np.float32)
# Recorded before from_logits had the rule (per-example float32 values on Y, P; label smoothing 0, 0.1).
GOLDEN_PROBS = {
    "cross_entropy": ([0.5108254, 2.9957302, 15.424949], [0.6278786, 2.8659062, 14.35472]),
    "baikal": ([8.3920975, 26.789928, 5000019.0], [8.8920965, 25.58993, 4625018.5]),
    "a2": ([1.5630258, 4.111878, 9.762461], [1.6931752, 3.9861343, 9.204526]),
    "neuroloss1": ([46.42492, 49.22189, 61.699795], [11.244717, 13.957741, 26.42804]),
    "m0": ([0.10980806, 0.5074006, 0.9070831], [0.13074648, 0.4883744, 0.8567979]),
    "ngl_tree": ([7.570588, 8.083082, 8.224493], [7.5852213, 8.047226, 8.176547]),
}
# On logits Z, recorded before the rule, for genomes it leaves alone.
GOLDEN_LOGITS = {
    "neuroloss1": (catalog.NEUROLOSS1, [46.242363, 53.345474, 63.779236]),
    "ngl_tree": (losses.get_genome("ngl_tree"), [7.672927, 8.6517515, 8.765218]),
    "ln_y_plus_y_hat": (LN_Y_PLUS_Y_HAT, [-5.3655189e-01, -8.4864831e-04, -1.1920928e-07]),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_PROBS))
def test_from_logits_false_is_unchanged(name):
    genome = losses.get_genome(name)
    for smoothing, golden in zip((0.0, 0.1), GOLDEN_PROBS[name], strict=True):
        out = lossevo.EvolvedLoss(genome, label_smoothing=smoothing, reduction=None)(Y, P).numpy()
        # 2 ulps: the recorded float32 values, allowing another CPU's log/exp kernels.
        np.testing.assert_array_max_ulp(out, np.float32(golden), maxulp=2)
        # Bit for bit the representation's own evaluation.
        y = Y * (1 - np.float32(smoothing)) + np.float32(smoothing) / 4 if smoothing else Y
        np.testing.assert_array_equal(out, genome.per_example(tf.constant(y), tf.constant(P), "tf").numpy())


@pytest.mark.parametrize("name", sorted(GOLDEN_LOGITS))
def test_a_log_of_anything_but_y_hat_takes_the_softmax_path(name):
    # ln(y+ŷ) (and NeuroLoss1's ln(s), and a tree's log) still add ε to a softmax output.
    genome, golden = GOLDEN_LOGITS[name]
    if isinstance(genome, lossevo.Genome):  # a graph: the rule finds nothing to rewrite
        assert log_of_prediction_slots(genome) == {}
    out = lossevo.evolved_loss(genome, Y, Z, from_logits=True).numpy()
    np.testing.assert_array_equal(out, lossevo.evolved_loss(genome, Y, tf.nn.softmax(Z)).numpy())
    np.testing.assert_array_max_ulp(out, np.float32(golden), maxulp=2)


def test_the_rule_rewrites_only_logs_of_the_y_hat_input():
    assert set(log_of_prediction_slots(catalog.CROSS_ENTROPY)) == {SLOT_INDEX["h0"]}
    both = make(
        {
            "h0": ("ln", "y_hat"),
            "h1": ("log10", "y_hat"),
            "h2": ("mul", "y", "h1"),
            "root": ("add", "h0", "h2"),
        }
    )
    assert set(log_of_prediction_slots(both)) == {SLOT_INDEX["h0"], SLOT_INDEX["h1"]}
    # ln of ln ŷ: only the inner node reads log_softmax.
    nested = make({"h0": ("ln", "y_hat"), "h1": ("ln", "h0"), "root": ("mul", "y", "h1")})
    assert set(log_of_prediction_slots(nested)) == {SLOT_INDEX["h0"]}
    fn = tf.function(lambda y, z: lossevo.evolved_loss(catalog.CROSS_ENTROPY, y, z, from_logits=True))
    graph = fn.get_concrete_function(tf.TensorSpec([None, 3]), tf.TensorSpec([None, 3])).graph
    assert "LogSoftmax" in {op.type for op in graph.get_operations()}
