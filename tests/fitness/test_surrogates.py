"""The papers' surrogates: their plans pinned to the authors' `fitness_functions.py`, the
stage rule on fake histories, the code's `EpochCallback`, and every stage end to end."""

import math

import numpy as np
import pytest

from lossevo import data
from lossevo.fitness import PAIRINGS, SurrogateFitness, canonical_name, rules
from lossevo.fitness.plans import SURROGATES, get_spec, plan_stages
from lossevo.losses import get_genome
from lossevo.training import StopBelow, make_schedule

DS = data.load("synthetic", num_train=256, num_validation=64, num_test=8)


def code_lr(step, warmup, total, target=1e-3):
    """The code's `lr_warmup_cosine_decay` (without its +1e-7), written out from docs/reference.md §6."""
    if step < warmup:
        return target * step / warmup
    return 0.5 * target * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


# Per stage: (recipe, model, steps, batch, scaling, shuffle, threshold, stop epoch, rejects, warm-up, total).
CODE = {
    "convnet_standard": [("convnet_standard", "convnet", 8000, 128, "unit", 0, 0.37, 8, True, 800, 8000)],
    "resnet_standard": [("resnet_standard", "resnet9v2_small", 8000, 128, "unit", 0, 0.35, 6, True, 800, 8000)],
    "resnet_rand_aug": [
        ("resnet_standard", "resnet9v2_small", 800, 128, "unit", 0, 0.35, None, True, 800, 8000),
        ("resnet_rand_aug", "resnet9v2_small", 8000, 64, "model_garden", 1024, 0.22, 7, False, 800, 8000),
    ],
    "effnet_rand_aug": [
        ("convnet_standard", "convnet", 800, 128, "unit", 0, 0.37, None, True, 800, 8000),
        ("effnet_rand_aug", "efficientnetv2s", 8000, 64, "model_garden", 1024, 0.25, 30, False, 6400, 64000),
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", list(CODE))
def test_plans_follow_the_code(name):
    plans = plan_stages(get_spec(name))
    assert len(plans) == len(CODE[name])
    for plan, row in zip(plans, CODE[name], strict=True):
        recipe, model, steps, batch, scaling, shuffle, threshold, stop, rejects, warmup, total = row
        r = plan.recipe
        assert (plan.stage.recipe, plan.model, plan.steps, r.steps) == (recipe, model, steps, steps)
        assert (r.batch_size, r.augment.scaling, r.shuffle_buffer) == (batch, scaling, shuffle)
        assert (plan.threshold, plan.stop_epoch, plan.stage.rejects, plan.steps_per_epoch) == (
            threshold, stop, rejects, 100
        )  # fmt: skip
        schedule = make_schedule(r)
        for step in (0, 400, 799, 7999):
            assert float(schedule(step)) == pytest.approx(code_lr(step, warmup, total), abs=1e-9), step
    if len(plans) == 2:  # the pre-check is the first 800 steps of the 8,000-step schedule: all warm-up
        assert float(make_schedule(plans[0].recipe)(799)) == pytest.approx(1e-3 * 799 / 800)


def test_names_aliases_and_pairings():
    assert canonical_name("convnet") == "convnet_standard"
    assert canonical_name("effnetv2s_96") == "effnet_rand_aug"
    assert canonical_name("resnet9v2_randaug") == "resnet_rand_aug"
    assert PAIRINGS == {"paper_002": ("convnet_standard", "effnet_rand_aug"),
                        "code_main": ("resnet_standard", "resnet_rand_aug")}  # fmt: skip
    assert set(CODE) <= set(SURROGATES)
    with pytest.raises(ValueError, match=r"known: convnet_standard, .*aliases: convnet"):
        canonical_name("resnet50")
    assert SurrogateFitness("convnet", DS).name == "convnet_standard"


def test_scaled_plans_keep_the_proportions():
    plans = plan_stages(get_spec("effnet_rand_aug"), scale=0.05)
    assert [p.steps for p in plans] == [40, 400]
    assert [p.recipe.total_schedule_steps for p in plans] == [400, 3200]
    assert plans[1].stop_epoch == 1  # epoch 30 of 80 -> after 1,550 of 4,000 scaled steps
    assert plan_stages(get_spec("convnet_standard"), scale=0.05)[0].stop_epoch == 1  # never the first


def test_stage_rule_on_fake_histories():
    judge = rules.judge_stage
    # Rejected only when the *best* training accuracy stays below the threshold.
    v = judge(
        {"accuracy": [0.30, 0.40, 0.36], "val_accuracy": [0.3, 0.45, 0.41], "loss": [2, 1, 1]},
        0.37,
        True,
        300,
    )
    assert (v.status, v.fitness) == ("pass", 0.45)
    v = judge(
        {"accuracy": [0.2, 0.3, 0.36], "val_accuracy": [0.2, 0.3, 0.35], "loss": [2, 1, 1]}, 0.37, True, 800
    )
    assert (v.status, v.fitness, v.reason) == ("rejected", None, "max train acc 0.360 < 0.37 at step 800")
    # The main run of a two-stage surrogate never rejects.
    assert judge({"accuracy": [0.1], "val_accuracy": [0.12], "loss": [2]}, 0.25, False, 100).fitness == 0.12
    # A run that turns NaN part-way keeps its best validation accuracy (nanmax).
    v = judge({"accuracy": [0.4, 0.5, 0.1], "val_accuracy": [0.42, 0.5, float("nan")],
               "loss": [1.5, 1.2, float("nan")]}, 0.37, True, 300)  # fmt: skip
    assert (v.status, v.fitness, v.nonfinite) == ("pass", 0.5, True)
    # No finite validation accuracy at all: failed.
    v = judge({"accuracy": [0.5], "val_accuracy": [float("nan")], "loss": [float("nan")]}, 0.37, True, 100)
    assert (v.status, v.reason) == ("failed", "non-finite loss before any validation")


class _Model:
    stop_training = False


@pytest.mark.parametrize("epoch", [0, 6, 8, 30])
def test_stop_below_is_the_codes_epoch_callback(epoch):
    cb = StopBelow(0.37, epoch=epoch)
    cb.set_model(_Model())
    cb.on_train_begin()
    for e in range(epoch):
        cb.on_epoch_end(e, {"accuracy": 0.1})
        assert not cb.model.stop_training, e  # epochs 0 .. E-1 are never checked
    cb.on_epoch_end(epoch, {"accuracy": 0.37})
    assert not cb.model.stop_training  # at the threshold: goes on
    cb.on_epoch_end(epoch + 1, {"accuracy": 0.369})
    assert cb.model.stop_training and cb.stopped
    # Counted within each fit: a new fit starts from epoch 0 again (progressive phases).
    late = StopBelow(0.5, epoch=2)
    late.set_model(_Model())
    late.on_train_begin()
    late.on_epoch_end(40, {"accuracy": 0.1})
    assert not late.model.stop_training


@pytest.mark.slow
def test_two_stage_resnet_surrogate_trains_its_80px_stage():
    # Stage 2 trains the small ResNet9v2 on 80x80 RandAugment images: the model must be
    # built for that size (it used to fail every candidate on Keras' input check).
    fit = SurrogateFitness("resnet_rand_aug", DS, scale=0.002, threshold_scale=0.0)
    (result,) = fit.evaluate([get_genome("cross_entropy")], [1])
    assert result.status == "ok", result.info
    assert [s["model"] for s in result.info["stages"]] == ["resnet9v2_small", "resnet9v2_small"]
    assert all(s["epochs"] >= 1 for s in result.info["stages"])
    assert 0.0 <= result.fitness <= 1.0 and np.isfinite(result.fitness)


def test_rejection_says_why():
    fit = SurrogateFitness("convnet_precheck", DS, scale=0.0125)  # 10 steps, threshold 0.37
    (result,) = fit.evaluate([get_genome("cross_entropy")], [1])
    assert result.status == "rejected"
    assert result.info["reason"].startswith("max train acc 0.") and result.info["reason"].endswith(
        "< 0.37 at step 10"
    )
