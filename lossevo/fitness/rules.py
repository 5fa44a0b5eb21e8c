"""The surrogates' stage rule (docs/reference.md §6), one pure function for every trainer.

A stage of a surrogate fitness trains a model and reads its per-epoch history. The
authors' code (`fitness_functions.py`) decides:
- fitness = `nanmax(val_accuracy)` over the epochs that ran, so a run that turns NaN part
  way keeps its best validation accuracy;
- a stage that can reject returns None ("rejected") only when `nanmax(accuracy)`, the best
  *training* accuracy of any epoch, stays below its threshold; a run the `EpochCallback`
  stopped that once passed the threshold keeps its best validation accuracy.
lossevo adds one case the code leaves to NumPy: no finite validation accuracy at all is a
failed evaluation. Paper 003's stages read the trained model's (final) validation accuracy
instead, and average it over their runs (`mean_verdict`); a run whose loss went NaN/Inf
fails there, whatever accuracy Keras reports for it (after a NaN epoch the softmax is all
NaN, argmax picks class 0, and the reported accuracy is a finite ~1/classes).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

PASS, REJECTED, FAILED = "pass", "rejected", "failed"
MEASURES = ("best", "final")


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
    history: Mapping[str, Sequence[float]], threshold: float, rejects: bool, steps: int, measure: str = "best"
) -> StageVerdict:
    """The outcome of one surrogate stage from its history.

    Args:
      history: per-epoch `accuracy` (training), `val_accuracy` and `loss`.
      threshold: the stage's training-accuracy threshold.
      rejects: whether the stage rejects (the code's `return None`): pre-checks and
        single-stage surrogates do; the main run of a two-stage surrogate does not.
      steps: the training steps the stage ran, for the reason text.
      measure: "best" (the code's `nanmax` of the validation accuracy) or "final" (the
        trained model's, paper 003: the last epoch's, which must be finite, from a run
        whose loss stayed finite).
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, got {measure!r}")
    nonfinite = any(not math.isfinite(v) for v in history.get("loss", ()) if v is not None)
    train = _finite(history.get("accuracy", ()))
    best_train = max(train) if train else 0.0
    if rejects and best_train < threshold:
        reason = f"max train acc {best_train:.3f} < {threshold:.3g} at step {steps}"
        if nonfinite:  # the cause first: the loss went NaN/Inf
            reason = f"non-finite loss ({reason})"
        return StageVerdict(REJECTED, None, reason, nonfinite)
    if measure == "final":
        last = list(history.get("val_accuracy", ()))[-1:]
        if nonfinite or not _finite(last):
            reason = "non-finite loss" if nonfinite else "no finite final validation accuracy"
            return StageVerdict(FAILED, None, reason, nonfinite)
        return StageVerdict(PASS, float(last[0]), "", nonfinite)
    val = _finite(history.get("val_accuracy", ()))
    if not val:
        reason = "non-finite loss before any validation" if nonfinite else "no validation accuracy"
        return StageVerdict(FAILED, None, reason, nonfinite)
    return StageVerdict(PASS, max(val), "", nonfinite)


def mean_verdict(verdicts: Sequence[StageVerdict]) -> StageVerdict:
    """Several runs of a stage as one (paper 003's averaged runs): the first run that did
    not pass, else the mean of the runs' fitness."""
    failed = next((v for v in verdicts if not v.passed), None)
    if failed is not None:
        return failed
    fitness = sum(float(v.fitness) for v in verdicts) / len(verdicts)
    return StageVerdict(PASS, fitness, "", any(v.nonfinite for v in verdicts))
