"""Data: dataset sources, augmentation, and the training pipelines built from them."""

from lossevo.data import augment, progressive, synthetic
from lossevo.data.pipelines import AugmentConfig, make_pipeline, normalize, technique_names
from lossevo.data.progressive import PHASE_TABLES, Phase, ProgressiveSchedule, phase_pipeline
from lossevo.data.sources import DatasetUnavailableError, ImageDataset, load
from lossevo.data.spec import DataSpec
from lossevo.data.splits import RandomSplits

__all__ = [
    "PHASE_TABLES",
    "AugmentConfig",
    "DataSpec",
    "DatasetUnavailableError",
    "ImageDataset",
    "Phase",
    "ProgressiveSchedule",
    "RandomSplits",
    "augment",
    "load",
    "make_pipeline",
    "normalize",
    "phase_pipeline",
    "progressive",
    "synthetic",
    "technique_names",
]
