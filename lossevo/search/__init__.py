"""The search: engines (regularized evolution, docs/reference.md §5; genetic programming, paper 003) on
one ask/tell base, the journal and its replay, and one loop with local, thread and Ray
executors.

    from lossevo.search import SearchConfig, run_search
    engine = run_search("runs/mine", SearchConfig(...), initial_fitness, fitness)

`types` holds what the parts share (candidates, results, the fitness protocol, errors).
"""

from lossevo.search.config import SearchConfig, make_engine
from lossevo.search.engine import Engine
from lossevo.search.executors import Executor, LocalExecutor, ThreadExecutor
from lossevo.search.gp import GeneticProgramming
from lossevo.search.journal import Journal, read_journal
from lossevo.search.loop import run_search
from lossevo.search.regularized import RegularizedEvolution
from lossevo.search.replay import replay
from lossevo.search.types import (
    Candidate,
    EvaluationError,
    EvaluationLostError,
    Fitness,
    FitnessResult,
    Member,
)
from lossevo.store.errors import CorruptJournalError, RunDirectoryBusy, RunDirectoryError
from lossevo.store.lock import RunLock

__all__ = [
    "Candidate",
    "CorruptJournalError",
    "Engine",
    "EvaluationError",
    "EvaluationLostError",
    "Executor",
    "Fitness",
    "FitnessResult",
    "GeneticProgramming",
    "Journal",
    "LocalExecutor",
    "Member",
    "RegularizedEvolution",
    "RunDirectoryBusy",
    "RunDirectoryError",
    "RunLock",
    "SearchConfig",
    "ThreadExecutor",
    "make_engine",
    "read_journal",
    "replay",
    "run_search",
]
