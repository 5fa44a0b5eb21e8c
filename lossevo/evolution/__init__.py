"""Evolution: the regularized-evolution engine, its journal, and the search loop.

The tree GP engine, `GeneticProgramming`, lives in `lossevo.gp` and is importable from
here too (loaded on first use: `lossevo.gp` itself builds on this package).
"""

from lossevo.evolution.engine import Candidate, Member, RegularizedEvolution
from lossevo.evolution.journal import CorruptJournalError, Journal, read_journal
from lossevo.evolution.search import FitnessResult, SearchConfig, run_search

__all__ = [
    "Candidate",
    "CorruptJournalError",
    "FitnessResult",
    "GeneticProgramming",
    "Journal",
    "Member",
    "RegularizedEvolution",
    "SearchConfig",
    "read_journal",
    "run_search",
]


def __getattr__(name: str):
    if name == "GeneticProgramming":
        from lossevo.gp.engine import GeneticProgramming

        return GeneticProgramming
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
