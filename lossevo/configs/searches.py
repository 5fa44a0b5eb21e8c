"""The named search setups: the papers' configurations and the CPU smoke runs.

Each is a function returning a `SearchSetup` (big_vision's `get_config`); launchers, the
notebooks and library callers start from one and override what they change.
"""

from __future__ import annotations

from lossevo.configs.setup import SearchSetup
from lossevo.data.spec import DataSpec, synthetic
from lossevo.search.config import SearchConfig
from lossevo.training.smoke import SMOKE_BATCH, SMOKE_SCALE


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


def _p003(fitness: str, data: str, description: str, **kwargs) -> SearchSetup:
    search = SearchConfig(representation="tree", initial_fitness=fitness, fitness=fitness)  # n = 16, T = 100
    return SearchSetup(search, DataSpec(data), description=description, **kwargs)


def paper_003() -> SearchSetup:
    """Paper 003's GP (n = 16, T = 100) as its fifth experiment ran it, the one that found
    NGL: InceptionV3 from scratch on CIFAR-10, Fashion-MNIST and CIFAR-100, fitness = (wins
    against CE, mean improvement)."""
    return _p003("inception_003", "cifar10", paper_003.__doc__.split("\n")[0], objective="ce_pair",
                 pair_data=(DataSpec("fashion_mnist"), DataSpec("cifar100")))  # fmt: skip


def paper_003_exp1() -> SearchSetup:
    """Paper 003's first experiment: InceptionV3 from scratch on CIFAR-10, one run."""
    return _p003("inception_003", "cifar10", paper_003_exp1.__doc__)


def paper_003_exp2() -> SearchSetup:
    """Paper 003's second experiment: InceptionV3 from scratch on Fashion-MNIST, 3 runs."""
    return _p003("inception_003_x3", "fashion_mnist", paper_003_exp2.__doc__)


def paper_003_exp3() -> SearchSetup:
    """Paper 003's third experiment: ImageNet InceptionV3 fine-tuned on CIFAR-10, one run."""
    return _p003("inception_003_finetune", "cifar10", paper_003_exp3.__doc__)


def paper_003_exp4() -> SearchSetup:
    """Paper 003's fourth experiment: ImageNet InceptionV3 fine-tuned on Fashion-MNIST, 3 runs."""
    return _p003("inception_003_finetune_x3", "fashion_mnist", paper_003_exp4.__doc__)


def small() -> SearchSetup:
    """A CPU smoke run of paper 002's first stage (minutes): convnet_standard for both stages
    (the rescore stage comes from the fitness cache) at 10% of its steps and batch 32, 12
    random genomes, population 4, 5 iterations, the offline synthetic dataset."""
    search = SearchConfig(population_size=4, initial_size=12, tournament_size=3, iterations=5,
                          initial_fitness="convnet_standard", fitness="convnet_standard",
                          space={"flip_rule": "code"})  # fmt: skip
    return SearchSetup(search, synthetic(2000, 1000, 10), scale=SMOKE_SCALE, threshold_scale=0.5,
                       surrogate_batch=SMOKE_BATCH,
                       description=small.__doc__.split("\n")[0])  # fmt: skip


def small_tree() -> SearchSetup:
    """A CPU smoke run of paper 003's GP: n = 4, T = 1, paper 003's fitness rules on the
    ConvNet surrogate (`convnet_003_small`) at smoke sizes, on the offline synthetic data
    (seconds per candidate; the InceptionV3 form, `inception_003_small`, takes about a minute
    per candidate and learns nothing in a smoke run's steps)."""
    search = SearchConfig(population_size=4, initial_size=4, tournament_size=3, iterations=1,
                          representation="tree", initial_fitness="convnet_003_small",
                          fitness="convnet_003_small")  # fmt: skip
    return SearchSetup(search, synthetic(2000, 500, 10), scale=SMOKE_SCALE, surrogate_batch=SMOKE_BATCH,
                       description=small_tree.__doc__.split("\n")[0])  # fmt: skip


SEARCHES = {
    f.__name__: f
    for f in (paper_002, code_main, paper_003, paper_003_exp1, paper_003_exp2, paper_003_exp3, paper_003_exp4,
              small, small_tree)
}  # fmt: skip
