"""lossevo: neural loss function search for image classification (Morgan & Hougen).

Data flow, one subpackage each: `genome` (search space, checks, mutation; `gp` for
expression trees) → `losses` (genomes as Keras losses, the papers' named losses) → `data`,
`models`, `training` → `fitness` → `evolution` (engines, journal, search loops) →
`analysis`, `figures`.

Importing `lossevo` registers every Keras-serialisable piece (losses, `VariableDropout`,
the LR schedules), so `keras.models.load_model` reads a model trained with lossevo.
"""

from lossevo import genome, losses, models, training
from lossevo.genome import Genome, GenomeError
from lossevo.losses import EvolvedLoss, evolved_loss

__version__ = "0.1.0"

__all__ = ["EvolvedLoss", "Genome", "GenomeError", "evolved_loss", "genome", "losses", "models", "training"]
