"""Training: learning-rate schedules, the papers' recipes, and `train`."""

from lossevo.training import recipes, schedules
from lossevo.training.recipes import RECIPES, Recipe
from lossevo.training.schedules import WarmupCosineDecay, WarmupLinearDecay
from lossevo.training.train import TrainResult, make_optimizer, make_schedule, train

__all__ = [
    "RECIPES",
    "Recipe",
    "TrainResult",
    "WarmupCosineDecay",
    "WarmupLinearDecay",
    "make_optimizer",
    "make_schedule",
    "recipes",
    "schedules",
    "train",
]
