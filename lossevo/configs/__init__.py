"""Named configurations (big_vision's `get_config`): `get("paper_002")` returns a fresh
`SearchSetup` to run or override. The launchers' presets and the notebooks use these.

| name | what |
|---|---|
| `paper_002` | 1,000 → 100, 2,000 iterations; convnet_standard → effnet_rand_aug; CIFAR-10 |
| `code_main` | the authors' code's `main`: resnet_standard → resnet_rand_aug, 4,000 iterations |
| `paper_003` | expression-tree GP, n = 16, T = 100, paper 003's fifth experiment (found NGL): InceptionV3 on CIFAR-10, Fashion-MNIST, CIFAR-100, (wins against CE, mean improvement) |
| `paper_003_exp1` … `exp4` | its other experiments: one dataset, from scratch or fine-tuned, 1 or 3 runs |
| `small` | CPU smoke run of paper 002's search on the offline synthetic data |
| `small_tree` | CPU smoke run of paper 003's GP (InceptionV3 at 75x75) on the synthetic data |
"""

from lossevo.configs.searches import SEARCHES
from lossevo.configs.setup import SearchSetup


def names() -> list[str]:
    return list(SEARCHES)


def get(name: str) -> SearchSetup:
    """A fresh copy of the named setup; an unknown name lists the known ones."""
    if name not in SEARCHES:
        raise ValueError(f"unknown configuration {name!r}; known: {', '.join(SEARCHES)}")
    return SEARCHES[name]()


DEFAULTS = {  # (representation, small) -> the setup a command without a name runs
    ("graph", False): "paper_002",
    ("tree", False): "paper_003",
    ("graph", True): "small",
    ("tree", True): "small_tree",
}


def resolve(name: str | None = None, small: bool = False, representation: str | None = None) -> SearchSetup:
    """The setup a command names: `name`, or else the default of `representation` (default
    "graph") at full or smoke size (`DEFAULTS`). A representation that is not the named
    setup's is an error."""
    if name is None:
        name = DEFAULTS.get((representation or "graph", bool(small)))
        if name is None:
            raise ValueError(f"no default setup for representation {representation!r}; give a setup by name")
    setup = get(name)
    if representation is not None and setup.search.representation != representation:
        raise ValueError(
            f"representation {representation!r} contradicts the setup {name!r}, which searches "
            f"{setup.search.representation} genomes"
        )
    return setup


__all__ = ["DEFAULTS", "SEARCHES", "SearchSetup", "get", "names", "resolve"]
