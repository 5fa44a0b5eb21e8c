"""Fitness functions: the papers' surrogates (`SurrogateFitness`; `BatchedSurrogateFitness`
trains K candidates at once), evaluation in a recycled worker process (`IsolatedFitness`),
and a stub for tests."""

from lossevo.evolution.search import Fitness, FitnessResult
from lossevo.fitness import rules, surrogates
from lossevo.fitness.batched import BatchedSurrogateFitness
from lossevo.fitness.isolated import IsolatedFitness, WorkerDiedError, WorkerPool
from lossevo.fitness.stub import HashFitness, StubFactory
from lossevo.fitness.surrogates import (
    ALIASES,
    PAIRINGS,
    SURROGATES,
    SurrogateFactory,
    SurrogateFitness,
    SurrogateSpec,
    canonical_name,
)

__all__ = [
    "ALIASES",
    "PAIRINGS",
    "SURROGATES",
    "BatchedSurrogateFitness",
    "Fitness",
    "FitnessResult",
    "HashFitness",
    "IsolatedFitness",
    "StubFactory",
    "SurrogateFactory",
    "SurrogateFitness",
    "SurrogateSpec",
    "WorkerDiedError",
    "WorkerPool",
    "canonical_name",
    "rules",
    "surrogates",
]
