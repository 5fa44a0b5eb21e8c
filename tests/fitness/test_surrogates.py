"""The papers' surrogates run end to end at smoke sizes, every stage."""

import numpy as np

from lossevo import data
from lossevo.fitness import SurrogateFitness
from lossevo.losses import get_genome

DS = data.load("synthetic", num_train=256, num_validation=64, num_test=8)


def test_two_stage_resnet_surrogate_trains_its_80px_stage():
    # Stage 2 trains the small ResNet9v2 on 80x80 RandAugment images: the model must be
    # built for that size (it used to fail every candidate on Keras' input check).
    fit = SurrogateFitness("resnet9v2_randaug", DS, scale=0.002, threshold_scale=0.0)
    (result,) = fit.evaluate([get_genome("cross_entropy")], [1])
    assert result.status == "ok", result.info
    assert [s["model"] for s in result.info["stages"]] == ["resnet9v2_small", "resnet9v2_small"]
    assert all(s["epochs"] >= 1 for s in result.info["stages"])
    assert 0.0 <= result.fitness <= 1.0 and np.isfinite(result.fitness)
