"""Evolution: the regularized-evolution engine, its journal, and the search loop."""

from lossevo.evolution.engine import Candidate, Member, RegularizedEvolution
from lossevo.evolution.journal import CorruptJournalError, Journal, read_journal
from lossevo.evolution.search import FitnessResult, SearchConfig, run_search

__all__ = [
    "Candidate",
    "CorruptJournalError",
    "FitnessResult",
    "Journal",
    "Member",
    "RegularizedEvolution",
    "SearchConfig",
    "read_journal",
    "run_search",
]
