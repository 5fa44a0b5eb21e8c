"""Deprecated: the expression trees moved to `lossevo.space.tree`, the engine to
`lossevo.search.GeneticProgramming`, the multi-dataset fitness to `lossevo.fitness.pair`."""

from lossevo._moved import resolver

_TREE = "lossevo.space.tree"
_MOVED = {
    **dict.fromkeys(["DEFAULT_LIMITS", "EPSILON", "OPS", "Limits", "Rates", "TreeCheck", "TreeGenome", "check",
                     "make_child", "mutate_tree", "one_point_mutation", "random_tree", "sample_trees",
                     "subtree_crossover", "subtree_mutation", "to_latex", "to_paper", "to_sympy", "to_text"], _TREE),
    **dict.fromkeys(["CEComparisonFitness", "ce_comparison", "decode_pair", "encode_pair"], "lossevo.fitness.pair"),
    "GeneticProgramming": "lossevo.search",
    **dict.fromkeys(["as_genome", "genome_from_dict", "genome_from_json"], "lossevo.space"),
}  # fmt: skip
__getattr__ = resolver(__name__, _MOVED)
