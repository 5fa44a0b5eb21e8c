"""EvolvedLoss as a Keras loss: CE equivalence, sample weights, XLA, distribution, mixed
precision, serialisation."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import lossevo
from lossevo import losses
from lossevo.losses import catalog
from lossevo.space.graph import GenomeError, make


def _probs(rng, batch, classes, floor):
    """Softmax-like rows with every probability >= floor."""
    d = rng.dirichlet(np.ones(classes), size=batch)
    return (floor + (1 - floor * classes) * d).astype(np.float32)


def test_ce_genome_equals_keras_cce_to_1e6():
    rng = np.random.default_rng(0)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 256)]
    # Keras clips ŷ to [ε, 1-ε] where the genome adds ε: they differ by ≈ ε/ŷ ≤ 6.7e-7 here.
    p = _probs(rng, 256, 4, 0.15)
    ours = lossevo.evolved_loss(catalog.CROSS_ENTROPY, y, p).numpy()
    keras_ce = keras.losses.categorical_crossentropy(y, p).numpy()
    np.testing.assert_allclose(ours, keras_ce, atol=1e-6, rtol=0)
    cce = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)
    ls = lossevo.EvolvedLoss(catalog.CROSS_ENTROPY, label_smoothing=0.1)
    assert abs(float(ls(y, p)) - float(cce(y, p))) < 1e-6


def test_ce_genome_equals_its_equation_on_any_softmax():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(128, 10)) * 3
    p = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 128)]
    expected = -(y * np.log(p.astype(np.float64) + 1e-7)).sum(-1)
    np.testing.assert_allclose(
        lossevo.evolved_loss(catalog.CROSS_ENTROPY, y, p).numpy(), expected, rtol=1e-6, atol=1e-6
    )


def test_sample_weight_and_reduction():
    rng = np.random.default_rng(2)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 8)]
    p = _probs(rng, 8, 3, 0.05)
    w = rng.uniform(0, 2, 8).astype(np.float32)
    loss = lossevo.EvolvedLoss(catalog.A2)
    per_example = loss.call(y, p).numpy()
    assert float(loss(y, p, sample_weight=w)) == pytest.approx(float((per_example * w).sum() / 8), rel=1e-6)
    total = lossevo.EvolvedLoss(catalog.A2, reduction="sum")
    assert float(total(y, p)) == pytest.approx(float(per_example.sum()), rel=1e-6)
    assert lossevo.EvolvedLoss(catalog.A2, reduction=None)(y, p).shape == (8,)


def test_accepts_json_and_rejects_bad_genomes():
    as_json = lossevo.EvolvedLoss(catalog.NEUROLOSS1.to_json())
    as_dict = lossevo.EvolvedLoss(catalog.NEUROLOSS1.to_dict())
    assert as_json.genome == as_dict.genome == catalog.NEUROLOSS1
    bad = catalog.NEUROLOSS1.to_dict()
    bad["nodes"]["h1"]["op"] = "frobnicate"
    with pytest.raises(GenomeError, match=r"nodes\.h1\.op"):
        lossevo.EvolvedLoss(bad)
    with pytest.raises(ValueError, match="label_smoothing"):
        lossevo.EvolvedLoss(catalog.A2, label_smoothing=1.5)
    with pytest.raises(ValueError, match="computes in float32"):
        lossevo.EvolvedLoss(catalog.A2, dtype="mixed_float16")
    with pytest.raises(ValueError, match="one-hot encode integer labels"):
        lossevo.EvolvedLoss(catalog.A2)(np.array([[1], [0]]), np.array([[0.3, 0.7], [0.6, 0.4]]))


def test_only_active_nodes_are_computed():
    g = make({"h0": ("ln", "y_hat"), "h3": ("sinh", "y"), "root": ("mul", "y", "h0")}, flip=True)
    fn = tf.function(lambda y, p: lossevo.evolved_loss(g, y, p))
    graph = fn.get_concrete_function(tf.TensorSpec([None, 3]), tf.TensorSpec([None, 3])).graph
    op_types = {op.type for op in graph.get_operations()}
    assert "Log" in op_types and "Sinh" not in op_types


@pytest.mark.parametrize("name", ["neuroloss1", "a2", "m2", "r1", "bessel"])
def test_xla_matches_eager(name):
    loss = losses.get(name)
    rng = np.random.default_rng(3)
    y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, 32)]
    p = _probs(rng, 32, 5, 0.01)
    xla = tf.function(lambda a, b: loss(a, b), jit_compile=True)
    assert float(xla(y, p)) == pytest.approx(float(loss(y, p)), rel=1e-5)


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )


def _data(seed=0, n=64):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, n)]
    return x, y


def test_trains_under_jit_compile():
    x, y = _data()
    model = _model()
    model.compile(optimizer="adam", loss=losses.NeuroLoss1(), jit_compile=True)
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_mirrored_strategy_matches_single_device(mirrored_strategy):
    x, y = _data(1)
    single = _model(7)
    single.compile(optimizer=keras.optimizers.SGD(0.1), loss=losses.get("a2"))
    single.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    with mirrored_strategy.scope():
        mirrored = _model(7)
        mirrored.compile(optimizer=keras.optimizers.SGD(0.1), loss=losses.get("a2"))
    mirrored.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(single.get_weights(), mirrored.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert mirrored.evaluate(x, y, verbose=0) == pytest.approx(single.evaluate(x, y, verbose=0), rel=1e-5)


def test_mixed_precision_computes_in_float32():
    y = np.eye(3, dtype=np.float32)[[0, 1, 2, 1]]
    p16 = tf.constant([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]], tf.float16)
    loss = losses.NeuroLoss1()
    out = loss(y, p16)
    assert out.dtype == tf.float32
    assert float(out) == pytest.approx(float(loss(y, tf.cast(p16, tf.float32))), rel=1e-6)
    # ŷ/(y+ε) reaches 1e7 for y = 0, beyond float16's range: a float16 graph would overflow.
    assert np.isfinite(float(out))
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    try:
        x, yy = _data(2, 32)
        model = _model(3)
        model.compile(optimizer="adam", loss=losses.NeuroLoss1())
        history = model.fit(x, yy, batch_size=16, epochs=1, verbose=0)
        assert model.layers[-1].compute_dtype == "float16"
        assert np.isfinite(history.history["loss"]).all()
    finally:
        keras.mixed_precision.set_dtype_policy("float32")


@pytest.mark.parametrize(
    "loss",
    [
        lossevo.EvolvedLoss(catalog.B2, label_smoothing=0.05, name="b2_custom"),
        losses.NeuroLoss1(),
        losses.InverseBesselLogarithm(label_smoothing=0.1),
        losses.BesselLoss(),
        losses.Baikal(),
        losses.NeuroLoss2(),
        losses.NeuroLoss3(),
        losses.NextGenerationLoss(),
    ],
    ids=lambda loss: loss.name,
)
def test_config_round_trip(loss):
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(again) is type(loss) and again.get_config() == loss.get_config()
    y, p = _data(4, 8)[1], _probs(np.random.default_rng(4), 8, 4, 0.02)
    assert float(again(y, p)) == pytest.approx(float(loss(y, p)), rel=1e-6)


@pytest.mark.parametrize("make_loss", [lambda: lossevo.EvolvedLoss(catalog.R0), losses.NeuroLoss1])
def test_compiled_model_saves_and_loads(tmp_path, make_loss):
    x, y = _data(5, 32)
    model = _model(5)
    model.compile(optimizer="adam", loss=make_loss(), metrics=["accuracy"])
    model.fit(x, y, epochs=1, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.loss) is type(model.loss)
    if isinstance(model.loss, lossevo.EvolvedLoss):
        assert loaded.loss.genome == model.loss.genome
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-6)
    loaded.fit(x, y, epochs=1, verbose=0)  # and it trains on


def test_from_logits_applies_a_softmax_first():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(6, 4)).astype(np.float32) * 3
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 6)]
    probs = tf.nn.softmax(logits).numpy()
    # Genomes without ln/log10 of ŷ itself see the softmax (tests/losses/test_from_logits.py
    # has the log_softmax rule for those with one).
    for genome in (catalog.NEUROLOSS1, losses.get_genome("ngl_tree")):
        from_logits = lossevo.EvolvedLoss(genome, from_logits=True)
        plain = lossevo.EvolvedLoss(genome)
        np.testing.assert_allclose(from_logits(y, logits).numpy(), plain(y, probs).numpy(), rtol=1e-6)
    ce = lossevo.EvolvedLoss(catalog.CROSS_ENTROPY, from_logits=True)
    keras_ce = keras.losses.CategoricalCrossentropy(from_logits=True)
    # ln ŷ reads log_softmax(logits): no ε, so Keras' value to float32 rounding.
    np.testing.assert_allclose(ce(y, logits).numpy(), keras_ce(y, logits).numpy(), rtol=1e-6)
    again = lossevo.EvolvedLoss.from_config(ce.get_config())
    assert again.from_logits and ce.get_config()["from_logits"] is True
    assert losses.get("neuroloss1", from_logits=True).from_logits


def test_label_shape_is_checked_when_it_is_not_static():
    loss = lossevo.EvolvedLoss(catalog.CROSS_ENTROPY)

    @tf.function(input_signature=[tf.TensorSpec([None, None]), tf.TensorSpec([None, None])])
    def dynamic(y_true, y_pred):
        return loss(y_true, y_pred)

    good = dynamic(tf.constant([[0.0, 1.0]]), tf.constant([[0.3, 0.7]]))
    assert np.isfinite(good.numpy())
    # (B, 1) integer-like labels would broadcast against (B, C) without a word.
    with pytest.raises(tf.errors.InvalidArgumentError, match="y_true and y_pred must have the same shape"):
        dynamic(tf.constant([[1.0], [0.0]]), tf.constant([[0.3, 0.7], [0.6, 0.4]]))


@pytest.mark.parametrize(
    "text,field",
    [
        ('{"schema_version": 1, "kind": ["graph"]}', "kind"),
        ('{"schema_version": 1, "kind": {"a": 1}, "nodes": {}}', "kind"),
        ('{"schema_version": 1, "kind": "tree", "expression": ["mul", "y", ["add", "y_hat", 1e400]]}',
         "expression[2][2]"),
        ('{"schema_version": 1, "kind": "tree", "expression": ["mul", "y", ["add", "y_hat", ' + "9" * 400 + "]]}",
         "expression[2][2]"),
        ('{"schema_version": 1, "kind": "tree", "expression": ["mul", "y", ["add", "y_hat", ' + "9" * 5000 + "]]}",
         "<json>"),
        ('{"schema_version": ' + "1" * 5000 + "}", "<json>"),
        ("[" * 100000 + "]" * 100000, "<json>"),
    ],
)  # fmt: skip
def test_every_malformed_genome_raises_genome_error(text, field):
    from lossevo.space import genome_from_json

    with pytest.raises(GenomeError) as e:
        genome_from_json(text)
    assert e.value.field == field
    assert len(str(e.value)) < 400  # the bad value is quoted, shortened


def test_error_messages_quote_at_most_200_characters_of_the_value():
    from lossevo.space import genome_from_dict

    with pytest.raises(GenomeError) as e:
        genome_from_dict({"schema_version": 1, "kind": "x" * 10000})
    assert "x" * 150 in str(e.value) and "x" * 250 not in str(e.value) and "…" in str(e.value)
    with pytest.raises(GenomeError) as e:
        lossevo.Genome.from_dict({"schema_version": 1, "nodes": {"h0": {"op": "y" * 5000, "args": []}}})
    assert len(str(e.value)) < 600
