"""Population-batched evaluation: K copies in one compiled step train like K solo runs, never
re-trace for new candidates, and stop, fail and freeze one copy at a time (the surrogate
fitness tests run the default form, wide for the ConvNet: tests/training/test_wide.py)."""

import numpy as np
import pytest
import tensorflow as tf

import lossevo
from lossevo.fitness import SurrogateFitness
from lossevo.losses import EvolvedLoss, catalog
from lossevo.search import EvaluationError
from lossevo.training import BatchedTrainer, recipes, train

STEPS, PER_EPOCH, BATCH, BUFFER = 8, 4, 16, 256
GENOMES = (catalog.CROSS_ENTROPY, catalog.NEUROLOSS1, catalog.BAIKAL)
SEEDS = (3, 11, 5)


@pytest.fixture(scope="module")
def dataset():
    return lossevo.data.load("synthetic", num_train=128, num_validation=40, num_test=16, seed=0)


@pytest.fixture(scope="module")
def trainer(dataset):
    recipe = recipes.scaled(recipes.get("convnet_standard"), STEPS, BATCH)
    return BatchedTrainer("convnet", dataset.num_classes, recipe, 3, jit_compile=False, shuffle_buffer=BUFFER,
                          form="copies")  # fmt: skip


@pytest.fixture(scope="module")
def batched_runs(trainer, dataset):
    return trainer.run(dataset, GENOMES, SEEDS, steps_per_epoch=PER_EPOCH, keep_weights=True)  # fmt: skip


@pytest.mark.slow
def test_batched_equals_solo_train(batched_runs, dataset):
    for genome, seed, run in zip(GENOMES, SEEDS, batched_runs, strict=True):
        solo = train("convnet", EvolvedLoss(genome), dataset, "convnet_standard", steps=STEPS,
                     steps_per_epoch=PER_EPOCH, batch_size=BATCH, seed=seed, evaluate_test=False,
                     shuffle_buffer=BUFFER, jit_compile=False)  # fmt: skip
        assert len(run.history["loss"]) == len(solo.history["loss"]) == 2
        np.testing.assert_allclose(run.history["accuracy"], solo.history["accuracy"], atol=1 / (4 * BATCH))
        np.testing.assert_allclose(run.history["val_accuracy"], solo.history["val_accuracy"], atol=1 / 40)
        np.testing.assert_allclose(run.history["loss"], solo.history["loss"], rtol=1e-4)
        # Bitwise equal with TF_ENABLE_ONEDNN_OPTS=0; oneDNN's fused kernels round differently
        # inside and outside the batched program, and Adam amplifies the last bits.
        for got, want in zip(run.weights, solo.model.weights, strict=True):
            np.testing.assert_allclose(got, want.numpy(), atol=3e-3)
        assert run.best_val_accuracy == pytest.approx(solo.best_val_accuracy, abs=1 / 40)


def test_k_batched_equals_k_separate_runs_exactly(batched_runs, trainer, dataset):
    alone = BatchedTrainer(
        "convnet",
        dataset.num_classes,
        trainer.recipe,
        1,
        jit_compile=False,
        shuffle_buffer=BUFFER,
        form="copies",
    )
    for genome, seed, run in zip(GENOMES, SEEDS, batched_runs, strict=True):
        (single,) = alone.run(dataset, [genome], [seed], steps_per_epoch=PER_EPOCH, keep_weights=True)
        assert single.history == run.history
        for a, b in zip(single.weights, run.weights, strict=True):
            np.testing.assert_array_equal(a, b)
    assert alone.population.trace_counts == {"train": 1, "evaluate": 1}


def test_new_candidates_do_not_retrace(batched_runs, trainer, dataset):
    others = (catalog.A2, catalog.BESSEL, catalog.CROSS_ENTROPY, catalog.NEUROLOSS2)  # 4 > K: a refill
    runs = trainer.run(dataset, others, (1, 2, 3, 4), steps_per_epoch=PER_EPOCH)
    assert all(len(r.history["loss"]) == 2 for r in runs)
    assert runs[2].history == batched_runs[0].history  # same loss and seed, other batch mates
    assert runs[0].history != batched_runs[0].history
    assert trainer.population.trace_counts == {"train": 1, "evaluate": 1}
    assert trainer.population._train_fn.experimental_get_tracing_count() == 1


def test_inactive_copy_is_frozen(trainer):
    trainer = trainer.population
    for slot, (genome, seed) in enumerate(zip(GENOMES, SEEDS, strict=True)):
        trainer.assign(slot, genome, seed)
    trainer.deactivate(1)

    def state(slot):
        return [
            v.numpy().copy() for v in (*trainer.models[slot].variables, *trainer.optimizers[slot].variables)
        ]

    before = [state(s) for s in range(3)]
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(3, BATCH, 32, 32, 3)).astype(np.float32))
    y = tf.one_hot(rng.integers(0, 10, (3, BATCH)), 10)
    for _ in range(2):
        trainer.train_step(x, y)
    after = [state(s) for s in range(3)]
    for a, b in zip(before[1], after[1], strict=True):
        np.testing.assert_array_equal(a, b)  # weights, BN statistics, dropout seed, Adam slots
    for s in (0, 2):
        assert any(not np.array_equal(a, b) for a, b in zip(before[s], after[s], strict=True))
    assert trainer.epoch_metrics()["steps_seen"].tolist() == [2 * BATCH, 0, 2 * BATCH]
    assert trainer.trace_counts["train"] == 1


def test_early_stop_deactivates_and_refills(trainer, dataset):
    runs = trainer.run(
        dataset, (*GENOMES, catalog.A2), (1, 2, 3, 4), steps_per_epoch=PER_EPOCH, stop=(1.01, 0)
    )
    assert all(r.stopped and len(r.history["accuracy"]) == 1 for r in runs)  # the 4th got a freed copy
    assert trainer.population.trace_counts["train"] == 1


@pytest.mark.slow
def test_fitness_nan_candidate_fails_alone(dataset):
    # K = 2 at batch 16, as the two-stage test below: XLA compiles the wide form's loss once
    # per population shape [K, B, classes] and process (about 20 s on 2 cores), so this file
    # compiles it once.
    kwargs = {"batched_k": 2, "scale": 0.001, "jit_compile": False, "shuffle_buffer": BUFFER,
              "batch_size": BATCH}  # fmt: skip
    fitness = SurrogateFitness("convnet", dataset, threshold_scale=0.0, **kwargs)
    with_nan = fitness.evaluate([catalog.CROSS_ENTROPY, catalog.C1, catalog.BAIKAL], [7, 8, 9])
    # C1 is infinite from the first step: the copy stops at once, and keeps the validation
    # accuracy of its NaN weights (every prediction class 0), as a solo run's nanmax does.
    assert [r.status for r in with_nan] == ["ok", "ok", "ok"]
    assert with_nan[1].info["stages"][0]["nonfinite"] and with_nan[1].info["stages"][0]["epochs"] == 1
    labels = np.concatenate([y.numpy() for _, y in dataset.validation.batch(64)])
    assert with_nan[1].fitness == pytest.approx(np.mean(labels == 0))
    without = fitness.evaluate([catalog.CROSS_ENTROPY, catalog.BAIKAL], [7, 9])
    # The NaN copy leaves the others as they were: cross-entropy trained beside it, BAIKAL
    # in the slot freed after it, and both as they train side by side without it; to within
    # one validation image of 40, the wide-versus-solo difference of issue 22 item 4 (in a
    # population of three, BAIKAL's copy scored 0.075 beside the NaN and 0.05 without it).
    assert [r.fitness for r in without] == pytest.approx(
        [with_nan[0].fitness, with_nan[2].fitness], abs=1 / 40 + 1e-6
    )
    assert 0.0 <= with_nan[0].fitness <= 1.0
    assert fitness.trainers[0].population.trace_counts == {"train": 1, "evaluate": 1}
    strict = SurrogateFitness("convnet", dataset, threshold_scale=10.0, **kwargs)  # 3.7: unreachable
    strict.trainers = fitness.trainers  # same stage and K: reuse the compiled trainer
    assert [r.status for r in strict.evaluate([catalog.CROSS_ENTROPY], [7])] == ["rejected"]
    assert fitness.trainers[0].population.trace_counts == {"train": 1, "evaluate": 1}


@pytest.mark.slow
def test_two_stage_surrogate_matches_the_solo_fitness(dataset):
    # resnet_rand_aug: a 32 px pre-check, then 80 px RandAugment; the same plans (steps,
    # epochs) and, up to oneDNN rounding on 40 validation images, the same fitness. Both
    # stages at batch 16 (K = 2, as above): one population shape, one XLA compile of the loss.
    kwargs = {"scale": 0.001, "jit_compile": False, "threshold_scale": 0.0, "batch_size": BATCH}
    batched = SurrogateFitness("resnet_rand_aug", dataset, batched_k=2, **kwargs)
    solo = SurrogateFitness("resnet_rand_aug", dataset, **kwargs)
    genomes, seeds = [catalog.CROSS_ENTROPY, catalog.NEUROLOSS1], [4, 6]
    got, want = batched.evaluate(genomes, seeds), solo.evaluate(genomes, seeds)
    for g, w in zip(got, want, strict=True):
        assert g.status == w.status == "ok", (g.info, w.info)
        strip = lambda info: [(s["model"], s["steps"], s["epochs"]) for s in info["stages"]]  # noqa: E731
        assert strip(g.info) == strip(w.info) == [("resnet9v2_small", 10, 1)] * 2
        assert g.fitness == pytest.approx(w.fitness, abs=0.051)
    with pytest.raises(EvaluationError, match="encodes graph genomes only, got a tree genome"):
        batched.evaluate([lossevo.losses.get_genome("ngl_tree")], [0])
