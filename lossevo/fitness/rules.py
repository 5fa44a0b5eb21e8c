"""The surrogates' stage rule (SPEC §6), one pure function for every trainer.

A stage of a surrogate fitness trains a model and reads its per-epoch history. The
authors' code (`fitness_functions.py`) decides:
- fitness = `nanmax(val_accuracy)` over the epochs that ran, so a run that turns NaN part
  way keeps its best validation accuracy;
- a stage that can reject returns None ("rejected") only when `nanmax(accuracy)`, the best
  *training* accuracy of any epoch, stays below its threshold; a run the `EpochCallback`
  stopped that once passed the threshold keeps its best validation accuracy.
lossevo adds one case the code leaves to NumPy: no finite validation accuracy at all is a
failed evaluation.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

PASS, REJECTED, FAILED = "pass", "rejected", "failed"


@dataclasses.dataclass(frozen=True)
class StageVerdict:
    """`status`: "pass", "rejected" or "failed"; `fitness`: the stage's best validation
    accuracy (None unless it passed); `reason`: why it did not pass ("" when it did);
    `nonfinite`: the loss turned NaN/Inf during the stage."""

    status: str
    fitness: float | None = None
    reason: str = ""
    nonfinite: bool = False

    @property
    def passed(self) -> bool:
        return self.status == PASS


def _finite(values: Sequence[float]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def judge_stage(
    history: Mapping[str, Sequence[float]], threshold: float, rejects: bool, steps: int
) -> StageVerdict:
    """The outcome of one surrogate stage from its history.

    Args:
      history: per-epoch `accuracy` (training), `val_accuracy` and `loss`.
      threshold: the stage's training-accuracy threshold.
      rejects: whether the stage rejects (the code's `return None`): pre-checks and
        single-stage surrogates do; the main run of a two-stage surrogate does not.
      steps: the training steps the stage ran, for the reason text.
    """
    nonfinite = any(not math.isfinite(v) for v in history.get("loss", ()) if v is not None)
    train = _finite(history.get("accuracy", ()))
    best_train = max(train) if train else 0.0
    if rejects and best_train < threshold:
        reason = f"max train acc {best_train:.3f} < {threshold:.3g} at step {steps}"
        return StageVerdict(REJECTED, None, reason, nonfinite)
    val = _finite(history.get("val_accuracy", ()))
    if not val:
        reason = "non-finite loss before any validation" if nonfinite else "no validation accuracy"
        return StageVerdict(FAILED, None, reason, nonfinite)
    return StageVerdict(PASS, max(val), "", nonfinite)
