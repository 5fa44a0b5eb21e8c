"""Deprecated: the graph genomes moved to `lossevo.space.graph` (any kind: `lossevo.space`)."""

from lossevo._moved import resolver

_GRAPH = "lossevo.space.graph"
_MOVED = {
    **dict.fromkeys(["BINARY_OPS", "EPSILON", "SLOT_NAMES", "UNARY_OPS", "CheckResult", "Genome", "GenomeError",
                     "Node", "binary_phenotype", "check", "make", "to_latex", "to_paper", "to_sympy", "to_text"],
                    _GRAPH),
    **{m: f"{_GRAPH}.{m}:" for m in ("formula", "legacy", "mutation", "ops", "phenotype", "raw", "sampling")},
    "genome_from_dict": "lossevo.space", "genome_from_json": "lossevo.space",
}  # fmt: skip
__getattr__ = resolver(__name__, _MOVED)
