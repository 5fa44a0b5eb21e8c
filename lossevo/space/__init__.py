"""Loss genomes: the protocol every representation implements, the registry by kind, and
the two representations of the papers: hidden-state graphs (`space.graph`, papers 000/002)
and expression trees (`space.tree`, paper 003).

    genome = lossevo.space.genome_from_json(text)     # any registered kind
    genome.to_paper(), genome.per_example(y, y_hat)   # the protocol

A third representation registers a `Representation` (its kind, `from_dict`, its search
space and engine) and works everywhere: losses, training, fitness, the search, journals.
"""

from lossevo.space.errors import GenomeError
from lossevo.space.graph.genome import Genome as GraphGenome
from lossevo.space.graph.space import GraphSpace
from lossevo.space.protocol import Genome, SearchSpace
from lossevo.space.registry import (
    Representation,
    as_genome,
    genome_from_dict,
    genome_from_json,
    get,
    kinds,
    register,
    unregister,
)
from lossevo.space.tree.genome import TreeGenome
from lossevo.space.tree.space import TreeSpace

register(Representation(
    "graph", GraphGenome.from_dict, lambda config: GraphSpace.from_options(config.space, config.max_mutation_tries),
    engine="regularized", batched=True, description="hidden-state graphs (papers 000/002)",
    budget=(("population_size", 100), ("initial_size", 1000), ("iterations", 2000)),  # paper 002
))  # fmt: skip
register(Representation(
    "tree", TreeGenome.from_dict, lambda config: TreeSpace.from_options(config.space), engine="gp",
    description="expression trees (paper 003)",
    budget=(("population_size", 16), ("initial_size", 16), ("iterations", 100)),  # paper 003: n, n, T
))  # fmt: skip

__all__ = [
    "Genome",
    "GenomeError",
    "GraphGenome",
    "GraphSpace",
    "Representation",
    "SearchSpace",
    "TreeGenome",
    "TreeSpace",
    "as_genome",
    "genome_from_dict",
    "genome_from_json",
    "get",
    "kinds",
    "register",
    "unregister",
]
