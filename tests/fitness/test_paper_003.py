"""Paper 003's fitness as named surrogates, recipes and searches: the InceptionV3 with its
9-layer head, ImageDataGenerator's shift-zoom-flip, Adam with ReduceLROnPlateau, a fresh
random split per run, runs averaged, the final validation accuracy, Fashion-MNIST; CE's
baselines of the pair fitness cached in the run directory."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from keras.src.legacy.preprocessing.image import apply_affine_transform

from lossevo import configs, data, losses, models
from lossevo.data.augment.basic import shift_zoom_flip_batch, shift_zoom_transforms
from lossevo.data.splits import RandomSplits
from lossevo.fitness import plans
from lossevo.fitness.rules import judge_stage, mean_verdict
from lossevo.fitness.surrogates import SurrogateFitness
from lossevo.runs.baselines import BASELINES_FILE, ce_baselines
from lossevo.search.types import EvaluationError, FitnessResult, RunDirectoryError
from lossevo.seeds import training_run_seed as run_seed
from lossevo.training import recipes
from lossevo.training.build import make_optimizer, plateau_callback
from lossevo.training.trainer import CandidateRun
from tests.diverging import nan_after


def test_inception_has_the_papers_head_and_upsamples_small_images():
    model = models.get("inceptionv3", 7, input_shape=(32, 32, 3))  # upsampled x8, as the NGL example
    assert model.get_layer("upsample").output.shape[1:3] == (256, 256)
    assert model.count_params() == 21_802_784 + 280_138 - 3 * 65  # backbone + head (10 classes: 280,138)
    head = [layer for layer in model.layers if layer.name.startswith("head_")]
    kinds = [type(layer).__name__ for layer in head]
    assert kinds == ["Flatten", "BatchNormalization", "Dense", "Dropout", "BatchNormalization", "Dense", "Dropout",
                     "BatchNormalization", "Dense"]  # fmt: skip  # the paper's 9 layers
    assert [layer.units for layer in head if kinds[head.index(layer)] == "Dense"] == [128, 64, 7]
    assert [layer.rate for layer in head if kinds[head.index(layer)] == "Dropout"] == [0.5, 0.5]
    assert model.layers[-1].activation.__name__ == "softmax" and model.output.shape[-1] == 7
    backbone = model.get_layer("inception_v3")
    assert type(backbone.layers[-1]).__name__ == "GlobalMaxPooling2D" and all(
        layer.trainable for layer in backbone.layers
    )


def test_inception_input_limits_and_missing_weights_are_clear(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"at least 75x75; 32x32 upsampled x2 is 64x64"):
        models.get("inceptionv3", 10, input_shape=(32, 32, 3), upsample=2)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(
        models.WeightsUnavailableError, match="inception_v3_weights_tf_dim_ordering_tf_kernels_notop"
    ):
        models.get("inceptionv3", 10, input_shape=(75, 75, 3), upsample=1, weights="imagenet", download=False)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # scipy, inside Keras' legacy function
@pytest.mark.parametrize("flip", [False, True])
def test_shift_zoom_flip_is_image_data_generators_transform(flip):
    """Golden: Keras' own `apply_affine_transform` (ImageDataGenerator's, which paper 003's
    code ran) with the same draws gives the same images. Square images: the legacy function
    applies its `tx`, `zx` to columns (after its row/column swap) and centres both axes on
    the height, which only square images (CIFAR, Fashion-MNIST) make immaterial."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 24, 24, 3)).astype(np.uint8)
    seed = tf.constant([3, 4], tf.int64)
    out = shift_zoom_flip_batch(images, seed, 0.1, 0.2, flip).numpy()
    s_affine, s_flip = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    _, draws = shift_zoom_transforms(6, 24, 24, s_affine, 0.1, 0.2)
    flipped = (tf.random.stateless_uniform([6], s_flip) < 0.5).numpy() if flip else np.zeros(6, bool)
    for image, (ty, tx, zy, zx), f, got in zip(images, draws.numpy(), flipped, out, strict=True):
        assert abs(ty) <= 2.4 and abs(tx) <= 2.4 and 0.8 <= zy <= 1.2 and 0.8 <= zx <= 1.2
        want = apply_affine_transform(image.astype(np.float32), tx=tx, ty=ty, zx=zx, zy=zy, row_axis=0, col_axis=1,
                                      channel_axis=2, fill_mode="nearest", order=1)  # fmt: skip
        np.testing.assert_allclose(got, want[:, ::-1] if f else want, atol=1e-3)
    assert (not flip) or 0 < flipped.sum() < 6


def test_inception_scaling_and_the_technique_in_a_pipeline():
    x = tf.constant([[0, 255, 127]], tf.uint8)
    np.testing.assert_allclose(data.normalize(x, "inception").numpy(), [[-1.0, 1.0, 127 / 127.5 - 1]])
    ds = tf.data.Dataset.from_tensor_slices((np.full((8, 28, 28, 1), 200, np.uint8), np.arange(8) % 2))
    images, labels = next(iter(data.make_pipeline(ds, "shift_zoom_flip", 2, 4, seed=1, config=data.AugmentConfig(
        scaling="inception"))))  # fmt: skip
    assert images.shape == (4, 28, 28, 3) and labels.shape == (4, 2)  # grayscale made RGB
    np.testing.assert_allclose(images.numpy(), 200 / 127.5 - 1, atol=1e-5)  # a flat image stays flat


def test_random_splits_are_fresh_per_seed_and_partition_the_pool():
    ds = data.load("synthetic", num_train=90, num_validation=30, num_test=10)
    splits = RandomSplits(ds)
    x, _y = splits.pool()
    assert len(x) == 120
    a_train, a_val = splits.indices(1)
    _b_train, b_val = splits.indices(2)
    assert len(a_val) == 12 and sorted(np.concatenate([a_train, a_val])) == list(range(120))
    assert set(a_val) != set(b_val)
    np.testing.assert_array_equal(splits.indices(1)[1], a_val)  # a seed draws the same split again
    drawn = splits.draw(1)
    val_images = np.stack([im for im, _ in drawn.validation.as_numpy_iterator()])
    np.testing.assert_array_equal(val_images, x[a_val])
    assert drawn.test is ds.test and drawn.num_classes == ds.num_classes


def test_final_measure_and_averaged_runs():
    history = {"loss": [1.0, 0.9, 0.8], "accuracy": [0.2, 0.3, 0.4], "val_accuracy": [0.5, 0.7, 0.6]}
    assert judge_stage(history, 0.0, False, 30).fitness == pytest.approx(0.7)
    final = judge_stage(history, 0.0, False, 30, measure="final")
    assert final.passed and final.fitness == pytest.approx(0.6)
    nan = judge_stage({**history, "loss": [1.0, float("nan")], "val_accuracy": [0.5, float("nan")]}, 0.0, False, 2,
                      measure="final")  # fmt: skip
    assert nan.status == "failed" and nan.nonfinite
    assert mean_verdict([final, judge_stage(history, 0.0, False, 30)]).fitness == pytest.approx(0.65)
    assert mean_verdict([final, nan]) is nan
    with pytest.raises(ValueError, match="measure"):
        judge_stage(history, 0.0, False, 30, measure="mean")


def test_a_run_whose_loss_went_nan_fails_the_final_measure():
    """Real NaN training: Keras reports a finite validation accuracy for the NaN model
    (all-NaN softmax, argmax 0), and the "final" measure must still fail the run."""
    from lossevo.training.solo import train

    ds = data.load("synthetic", num_train=256, num_validation=64, num_test=8)
    recipe = recipes.scaled(recipes.get("convnet_standard"), 30)
    result = train(None, nan_after(12), ds, recipe, steps_per_epoch=10, evaluate_test=False)
    history = result.history
    assert result.diverged and not all(np.isfinite(history["loss"]))
    assert np.isfinite(history["val_accuracy"][-1])  # what Keras reports after the NaN epoch
    verdict = judge_stage(history, 0.0, False, 30, measure="final")
    assert verdict.status == "failed" and verdict.nonfinite and verdict.reason == "non-finite loss"
    assert judge_stage(history, 0.0, False, 30).passed  # the code's `nanmax` keeps its best epoch


def test_a_rejection_by_a_non_finite_loss_says_so():
    history = {"loss": [2.3, float("nan")], "accuracy": [0.1, 0.1], "val_accuracy": [0.1, 0.1]}
    verdict = judge_stage(history, 0.37, True, 200)
    assert (
        verdict.status == "rejected"
        and verdict.reason == "non-finite loss (max train acc 0.100 < 0.37 at step 200)"
    )
    finite = judge_stage({**history, "loss": [2.3, 2.2]}, 0.37, True, 200)
    assert finite.reason == "max train acc 0.100 < 0.37 at step 200"


def test_paper_003_surrogates_and_recipes():
    cifar = plans.plan_stages(plans.get_spec("inception_003"), dataset="cifar10")[0]
    fmnist = plans.plan_stages(plans.get_spec("inception_003"), dataset="fashion_mnist")[0]
    assert (cifar.steps, cifar.steps_per_epoch, cifar.recipe.batch_size) == (50 * 352, 352, 128)  # 50 epochs
    assert (fmnist.steps, fmnist.steps_per_epoch) == (35 * 422, 422)  # 35 epochs of 54,000 images
    stage = cifar.stage
    assert (stage.rejects, stage.split, stage.measure, stage.runs) == (False, "random", "final", 1)
    assert plans.get_spec("inception_003_x3").stages[0].runs == 3
    tuned = plans.plan_stages(plans.get_spec("inception_003_finetune_x3"), dataset="fashion_mnist")[0]
    assert tuned.recipe.weights == "imagenet" and tuned.stage.runs == 3 and tuned.steps == 35 * 422
    recipe = cifar.recipe
    assert (recipe.model, recipe.augmentation, recipe.augment.scaling) == (
        "inceptionv3",
        "shift_zoom_flip",
        "inception",
    )
    assert (recipe.augment.shift, recipe.augment.zoom, recipe.augment.flip) == (0.1, 0.2, True)
    optimizer = make_optimizer(recipe)
    assert isinstance(optimizer, keras.optimizers.Adam) and float(optimizer.learning_rate) == pytest.approx(
        1e-3
    )
    plateau = plateau_callback(recipe)
    assert isinstance(plateau, keras.callbacks.ReduceLROnPlateau)
    assert (plateau.monitor, plateau.factor, plateau.patience, plateau.min_lr) == (
        "val_accuracy",
        0.2,
        5,
        1e-4,
    )
    assert plateau_callback(recipes.get("convnet_standard")) is None
    small = recipes.get("inception_003_small")
    assert small.augment.image_size == (75, 75) and dict(small.model_kwargs) == {"upsample": 1}


def test_paper_003_searches_are_named_setups():
    setup = configs.get("paper_003")  # the fifth experiment, which found NGL
    assert setup.objective == "ce_pair" and setup.search.fitness == "inception_003"
    assert [d.name for d in setup.datasets()] == ["cifar10", "fashion_mnist", "cifar100"]
    assert (setup.search.population_size, setup.search.iterations) == (16, 100)
    assert [configs.get(f"paper_003_exp{i}").search.fitness for i in (1, 2, 3, 4)] == [
        "inception_003", "inception_003_x3", "inception_003_finetune", "inception_003_finetune_x3"]  # fmt: skip
    assert configs.get("paper_003_exp2").data.name == "fashion_mnist"
    extra = setup.journal_config().extra
    assert extra["objective"] == "ce_pair" and [d["name"] for d in extra["pair_data"]] == [
        "fashion_mnist",
        "cifar100",
    ]
    assert "objective" not in configs.get("small").journal_config().extra  # earlier run directories resume
    small = configs.get("small_tree")
    assert small.search.fitness == "convnet_003_small" and small.data.name == "synthetic"
    (smoke,) = plans.get_spec("convnet_003_small").stages  # paper 003's rules on the ConvNet
    assert (smoke.recipe, smoke.rejects, smoke.split, smoke.measure) == (
        "convnet_standard",
        False,
        "random",
        "final",
    )
    with pytest.raises(ValueError, match="pair_data"):
        small.replace(pair_data=(data.DataSpec("cifar100"),)).validate()
    with pytest.raises(ValueError, match="stub"):
        small.replace(objective="ce_pair", fitness="stub").validate()
    with pytest.raises(ValueError, match="CE's validation accuracy"):
        setup.factory("inception_003")


class _Recorder:
    """A trainer that records what it was given and returns a fixed final accuracy per run."""

    def __init__(self):
        self.calls = []

    def run(self, dataset, genomes, seeds, *, steps_per_epoch, stop=None):
        val = sorted(int(y) for _, y in dataset.validation.as_numpy_iterator())
        self.calls.append((seeds[0], tuple(val)))
        acc = 0.5 + 0.1 * len(self.calls)
        return [CandidateRun({"loss": [1.0], "accuracy": [0.3], "val_accuracy": [0.1, acc]})]


def test_three_runs_each_on_a_fresh_split_are_averaged():
    ds = data.load("synthetic", num_train=90, num_validation=30, num_test=10)
    fitness = SurrogateFitness("inception_003_x3", ds)
    fitness.trainers = [_Recorder()]
    (result,) = fitness.evaluate([losses.get_genome("ngl_tree")], [7])
    calls = fitness.trainers[0].calls
    assert [seed for seed, _ in calls] == [run_seed(7, r) for r in range(3)] and run_seed(7, 0) == 7
    assert len({val for _, val in calls}) == 3  # three different validation splits
    assert result.status == "ok" and result.fitness == pytest.approx((0.6 + 0.7 + 0.8) / 3)
    assert [s["run"] for s in result.info["stages"]] == [0, 1, 2]
    with pytest.raises(ValueError, match="one candidate at a time"):
        SurrogateFitness("inception_003_x3", ds, batched_k=4)


def test_fashion_mnist_through_tfds(tmp_path):
    with tfds.testing.mock_data(num_examples=20, data_dir=str(tmp_path)):
        ds = data.load("fashion_mnist", data_dir=str(tmp_path))
        image, _label = next(iter(ds.train))
        assert image.shape == (28, 28, 1) and ds.num_classes == 10 and ds.image_size == (28, 28)
        assert data.sources.TFDS_SOURCES["fashion_mnist"].splits == ("train[:90%]", "train[90%:]", "test")
        batch, _ = next(iter(data.make_pipeline(ds.train, "shift_zoom_flip", 10, 4, config=data.AugmentConfig(
            scaling="inception"))))  # fmt: skip
        assert batch.shape == (4, 28, 28, 3)


@pytest.mark.slow
def test_the_small_inception_fitness_trains_on_cpu():
    """`inception_003_small`: the paper's network at 75x75, 20 steps of batch 16, offline."""
    setup = configs.get("small_tree").replace(
        data=data.spec.synthetic(160, 40, 10), fitness="inception_003_small", initial_fitness="inception_003_small",
        scale=20 / 17600, surrogate_batch=16,
    )  # fmt: skip
    fitness = setup.factory(setup.search.fitness)()
    (result,) = fitness.evaluate([losses.get_genome("ngl_tree")], [3])
    assert result.status == "ok" and 0.0 <= result.fitness <= 1.0
    (stage,) = result.info["stages"]
    assert (stage["model"], stage["steps"], stage["run"]) == ("inceptionv3", 20, 0)


class _Fixed:
    def __init__(self, accuracy, calls):
        self.accuracy, self.calls, self.name = accuracy, calls, "fixed"

    def evaluate(self, genomes, seeds):
        self.calls.append(genomes[0].to_paper())
        return [
            FitnessResult(self.accuracy, "ok" if self.accuracy is not None else "failed", {"reason": "nan"})
        ]


def test_ce_baselines_are_trained_once_then_read(tmp_path):
    setup = configs.get("small_tree").replace(
        objective="ce_pair", pair_data=(data.spec.synthetic(100, 20, 10),)
    )
    calls, lines = [], []
    first = ce_baselines(
        str(tmp_path), setup, "inception_003_small", lambda f: _Fixed(0.8, calls), lines.append
    )
    assert first == (0.8, 0.8) and len(calls) == 2 and "ln" in calls[0]  # cross-entropy
    again = ce_baselines(
        str(tmp_path), setup, "inception_003_small", lambda f: _Fixed(0.1, calls), lines.append
    )
    assert again == (0.8, 0.8) and len(calls) == 2 and sum("from" in line for line in lines) == 2
    stored = json.loads((tmp_path / BASELINES_FILE).read_text())
    assert len(stored["baselines"]) == 2 and {e["seed"] for e in stored["baselines"].values()} == {0}
    other = setup.replace(seed=9)  # another seed is another baseline
    assert ce_baselines(str(tmp_path), other, "inception_003_small", lambda f: _Fixed(0.5, calls), print) == (
        0.5,
        0.5,
    )
    factory = setup.factory("inception_003_small", first)
    assert factory.name == "ce_pair(inception_003_small@synthetic,inception_003_small@synthetic)"
    (tmp_path / BASELINES_FILE).write_text("{not json")
    with pytest.raises(RunDirectoryError, match="move the file away"):
        ce_baselines(str(tmp_path), setup, "inception_003_small", lambda f: _Fixed(0.8, calls), print)
    with pytest.raises(EvaluationError, match="did not train"):
        ce_baselines(
            str(tmp_path / "new"), setup, "inception_003_small", lambda f: _Fixed(None, calls), print
        )
    with pytest.raises(EvaluationError, match="no loss can improve"):
        ce_baselines(
            str(tmp_path / "easy"), setup, "inception_003_small", lambda f: _Fixed(1.0, calls), print
        )
