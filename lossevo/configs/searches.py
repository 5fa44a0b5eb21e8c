"""The named search setups: the papers' configurations and the CPU smoke runs.

Each is a function returning a `SearchSetup` (big_vision's `get_config`); launchers, the
notebooks and library callers start from one and override what they change.
"""

from __future__ import annotations

from lossevo.configs.setup import SearchSetup
from lossevo.data.spec import DataSpec, synthetic
from lossevo.search.config import SearchConfig


def paper_002() -> SearchSetup:
    """Paper 002 §3.10: 1,000 random genomes scored by the ConvNet surrogate, the best 100
    rescored by the EfficientNetV2-S RandAugment surrogate, 2,000 iterations, CIFAR-10."""
    search = SearchConfig(population_size=100, initial_size=1000, tournament_size=20, iterations=2000,
                          initial_fitness="convnet_standard", fitness="effnet_rand_aug",
                          space={"flip_rule": "code"})  # fmt: skip
    return SearchSetup(search, DataSpec("cifar10"), description=paper_002.__doc__.split("\n")[0])


def code_main() -> SearchSetup:
    """The authors' code's `main`: resnet_standard, then resnet_rand_aug, 8 x 500 iterations."""
    search = SearchConfig(population_size=100, initial_size=1000, tournament_size=20, iterations=4000,
                          initial_fitness="resnet_standard", fitness="resnet_rand_aug",
                          space={"flip_rule": "code"})  # fmt: skip
    return SearchSetup(search, DataSpec("cifar10"), description=code_main.__doc__)


def paper_003() -> SearchSetup:
    """Paper 003's genetic programming over expression trees: n = 16, T = 100, CIFAR-10."""
    search = SearchConfig(
        representation="tree", initial_fitness="convnet_standard", fitness="convnet_standard"
    )  # n = 16, T = 100: the tree representation's budget
    return SearchSetup(search, DataSpec("cifar10"), description=paper_003.__doc__)


def small() -> SearchSetup:
    """A CPU smoke run of paper 002's first stage (minutes): convnet_standard for both stages
    (the rescore stage comes from the fitness cache) at 10% of its steps and batch 32, 12
    random genomes, population 4, 5 iterations, the offline synthetic dataset."""
    search = SearchConfig(population_size=4, initial_size=12, tournament_size=3, iterations=5,
                          initial_fitness="convnet_standard", fitness="convnet_standard",
                          space={"flip_rule": "code"})  # fmt: skip
    return SearchSetup(search, synthetic(2000, 1000, 10), scale=0.1, threshold_scale=0.5, surrogate_batch=32,
                       description=small.__doc__.split("\n")[0])  # fmt: skip


def small_tree() -> SearchSetup:
    """A CPU smoke run of the tree search: n = 4, T = 3, the ConvNet surrogate at 10%."""
    search = SearchConfig(population_size=4, initial_size=4, tournament_size=3, iterations=3,
                          representation="tree", initial_fitness="convnet_standard",
                          fitness="convnet_standard")  # fmt: skip
    return SearchSetup(search, synthetic(2000, 1000, 10), scale=0.1, threshold_scale=0.5, surrogate_batch=32,
                       description=small_tree.__doc__)  # fmt: skip


SEARCHES = {f.__name__: f for f in (paper_002, code_main, paper_003, small, small_tree)}
