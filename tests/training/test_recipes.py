"""The recipes table holds docs/reference.md §9's rows."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from lossevo import data, models
from lossevo.training import recipes
from lossevo.training.build import builder_kwargs, make_optimizer, make_schedule
from lossevo.training.inputs import train_stream
from lossevo.training.solo import train


def test_spec_rows():
    r = recipes.get("effnetv2s_progressive")
    assert (r.optimizer, r.peak_lr, r.batch_size, r.warmup_steps, r.steps, r.progressive) == (
        "adam",
        1e-3,
        64,
        6400,
        64000,
        "cifar",
    )
    r = recipes.get("effnetv2s_progressive_final")
    assert (r.steps, r.hold_steps) == (96000, 12400)
    r = recipes.get("wideresnet_002")
    assert (r.optimizer, r.peak_lr, r.warmup_steps, r.steps, r.batch_size) == (
        "sgd_nesterov",
        0.1,
        1000,
        96186,
        128,
    )
    assert r.augment.image_size == (40, 40) and r.augment.crop_size == (32, 32) and r.augmentation == "cutout"
    assert recipes.get("wideresnet_000").steps == 300 * 391
    assert recipes.get("seresnext_002").model == "seresnext29_4x64d"
    d = recipes.get("davidnet_cutout")
    assert (d.peak_lr, d.warmup_steps, d.steps, d.batch_size, d.weight_decay, d.schedule) == (
        0.4,
        1176,
        2940,
        512,
        0.512,
        "warmup_linear",
    )
    assert recipes.get("davidnet_cutmix").weight_decay == 0.0256
    assert recipes.get("davidnet_cutmix").augmentation == "cutmix"
    f = recipes.get("effnetv2s_finetune")
    assert (f.weights, f.dropout, f.augment.image_size, f.augment.randaug_magnitude) == (
        "imagenet",
        0.5,
        (224, 224),
        15.0,
    )
    s = recipes.get("effnetv2s_surrogate")
    assert (s.steps, s.total_schedule_steps, s.augment.image_size) == (8000, 64000, (96, 96))
    assert recipes.get("resnet9v2_6m_surrogate").steps == 40 * 500  # fmt: skip


def test_scaled_keeps_proportions():
    r = recipes.scaled(recipes.get("effnetv2s_progressive_final"), 960)
    assert (r.steps, r.warmup_steps, r.hold_steps) == (960, 64, 124)
    s = recipes.scaled(recipes.get("effnetv2s_surrogate"), 80, batch_size=8)
    assert (s.total_schedule_steps, s.batch_size) == (640, 8)


def test_unknown_recipe():
    with pytest.raises(
        ValueError, match=r"known recipes: convnet_standard, .*\(aliases: resnet9v2_surrogate"
    ):
        recipes.get("imagenet_90_epochs")


def test_the_codes_surrogate_loaders():
    # fitness_functions.py: non-augmented stages use `trainloader` (batch 128, /255, no
    # shuffling); RandAugment stages batch 64, shuffle(1024), Model Garden scaling.
    for name in ("convnet_standard", "resnet_standard"):
        r = recipes.get(name)
        assert (r.batch_size, r.augment.scaling, r.shuffle_buffer, r.augmentation) == (128, "unit", 0, "none")
        assert (r.steps, r.warmup_steps, r.total_schedule_steps, r.steps_per_epoch) == (8000, 800, 8000, 100)
    for name, size in (("resnet_rand_aug", 80), ("effnet_rand_aug", 96)):
        r = recipes.get(name)
        assert (r.batch_size, r.augment.scaling, r.shuffle_buffer) == (64, "model_garden", 1024)
        assert (r.augmentation, r.augment.image_size, r.augment.randaug_magnitude) == (
            "randaug_only",
            (size, size),
            5,
        )
    assert (recipes.get("effnet_rand_aug").warmup_steps, recipes.get("effnet_rand_aug").dropout) == (
        6400,
        0.1,
    )
    # Earlier names still resolve.
    assert recipes.get("effnetv2s_surrogate") is recipes.get("effnet_rand_aug")


def test_paper_000_validates_every_500_steps_and_large_cnns_have_l2():
    for name in ("resnet9v2_6m_surrogate", "effnetv2s_finetune_000"):
        assert recipes.get(name).steps_per_epoch == 500
    # The WRN of paper 000 §3.2: 300 epochs of 391 steps (one pass over 50,000 at batch 128).
    assert recipes.get("wideresnet_000").steps_per_epoch == 391
    for name in ("wideresnet_002", "seresnext_002", "wideresnet_000"):
        assert recipes.get(name).kernel_l2 == 5e-4
    assert recipes.get("davidnet_cutout").kernel_l2 == 0
    p = recipes.get("effnetv2s_progressive")
    assert (p.steps_per_phase, p.phase_stop) == (16000, (0.45, 40))


def test_truncated_keeps_the_schedule():
    r = recipes.truncated(recipes.get("convnet_standard"), 800)
    assert (r.steps, r.warmup_steps, r.total_schedule_steps) == (800, 800, 8000)
    e = recipes.extended(recipes.get("resnet9v2_6m_surrogate"), 96000)
    assert (e.steps, e.warmup_steps, e.total_schedule_steps) == (96000, 1000, 96000)
    with pytest.raises(ValueError, match="truncate it instead"):
        recipes.extended(recipes.get("effnet_rand_aug"), 9000)


# The authors' final tests (final_loss_testing.py): basemodel_test at 32 px and
# loss_projection.py's progressive_test, each from scratch and from ImageNet weights.
CODE_BASE = {
    "effnetv2s_code_base": (64000, 6400, None),
    "effnetv2s_code_base_imagenet": (16000, 1600, "imagenet"),
}


@pytest.mark.parametrize("name", list(CODE_BASE))
def test_the_codes_final_base_tests(name):
    steps, warmup, weights = CODE_BASE[name]  # 640 (160 from ImageNet) epochs x 100 steps
    r = recipes.get(name)
    assert (r.model, r.optimizer, r.peak_lr, r.schedule, r.batch_size, r.steps_per_epoch) == (
        "efficientnetv2s", "adam", 1e-3, "warmup_cosine", 64, 100,
    )  # fmt: skip
    assert (r.steps, r.warmup_steps, r.hold_steps, r.total_schedule_steps) == (steps, warmup, 0, steps)
    assert (r.augmentation, r.shuffle_buffer, r.augment.image_size) == ("none", 0, (32, 32))
    assert r.batch_per_pass  # `.batch(64)` before `.repeat()`
    assert r.augment.crop_size is None
    assert (r.augment.scaling, r.weights, r.dropout, r.progressive, r.label_smoothing) == (
        "model_garden", weights, 0.1, None, 0.0,
    )  # fmt: skip
    assert r.source.startswith("code final_loss_testing.py basemodel_test")


def test_the_codes_final_progressive_test_from_imagenet_weights():
    p, q = recipes.get("effnetv2s_progressive"), recipes.get("effnetv2s_progressive_imagenet")
    assert q.weights == "imagenet" and p.weights is None
    assert dataclasses.replace(q, name=p.name, weights=None, source=p.source) == p
    assert "progressive_test(use_imagenet=True)" in q.source


@pytest.mark.parametrize("name,peak", [("effnetv2s_code_base", 6400), ("effnetv2s_code_base_imagenet", 1600)])
def test_the_final_base_schedules_peak_at_the_end_of_warmup(name, peak):
    recipe = recipes.get(name)
    schedule = make_schedule(recipe)
    lrs = schedule(tf.range(recipe.steps + 1)).numpy()
    assert int(np.argmax(lrs)) == peak and lrs[peak] == pytest.approx(1e-3)
    assert lrs[peak // 2] == pytest.approx(5e-4) and lrs[-1] == pytest.approx(0.0, abs=1e-12)
    assert isinstance(make_optimizer(recipe), keras.optimizers.Adam)


def test_the_final_recipes_build_their_models_without_downloading(tmp_path, monkeypatch):
    assert builder_kwargs(recipes.get("effnetv2s_code_base"), "efficientnetv2s") == {
        "input_shape": (None, None, 3), "dropout": 0.1,
    }  # fmt: skip
    assert builder_kwargs(recipes.get("effnetv2s_code_base_imagenet"), "efficientnetv2s") == {
        "input_shape": (None, None, 3), "weights": "imagenet", "dropout": 0.1,
    }  # fmt: skip
    progressive = recipes.get("effnetv2s_progressive_imagenet")  # phases set the dropout
    assert builder_kwargs(progressive, "efficientnetv2s", progressive=True) == {
        "input_shape": (None, None, 3), "weights": "imagenet",
    }  # fmt: skip
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # an empty cache: asks for the weights file
    for name in ("effnetv2s_code_base_imagenet", "effnetv2s_progressive_imagenet"):
        r = recipes.get(name)
        kwargs = builder_kwargs(r, r.model, progressive=bool(r.progressive))
        with pytest.raises(models.WeightsUnavailableError, match=r"efficientnetv2-s_notop\.h5"):
            models.get(r.model, 10, download=False, **kwargs)


def test_the_final_base_recipe_trains_in_stored_order_at_32_px():
    ds = data.load("synthetic", num_train=64, num_validation=16, num_test=16)
    recipe = recipes.scaled(recipes.get("effnetv2s_code_base_imagenet"), 4, batch_size=8)
    x, y = next(iter(train_stream(ds, recipe, seed=3)))
    images = np.stack([image for image, _ in ds.train.take(8).as_numpy_iterator()])
    np.testing.assert_allclose(x.numpy(), (images.astype(np.float32) - 127.5) / 128.0)  # no shuffle, no aug
    assert x.shape == (8, 32, 32, 3) and y.shape == (8, ds.num_classes)
    seen = {}

    def tiny(num_classes, **kwargs):  # stands in for EfficientNetV2-S: no ImageNet weights needed
        seen.update(kwargs)
        inputs = keras.Input(kwargs["input_shape"])
        pooled = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(inputs))
        return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(pooled))

    result = train(tiny, "cross_entropy", ds, recipe, steps_per_epoch=2, evaluate_test=False)
    # A builder other than EfficientNetV2-S is given the recipe's 32 px input.
    assert seen == {"input_shape": (32, 32, 3), "weights": "imagenet", "dropout": 0.1}
    assert len(result.history["val_accuracy"]) == 2 and int(result.model.optimizer.iterations) == 4
