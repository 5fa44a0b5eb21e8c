"""lossevo: neural loss function search for image classification (Morgan & Hougen).

Data flow, one subpackage each: `space` (genome representations: `graph`, `tree`; the
protocol and registry) → `losses` (genomes as Keras losses, the papers' named losses) →
`data`, `models`, `training` → `fitness` → `search` (engines, journal, loop, executors) →
`runs` (run directories end to end) and `configs` (named setups) → `analysis`, `figures`.

Importing `lossevo` registers every Keras-serialisable piece (losses, `VariableDropout`,
the LR schedules), so `keras.models.load_model` reads a model trained with lossevo.
"""

from lossevo import _quiet  # noqa: F401, I001  (first: TensorFlow's start-up lines, LOSSEVO_QUIET_TF)
from lossevo import losses, models, space, training
from lossevo.losses import EvolvedLoss, evolved_loss
from lossevo.space import GenomeError
from lossevo.space.graph import Genome
from lossevo.version import __version__

__all__ = ["EvolvedLoss", "Genome", "GenomeError", "__version__", "evolved_loss", "losses", "models", "space",
           "training"]  # fmt: skip
