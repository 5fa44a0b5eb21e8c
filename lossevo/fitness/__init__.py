"""Fitness functions: the papers' surrogates (`SurrogateFitness`, one candidate at a time or
K at once), evaluation in a recycled worker process (`IsolatedFitness`), paper 003's
multi-dataset pair (`pair`), and a stub for tests."""

from lossevo.fitness import pair, plans, rules, surrogates
from lossevo.fitness.isolated import IsolatedFitness, WorkerDiedError, WorkerPool
from lossevo.fitness.pair import CEComparisonFitness, PairFactory
from lossevo.fitness.plans import ALIASES, PAIRINGS, SURROGATES, SurrogateSpec, canonical_name
from lossevo.fitness.stub import HashFitness, StubFactory
from lossevo.fitness.surrogates import SurrogateFactory, SurrogateFitness
from lossevo.search.types import Fitness, FitnessResult

__all__ = [
    "ALIASES",
    "PAIRINGS",
    "SURROGATES",
    "CEComparisonFitness",
    "Fitness",
    "FitnessResult",
    "HashFitness",
    "IsolatedFitness",
    "PairFactory",
    "StubFactory",
    "SurrogateFactory",
    "SurrogateFitness",
    "SurrogateSpec",
    "WorkerDiedError",
    "WorkerPool",
    "canonical_name",
    "pair",
    "plans",
    "rules",
    "surrogates",
]
