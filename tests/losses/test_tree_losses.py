"""Trees as Keras losses: NGL tree == plain NGL, registry, XLA gradients, saving; the
multi-dataset fitness mode."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

import lossevo
from lossevo import losses
from lossevo.fitness import pair as fitness_modes
from lossevo.losses.evolved import evolved_loss_np
from lossevo.losses.ngl import NGL_TREE, next_generation_loss
from lossevo.search import FitnessResult
from lossevo.space import tree as gp


def _inputs(seed, batch=64, classes=7, soft=False):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(batch, classes)) * 3
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    y = rng.dirichlet(np.ones(classes), batch) if soft else np.eye(classes)[rng.integers(0, classes, batch)]
    return y.astype(np.float32), p.astype(np.float32)


@pytest.mark.parametrize("soft", [False, True])
def test_ngl_tree_equals_the_plain_ngl(soft):
    y, p = _inputs(0, soft=soft)
    tree = lossevo.evolved_loss(NGL_TREE, y, p).numpy()
    plain = next_generation_loss(y, p).numpy()
    np.testing.assert_allclose(tree, plain, rtol=0, atol=1e-6)
    closed = (np.exp(2.4092 - p.astype(np.float64) * (1 + y)) - np.cos(np.cos(np.sin(p)))).mean(-1)
    np.testing.assert_allclose(tree, closed, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(evolved_loss_np(NGL_TREE, y, p), plain, rtol=1e-6, atol=1e-6)
    pt = tf.constant(p)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(pt)
        a = tf.reduce_mean(lossevo.evolved_loss(NGL_TREE, y, pt))
        b = tf.reduce_mean(next_generation_loss(y, pt))
    np.testing.assert_allclose(tape.gradient(a, pt).numpy(), tape.gradient(b, pt).numpy(), atol=1e-7)


def test_both_ngls_are_registered():
    loss = losses.get("NGL_tree")
    assert isinstance(loss, lossevo.EvolvedLoss) and loss.genome == NGL_TREE and loss.name == "ngl_tree"
    assert isinstance(losses.get("ngl"), losses.NextGenerationLoss)
    assert losses.get_genome("ngl_tree") == NGL_TREE and losses.get_entry("ngl_tree").label_smoothing == 0
    assert "ngl_tree" in losses.names() and "ngl" in losses.names()
    assert "ngl_tree" not in losses.names(include_trees=False)
    with pytest.raises(ValueError, match=r"get_genome\('ngl_tree'\) for its tree genome"):
        losses.get_genome("ngl")
    y, p = _inputs(1)
    assert float(loss(y, p)) == pytest.approx(float(losses.get("ngl")(y, p)), abs=1e-6)


def test_tree_loss_reduces_by_the_class_mean_and_smooths_labels():
    g = gp.TreeGenome(("add", ("mul", "y", 2.0), ("exp", "y_hat")))
    y = np.array([[0.0, 1.0, 0.0]], np.float32)
    p = np.array([[0.2, 0.5, 0.3]], np.float32)
    assert float(lossevo.evolved_loss(g, y, p)[0]) == pytest.approx((2 + np.exp(p).sum()) / 3, rel=1e-6)
    smoothed = lossevo.EvolvedLoss(g, label_smoothing=0.3).call(y, p).numpy()
    ys = y * 0.7 + 0.1
    assert float(smoothed[0]) == pytest.approx(float((2 * ys + np.exp(p)).mean()), rel=1e-6)
    # a tree of constants and inputs where a subtree is constant broadcasts
    c = gp.TreeGenome(("add", ("mul", "y", "y_hat"), ("exp", 1.0)))
    assert lossevo.evolved_loss(c, y, p).shape == (1,)


def test_random_trees_under_jit_compile_have_finite_gradients():
    y, p = _inputs(2, batch=16, classes=5)
    pt = tf.constant(p)
    for g in gp.sample_trees(12, np.random.default_rng(3)):
        loss = lossevo.EvolvedLoss(g)

        @tf.function(jit_compile=True)
        def value_and_grad(y, p, loss=loss):
            with tf.GradientTape() as tape:
                tape.watch(p)
                out = loss(y, p)
            return out, tape.gradient(out, p)

        out, grad = value_and_grad(tf.constant(y), pt)
        assert float(out) == pytest.approx(float(loss(y, p)), rel=1e-5), gp.to_text(g)
        assert np.isfinite(grad.numpy()).all(), gp.to_text(g)
        # the value-range rule bounds the loss's magnitude (paper 003; it may be negative)
        assert np.isfinite(float(out)) and abs(float(out)) <= 1e6


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )


def test_config_round_trip_and_json():
    loss = lossevo.EvolvedLoss(NGL_TREE, label_smoothing=0.1, name="t")
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(again) is lossevo.EvolvedLoss and again.genome == NGL_TREE
    assert again.get_config() == loss.get_config() and again.get_config()["genome"]["kind"] == "tree"
    assert lossevo.EvolvedLoss(NGL_TREE.to_json()).genome == NGL_TREE
    with pytest.raises(lossevo.GenomeError, match=r"expression\[1\]\[0\]"):
        lossevo.EvolvedLoss(
            {"schema_version": 1, "kind": "tree", "expression": ["add", ["erf", "y"], "y_hat"]}
        )


def test_compiled_model_with_a_tree_loss_saves_and_loads(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(32, 6)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 32)]
    model = _model(5)
    model.compile(
        optimizer="adam", loss=lossevo.EvolvedLoss(NGL_TREE), metrics=["accuracy"], jit_compile=True
    )
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.loss, lossevo.EvolvedLoss) and loaded.loss.genome == NGL_TREE
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-6)
    loaded.fit(x, y, epochs=1, verbose=0)


def test_ce_comparison_pairs():
    # errors vs CE: win by 50% and 10% on two datasets, lose on the third
    assert fitness_modes.ce_comparison([0.1, 0.18, 0.5], [0.2, 0.2, 0.4]) == (2, pytest.approx(30.0))
    assert fitness_modes.ce_comparison([0.3, 0.3], [0.2, 0.25]) == (0, pytest.approx(-35.0))
    assert fitness_modes.ce_comparison([0.2], [0.2]) == (0, 0.0)  # a tie is no win
    with pytest.raises(ValueError, match="positive"):
        fitness_modes.ce_comparison([0.1], [0.0])


def test_encoded_pairs_order_like_the_pairs():
    rng = np.random.default_rng(0)
    pairs = [(int(w), float(i)) for w, i in zip(rng.integers(0, 4, 60), rng.normal(0, 30, 60), strict=True)]
    pairs += [(1, 1e4), (2, -1e4), (0, -100.0), (0, 100.0), (3, 0.0)]
    for a, b in itertools.combinations(pairs, 2):
        ea, eb = fitness_modes.encode_pair(*a), fitness_modes.encode_pair(*b)
        assert (ea < eb) == (a < b) and (ea > eb) == (a > b)
    for w, i in pairs:
        dw, di = fitness_modes.decode_pair(fitness_modes.encode_pair(w, i))
        assert dw == w and di == pytest.approx(i, rel=1e-6, abs=1e-9)


class _Accuracy:
    def __init__(self, name, table):
        self.name, self.table = name, table

    def evaluate(self, genomes, seeds):
        out = []
        for g in genomes:
            a = self.table[g.hash_hex]
            out.append(FitnessResult(None, "rejected") if a is None else FitnessResult(a))
        return out


def test_multi_dataset_fitness():
    g1, g2, g3 = gp.sample_trees(3, np.random.default_rng(1))
    d1 = _Accuracy("c10", {g1.hash_hex: 0.9, g2.hash_hex: 0.7, g3.hash_hex: None})
    d2 = _Accuracy("fm", {g1.hash_hex: 0.5, g2.hash_hex: 0.95, g3.hash_hex: 0.9})
    fit = fitness_modes.CEComparisonFitness([d1, d2], ce_accuracies=[0.8, 0.9])
    assert fit.name == "ce_comparison(c10,fm)"
    r1, r2, r3 = fit.evaluate([g1, g2, g3], [0, 1, 2])
    assert r1.info["wins"] == 1 and r1.info["improvement"] == pytest.approx(50.0)  # 0.2 -> 0.1
    assert r2.info["wins"] == 1 and r2.info["improvement"] == pytest.approx(50.0)  # 0.1 -> 0.05
    assert r1.fitness == pytest.approx(r2.fitness)
    assert r3.status == "rejected" and r3.fitness is None
    assert 1 < r1.fitness < 2
