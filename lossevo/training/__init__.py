"""Training: learning-rate schedules, the papers' recipes, `train` (one run), and one
interface that trains candidate losses one at a time or K at once (`make_trainer`)."""

from lossevo.training import recipes, schedules
from lossevo.training.build import make_optimizer, make_schedule
from lossevo.training.callbacks import StopBelow
from lossevo.training.recipes import RECIPES, Recipe
from lossevo.training.schedules import WarmupCosineDecay, WarmupLinearDecay
from lossevo.training.solo import TrainResult, train
from lossevo.training.trainer import BatchedTrainer, CandidateRun, SoloTrainer, make_trainer

__all__ = [
    "RECIPES",
    "BatchedTrainer",
    "CandidateRun",
    "Recipe",
    "SoloTrainer",
    "StopBelow",
    "TrainResult",
    "WarmupCosineDecay",
    "WarmupLinearDecay",
    "make_optimizer",
    "make_schedule",
    "make_trainer",
    "recipes",
    "schedules",
    "train",
]
