"""The recipes table holds SPEC §9's rows."""

import pytest

from lossevo.training import recipes


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
    with pytest.raises(ValueError, match="known recipes: convnet_surrogate"):
        recipes.get("imagenet_90_epochs")
