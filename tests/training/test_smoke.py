"""Smoke runs learn: at the sizes every `--small` launcher shares (`lossevo.training.smoke`),
cross-entropy reaches at least twice chance on the offline synthetic data, on each path a
launcher trains by."""

import pytest

from lossevo import configs, data, fitness, losses
from lossevo.analysis import elimination
from lossevo.analysis.protocols import smoke_protocol
from lossevo.training import recipes
from lossevo.training.smoke import SMOKE_BATCH, SMOKE_SCALE, smoke_recipe, smoke_steps
from lossevo.training.solo import train

CHANCE = 0.1  # ten classes


def test_smoke_sizes_are_one_rule():
    recipe = smoke_recipe("convnet_standard")
    assert (recipe.steps, recipe.batch_size, recipe.warmup_steps) == (800, 32, 80)
    assert smoke_steps(recipes.get("convnet_standard")) == 800
    protocol = smoke_protocol()
    assert (protocol.scale, protocol.batch_size, [r.keep for r in protocol.rounds]) == (
        SMOKE_SCALE,
        SMOKE_BATCH,
        [4, 2],
    )
    assert (
        elimination.round_recipe(protocol.rounds[0], None, protocol.scale, protocol.batch_size).steps == 800
    )
    for name in ("small", "small_tree"):
        setup = configs.get(name)
        assert (setup.scale, setup.surrogate_batch) == (SMOKE_SCALE, SMOKE_BATCH)


@pytest.fixture(scope="module")
def synthetic():
    return data.load("synthetic", num_train=2000, num_validation=500, num_test=500)


@pytest.mark.slow
def test_cross_entropy_learns_at_smoke_sizes_on_every_launchers_path(synthetic):
    ce = losses.get_genome("cross_entropy")
    # evaluate --small: `train` of the smoke recipe (the holdout protocol's test accuracy)
    result = train("convnet", ce, synthetic, smoke_recipe("convnet_standard"), seed=0)
    assert result.test_accuracy >= 2 * CHANCE
    # eliminate --small: a round of the smoke protocol
    protocol = smoke_protocol()
    trainer = elimination.round_trainer({"ce": ce}, synthetic, "convnet", scale=protocol.scale,
                                        batch_size=protocol.batch_size)  # fmt: skip
    assert trainer("ce", protocol.rounds[0], 1) >= 2 * CHANCE
    # evolve --small and correlate --small: the ConvNet surrogate (correlate without early stopping)
    surrogate = fitness.SurrogateFitness("convnet_standard", synthetic, SMOKE_SCALE, threshold_scale=0.0,
                                         batch_size=SMOKE_BATCH)  # fmt: skip
    assert surrogate.evaluate_one(ce, seed=2).fitness >= 2 * CHANCE
    # the tree search's --small: paper 003's rules on the ConvNet (a fresh split, final accuracy)
    tree = configs.get("small_tree")
    gp = fitness.SurrogateFitness(tree.search.fitness, synthetic, tree.scale, batch_size=tree.surrogate_batch)
    assert gp.evaluate_one(ce, seed=3).fitness >= 2 * CHANCE
