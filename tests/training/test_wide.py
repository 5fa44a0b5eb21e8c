"""The wide population model: K candidates as one network train as K solo runs (on a CPU
bit for bit, validation accuracy included), an inactive or NaN candidate changes nothing in
the others, refills never re-trace, and a search with it journals what the same search
without it does."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

import lossevo
from lossevo.fitness import SurrogateFitness
from lossevo.losses import EvolvedLoss, catalog
from lossevo.models import get as get_model
from lossevo.models.wide import WideModel, grouped_conv_fast
from lossevo.models.wide_layers import default_form
from lossevo.search import SearchConfig, read_journal, run_search
from lossevo.training import BatchedTrainer, recipes, train
from lossevo.training import trainer as trainer_lib
from lossevo.training.inputs import ResidentStream, train_stream
from lossevo.training.wide import WidePopulation

STEPS, PER_EPOCH, BATCH = 8, 4, 16
GENOMES = (catalog.CROSS_ENTROPY, catalog.NEUROLOSS1, catalog.BAIKAL)
SEEDS = (3, 11, 5)
# The per-candidate (CPU) form computes each candidate as its solo model does, bit for bit;
# the grouped (GPU) form rounds otherwise (benchmarks/device_check.py compares it).
needs_exact_form = pytest.mark.skipif(
    grouped_conv_fast(), reason="the grouped (GPU) form agrees only to rounding"
)


@pytest.fixture(scope="module")
def dataset():
    return lossevo.data.load("synthetic", num_train=100, num_validation=40, num_test=16, seed=0)


@pytest.fixture(scope="module")
def recipe():  # the ConvNet surrogate's recipe (batch, /255, no shuffling), dropout off
    return dataclasses.replace(recipes.scaled(recipes.get("convnet_standard"), STEPS, BATCH), dropout=0.0)


@pytest.mark.parametrize("model", ["convnet", "resnet9v2_small"])
def test_a_wide_model_computes_each_candidates_network(model):
    solos = []
    for seed in range(3):
        keras.utils.set_random_seed(seed)
        solos.append(get_model(model, 10, dropout=0.0))
    wide = WideModel(solos[0], 3, split=False)  # the grouped (GPU) form, as far as a CPU runs it
    for slot, solo in enumerate(solos):
        wide.load(slot, solo)
    rng = np.random.default_rng(0)
    shared = rng.normal(size=(4, 32, 32, 3)).astype(np.float32)  # one batch: an ordinary first conv
    want = np.stack([m(shared, training=False) for m in solos])
    np.testing.assert_allclose(wide(shared, training=False), want, atol=1e-6)
    own = rng.normal(size=(3, 4, 32, 32, 3)).astype(np.float32)  # a batch each: grouped
    stacked = np.transpose(own, (1, 2, 3, 0, 4)).reshape(4, 32, 32, 9)
    want = np.stack([m(own[i], training=True) for i, m in enumerate(solos)])
    np.testing.assert_allclose(wide(stacked, training=True), want, atol=1e-6)
    for got, solo_var in zip(wide.slot_weights(2), solos[2].weights, strict=True):  # BN statistics too
        np.testing.assert_allclose(got, solo_var.numpy(), atol=1e-6)


@needs_exact_form
@pytest.mark.parametrize("model", ["convnet", "resnet9v2_small"])
def test_each_candidates_gradients_are_its_solo_models_bit_for_bit(model):
    """A bias before BatchNorm has a true gradient of zero: its computed gradient is rounding
    noise that Adam turns into steps of about the learning rate, so the per-candidate form
    must round as the solo model does (the residual blocks' gradient sums included)."""
    solos = []
    for seed in range(2):
        keras.utils.set_random_seed(seed)
        solos.append(get_model(model, 10, dropout=0.0))
    wide = WideModel(solos[0], 2, form="split")
    for slot, solo in enumerate(solos):
        wide.load(slot, solo)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(size=(BATCH, 32, 32, 3)).astype(np.float32))
    weight = tf.constant(rng.normal(size=(BATCH, 10)).astype(np.float32))

    def gradients(net, out):
        @tf.function
        def step(x):
            with tf.GradientTape() as tape:
                total = tf.reduce_sum(out(net(x, training=True)) * weight)
            return tape.gradient(total, net.trainable_variables)

        return [g.numpy() for g in step(x)]

    ids = [id(v) for v in wide.trainable_variables]
    wide_grads = dict(zip(ids, gradients(wide, lambda p: p), strict=True))
    for slot, solo in enumerate(solos):
        got = [_slot_part(wide, layer, wide_grads[id(v)], slot) for layer in wide.wide_layers
               for v in layer.trainable_weights]  # fmt: skip
        for g, want in zip(got, gradients(solo, lambda p: p[None]), strict=True):
            np.testing.assert_array_equal(g, want)


def test_one_at_a_time_trains_with_the_shuffle_buffer_the_population_is_given(monkeypatch, dataset, recipe):
    """`make_trainer(..., shuffle_buffer=N)` is the same stream for K at once and for one at
    a time (the solo trainer used to drop it: the two fitnesses then differed)."""
    seen = {}

    def fake_train(*args, **kwargs):
        seen.update(kwargs)
        raise RuntimeError("stop")

    monkeypatch.setattr(trainer_lib, "train", fake_train)
    solo = trainer_lib.make_trainer("convnet", dataset.num_classes, recipe, 0, shuffle_buffer=256)
    with pytest.raises(RuntimeError, match="stop"):
        solo.run(dataset, [catalog.CROSS_ENTROPY], [3], steps_per_epoch=PER_EPOCH)
    assert seen["shuffle_buffer"] == 256
    batched = trainer_lib.make_trainer("convnet", dataset.num_classes, recipe, 2, shuffle_buffer=256)
    assert batched.shuffle_buffer == 256


def test_a_model_without_a_wide_form_is_refused(recipe):
    with pytest.raises(ValueError, match="no wide form"):
        WidePopulation("davidnet", 10, recipe, 2)
    with pytest.raises(ValueError, match="no wide form"):
        BatchedTrainer("davidnet", 10, recipe, 2, form="wide")
    assert BatchedTrainer("davidnet", 10, recipe, 2).form == "copies"  # auto falls back


def test_the_resident_stream_is_every_seeds_stream(dataset, recipe):
    stream = ResidentStream(dataset, recipe)
    solo = iter(train_stream(dataset, recipe, seed=7))
    for step in range(9):  # 100 examples, batches of 16: wraps around the split
        x, y = next(solo)
        got_x, got_y = stream.batches([step])
        np.testing.assert_array_equal(got_x[0], x)
        np.testing.assert_array_equal(got_y[0], y)
    with pytest.raises(ValueError, match="shuffles"):
        ResidentStream(dataset, dataclasses.replace(recipe, shuffle_buffer=64))


def test_batch_per_pass_recipes_train_one_candidate_at_a_time(dataset, recipe):
    """Partial batches at every pass's end: candidates at different steps would see batches
    of different sizes, so population training refuses; solo training takes them."""
    per_pass = dataclasses.replace(recipe, batch_per_pass=True)
    with pytest.raises(ValueError, match="one candidate at a time"):
        BatchedTrainer("convnet", dataset.num_classes, per_pass, 2)
    sizes = [int(x.shape[0]) for x, _ in train_stream(dataset, per_pass, seed=1).take(8)]
    assert sizes == [16] * 6 + [4] + [16]  # 100 examples in batches of 16


def _counts(values, n):
    """Accuracies as counts of `n` examples (Keras' are float32 ratios, the trainer's exact)."""
    return np.rint(np.asarray(values, np.float64) * n).astype(int).tolist()


def _assert_follows_solo(run, solo, examples_per_epoch, num_validation):
    """Epoch by epoch: the same loss (up to the order of the mean's float32 sum), the same
    training and validation hits, and within one validation image however the accuracy is
    rounded; the same best validation accuracy (the fitness), and the same final weights."""
    got, want = run.history, solo.history
    np.testing.assert_allclose(got["loss"], want["loss"], rtol=1e-6)
    assert _counts(got["accuracy"], examples_per_epoch) == _counts(want["accuracy"], examples_per_epoch)
    assert _counts(got["val_accuracy"], num_validation) == _counts(want["val_accuracy"], num_validation)
    np.testing.assert_allclose(got["val_accuracy"], want["val_accuracy"], rtol=0, atol=1 / num_validation)
    assert run.best_val_accuracy == pytest.approx(solo.best_val_accuracy, abs=1e-6)
    if run.weights is not None:
        for got, want in zip(run.weights, solo.model.weights, strict=True):  # BatchNorm statistics included
            np.testing.assert_array_equal(got, want.numpy())


@needs_exact_form
@pytest.mark.slow
def test_wide_training_follows_each_solo_run(dataset, recipe):
    """40 validation images in batches of 16: the last one is partial (padded, weighted out)."""
    trainer = BatchedTrainer("convnet", dataset.num_classes, recipe, 3, jit_compile=False, wide_form="split")
    assert (trainer.form, trainer.data) == ("wide", "resident")
    runs = trainer.run(dataset, GENOMES, SEEDS, steps_per_epoch=PER_EPOCH, keep_weights=True)
    for genome, seed, run in zip(GENOMES, SEEDS, runs, strict=True):
        solo = train("convnet", EvolvedLoss(genome), dataset, recipe, steps=STEPS, steps_per_epoch=PER_EPOCH,
                     seed=seed, evaluate_test=False, jit_compile=False)  # fmt: skip
        _assert_follows_solo(run, solo, PER_EPOCH * BATCH, 40)


@needs_exact_form
@pytest.mark.slow
def test_a_wide_candidates_fitness_is_its_solo_fitness_at_the_surrogates_validation_size():
    """The ConvNet surrogate's recipe (batch 128, its dropout) validated on 5,000 images, as
    CIFAR's validation split is: 39 batches and a partial one of 8. Before the per-candidate
    form the validation accuracies differed by 2–4 images here (up to 26 after 400 steps)
    while the training accuracies were equal. The candidate that turns NaN at once frees its
    slot after one epoch: its successor then trains 20 steps behind the other slot (a batch
    per slot)."""
    num_validation = 5000
    data = lossevo.data.load("synthetic", num_train=512, num_validation=num_validation, num_test=16, seed=0)
    surrogate = recipes.scaled(recipes.get("convnet_standard"), 40)
    assert surrogate.batch_size == 128 and num_validation % surrogate.batch_size == 8
    genomes, seeds = (catalog.CROSS_ENTROPY, catalog.C1, catalog.NEUROLOSS1), (3, 4, 11)
    trainer = BatchedTrainer(
        "convnet", data.num_classes, surrogate, 2, jit_compile=False, form="wide", wide_form="split"
    )
    runs = trainer.run(data, genomes, seeds, steps_per_epoch=20, keep_weights=True)
    for genome, seed, run in zip(genomes, seeds, runs, strict=True):
        solo = train("convnet", EvolvedLoss(genome), data, surrogate, steps_per_epoch=20, seed=seed,
                     evaluate_test=False, jit_compile=False)  # fmt: skip
        if genome is catalog.C1:
            assert run.nonfinite and solo.diverged
            continue
        _assert_follows_solo(run, solo, 20 * surrogate.batch_size, num_validation)


def test_adams_flat_moments_follow_each_weights_candidates(recipe):
    """One Adam over all weights as one vector: each element's candidate (`owners`) is the
    one `spread` gives it, and a refill zeroes that candidate's moments and no other's."""
    population = WidePopulation("convnet", 10, recipe, 3, jit_compile=False)
    owners = population.net.owners(population.weights)
    spread = population.net.spread(tf.range(3))
    want = [np.broadcast_to(spread[id(w)].numpy(), w.shape).reshape(-1) for w in population.weights]
    np.testing.assert_array_equal(owners, np.concatenate(want))
    assert owners.shape == population.m.shape and set(np.unique(owners)) == {0, 1, 2}
    population.m.assign(tf.ones_like(population.m))
    population.v.assign(tf.fill(population.v.shape, 2.0))
    population.assign(1, catalog.A2, 5)
    m, v = population.m.numpy(), population.v.numpy()
    assert (m[owners == 1] == 0).all() and (v[owners == 1] == 0).all()
    assert (m[owners != 1] == 1).all() and (v[owners != 1] == 2).all()
    for w in population.weights:
        first, second = population.moments(w)
        assert first.shape == second.shape == tuple(w.shape)
        np.testing.assert_array_equal(first == 0, np.broadcast_to(spread[id(w)].numpy(), w.shape) == 1)


def _slot_part(net, layer, value, slot):
    """Candidate `slot`'s part of a value laid out as `layer`'s weights are."""
    n = value.shape[-1] // net.k
    return value[slot] if net.candidate_axis(layer) == 0 else value[..., slot * n : (slot + 1) * n]


def _slot_values(population, slot):
    """Slot `slot`'s weights with their Adam moments, BN statistics and step count."""
    k, net = population.population, population.net
    trainable = {id(w) for w in population.weights}
    values = []
    for layer in net.wide_layers:
        for var in layer.weights:
            arrays = [var.numpy()]
            if id(var) in trainable:
                arrays += list(population.moments(var))
            for a in arrays:
                n = a.shape[-1] // k
                values.append(
                    a[slot] if net.candidate_axis(layer) == 0 else a[..., slot * n : (slot + 1) * n]
                )
    values.append(population.steps.numpy()[slot])
    return values


@pytest.mark.slow
def test_inactive_and_nan_candidates_change_nothing_in_the_others(dataset, recipe):
    def trained(third):
        population = WidePopulation("convnet", 10, recipe, 3, jit_compile=False, form="split")
        for slot, (genome, seed) in enumerate(zip((catalog.CROSS_ENTROPY, catalog.BAIKAL, third), SEEDS,
                                                  strict=True)):  # fmt: skip
            population.assign(slot, genome, seed)
        population.deactivate(1)
        before = _slot_values(population, 1)
        rng = np.random.default_rng(0)
        for _ in range(3):
            x = tf.constant(rng.normal(size=(3, BATCH, 32, 32, 3)).astype(np.float32))
            population.train_step(x, tf.one_hot(rng.integers(0, 10, (3, BATCH)), 10))
        for a, b in zip(before, _slot_values(population, 1), strict=True):
            np.testing.assert_array_equal(a, b)  # frozen: weights, moments, BN statistics, step
        return population

    with_nan, with_ce = trained(catalog.C1), trained(catalog.CROSS_ENTROPY)  # C1: infinite at once
    assert with_nan.nonfinite.numpy().tolist() == [False, False, True]
    assert with_nan.active.numpy().tolist() == [True, False, False]
    for a, b in zip(_slot_values(with_nan, 0), _slot_values(with_ce, 0), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)  # the NaN neighbour did not reach slot 0
    nan_metrics, ce_metrics = with_nan.epoch_metrics(), with_ce.epoch_metrics()
    assert nan_metrics["loss"][0] == pytest.approx(ce_metrics["loss"][0], rel=1e-5)
    assert nan_metrics["steps_seen"].tolist() == [3 * BATCH, 0, BATCH]
    assert np.isfinite(_slot_values(with_nan, 0)[0]).all()


@pytest.mark.parametrize("data", ["resident", "candidate"])
@pytest.mark.slow
def test_refills_do_not_retrace(dataset, recipe, data):
    trainer = BatchedTrainer("convnet", dataset.num_classes, recipe, 2, jit_compile=False, data=data)
    five = (*GENOMES, catalog.A2, catalog.BESSEL)
    runs = trainer.run(dataset, five, (1, 2, 3, 4, 5), steps_per_epoch=PER_EPOCH, stop=(1.01, 0))
    assert all(r.stopped and len(r.history["loss"]) == 1 for r in runs)  # stopped, refilled
    assert trainer.population.trace_counts == {"train": 1, "evaluate": 1}
    trainer.run(dataset, five, (6, 7, 8, 9, 10), steps_per_epoch=PER_EPOCH)  # 5 on 2 slots: refills
    assert trainer.population.trace_counts == {"train": 1, "evaluate": 1}
    assert trainer.population._train_fn.experimental_get_tracing_count() == 1


@pytest.mark.slow
def test_a_search_with_the_wide_model_journals_as_one_at_a_time(tmp_path):
    data = lossevo.data.load("synthetic", num_train=256, num_validation=64, num_test=16, seed=1)
    config = SearchConfig(seed=2, population_size=4, initial_size=8, tournament_size=2, iterations=2,
                          batch_size=4, initial_fitness="convnet_standard", fitness="convnet_standard")  # fmt: skip

    def journal(population, workdir):
        fitness = SurrogateFitness("convnet_standard", data, scale=0.002, jit_compile=False, threshold_scale=0.0,
                                   batch_size=32, batched_k=population)  # fmt: skip
        run_search(str(workdir), config, fitness, fitness)
        records, _ = read_journal(str(workdir / "journal.jsonl"))
        return [r for r in records if r["type"] == "finished"]

    wide, solo = journal(4, tmp_path / "wide"), journal(0, tmp_path / "solo")
    assert [(r["candidate"], r["hash"], r["status"]) for r in wide] == [
        (r["candidate"], r["hash"], r["status"]) for r in solo
    ]
    # In the exact form ("split") each candidate trains bit for bit as alone (a fitness is
    # Keras' float32 accuracy, the wide one an exact ratio); the default forms ("split_fused"
    # on a CPU, "grouped" on a GPU) round otherwise and may flip a validation image on a
    # decision boundary, 1/64 of accuracy.
    differ = [
        a["fitness"] - b["fitness"] for a, b in zip(wide, solo, strict=True) if a["fitness"] != b["fitness"]
    ]
    if default_form() != "split":
        assert all(abs(d) <= 1 / 64 + 1e-9 for d in differ) and len(differ) <= 2
    else:
        assert all(abs(d) <= 1e-6 for d in differ)
