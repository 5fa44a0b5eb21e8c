"""Fitness functions: the papers' surrogates (`SurrogateFitness`) and a stub for tests."""

from lossevo.evolution.search import Fitness, FitnessResult
from lossevo.fitness.stub import HashFitness
from lossevo.fitness.surrogates import SURROGATES, SurrogateFitness, SurrogateSpec

__all__ = ["SURROGATES", "Fitness", "FitnessResult", "HashFitness", "SurrogateFitness", "SurrogateSpec"]
