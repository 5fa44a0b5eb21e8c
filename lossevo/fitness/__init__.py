"""Fitness functions: the papers' surrogates (`SurrogateFitness`; `BatchedSurrogateFitness`
trains K candidates at once), evaluation in a recycled worker process (`IsolatedFitness`),
and a stub for tests."""

from lossevo.evolution.search import Fitness, FitnessResult
from lossevo.fitness.batched import BatchedSurrogateFitness
from lossevo.fitness.isolated import IsolatedFitness, WorkerDiedError, WorkerPool
from lossevo.fitness.stub import HashFitness
from lossevo.fitness.surrogates import SURROGATES, SurrogateFactory, SurrogateFitness, SurrogateSpec

__all__ = [
    "SURROGATES",
    "BatchedSurrogateFitness",
    "Fitness",
    "FitnessResult",
    "HashFitness",
    "IsolatedFitness",
    "SurrogateFactory",
    "SurrogateFitness",
    "SurrogateSpec",
    "WorkerDiedError",
    "WorkerPool",
]
