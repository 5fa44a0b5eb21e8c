"""Genetic programming over expression trees: the search that found the Next Generation Loss.

Data flow, one concern per module: `ops` (the operator table) → `tree` (the immutable
`TreeGenome` and its JSON) → `evaluate` (TF and NumPy) → `validity` (limits and the value-range
check) → `growth` (random trees) → `variation` (crossover, mutations) → `engine` (the ask/tell
`GeneticProgramming`). `formula` renders trees; `kinds` decodes and renders either genome
kind; `fitness_modes` holds the paper's multi-dataset fitness.

    >>> import numpy as np, lossevo
    >>> engine = lossevo.gp.GeneticProgramming(np.random.default_rng(0), generations=5)
    >>> loss = lossevo.EvolvedLoss(engine.ask(1)[0].genome)   # a tree is a Keras loss too
"""

from lossevo.gp.engine import GeneticProgramming
from lossevo.gp.fitness_modes import CEComparisonFitness, ce_comparison, decode_pair, encode_pair
from lossevo.gp.formula import to_latex, to_paper, to_sympy, to_text
from lossevo.gp.growth import random_tree, sample_trees
from lossevo.gp.kinds import AnyGenome, as_genome, genome_from_dict, genome_from_json
from lossevo.gp.ops import EPSILON, OPS
from lossevo.gp.tree import TreeGenome
from lossevo.gp.validity import DEFAULT_LIMITS, Limits, TreeCheck, check
from lossevo.gp.variation import (
    Rates,
    make_child,
    mutate_tree,
    one_point_mutation,
    subtree_crossover,
    subtree_mutation,
)

__all__ = [
    "DEFAULT_LIMITS",
    "EPSILON",
    "OPS",
    "AnyGenome",
    "CEComparisonFitness",
    "GeneticProgramming",
    "Limits",
    "Rates",
    "TreeCheck",
    "TreeGenome",
    "as_genome",
    "ce_comparison",
    "check",
    "decode_pair",
    "encode_pair",
    "genome_from_dict",
    "genome_from_json",
    "make_child",
    "mutate_tree",
    "one_point_mutation",
    "random_tree",
    "sample_trees",
    "subtree_crossover",
    "subtree_mutation",
    "to_latex",
    "to_paper",
    "to_sympy",
    "to_text",
]
