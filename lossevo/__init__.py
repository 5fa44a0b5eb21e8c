"""lossevo: neural loss function search for image classification (Morgan & Hougen).

Data flow, one subpackage each: `genome` (search space, checks, mutation) → `losses`
(genomes as Keras losses, the papers' named losses) → `figures`.
"""

from lossevo import genome, losses
from lossevo.genome import Genome, GenomeError
from lossevo.losses import EvolvedLoss, evolved_loss

__version__ = "0.1.0"

__all__ = ["EvolvedLoss", "Genome", "GenomeError", "evolved_loss", "genome", "losses"]
