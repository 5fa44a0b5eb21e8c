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
    with pytest.raises(ValueError, match=r"known recipes: convnet_standard, .*\(aliases: convnet_surrogate"):
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
    assert recipes.get("convnet_surrogate") is recipes.get("convnet_standard")
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
