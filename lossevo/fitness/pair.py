"""Paper 003's two fitness modes, as floats where higher is better.

1. *Validation error* (its first four experiments): lossevo's fitness objects return
   validation accuracy, `1 - error`, so ranking by accuracy is the paper's ranking by error.
2. *Wins against CE over several datasets* (its fifth experiment, which found NGL): per
   dataset, the loss *wins* when its validation error is below CE's, and its improvement is
   `100 · (e_CE − e) / e_CE` percent. The fitness is the pair
   `(wins, mean improvement over the won datasets)`, or `(0, mean improvement over all
   datasets)` when it won none, compared lexicographically: more wins first, then the
   larger mean improvement. (The paper says that of two losses that lost everywhere "the
   one with lower mean second value" is better; lossevo reads the second value there as
   the mean deterioration, i.e. the same as a higher mean improvement.)

From a launcher (`--objective=ce_pair`) the CE baselines are trained once per run and
kept in the run directory (`lossevo.runs.baselines`); `PairFactory` builds the fitness.

`encode_pair` maps the pair to one float, `wins + 1/2 + arctan(improvement)/π`, which
lies in `(wins, wins + 1)` and orders exactly like the pair, so the engines, the journal
and the search loop keep a plain float fitness; `decode_pair` inverts it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from lossevo.search.types import Fitness, FitnessResult


def improvement_percent(error: float, ce_error: float) -> float:
    """Relative error reduction against CE, in percent (positive: better than CE)."""
    if not ce_error > 0:
        raise ValueError(f"CE's validation error must be positive, got {ce_error}")
    return 100.0 * (ce_error - error) / ce_error


def ce_comparison(errors: Sequence[float], ce_errors: Sequence[float]) -> tuple[int, float]:
    """The paper's `(wins, mean improvement)` pair of one loss over several datasets."""
    if len(errors) != len(ce_errors) or not errors:
        raise ValueError("need one CE error per dataset, and at least one dataset")
    improvements = [improvement_percent(e, c) for e, c in zip(errors, ce_errors, strict=True)]
    won = [i for e, c, i in zip(errors, ce_errors, improvements, strict=True) if e < c]
    chosen = won or improvements
    return len(won), sum(chosen) / len(chosen)


def encode_pair(wins: int, improvement: float) -> float:
    """One float that orders like `(wins, improvement)` lexicographically."""
    if wins < 0 or math.isnan(improvement):
        raise ValueError(f"invalid pair ({wins}, {improvement})")
    return wins + 0.5 + math.atan(improvement) / math.pi


def decode_pair(value: float) -> tuple[int, float]:
    """Inverse of `encode_pair` (up to float rounding of the improvement)."""
    wins = math.floor(value)
    return wins, math.tan((value - wins - 0.5) * math.pi)


class CEComparisonFitness:
    """The multi-dataset fitness: one accuracy fitness per dataset, compared with CE.

    Args:
      per_dataset: fitness objects returning validation accuracy, one per dataset (e.g.
        `SurrogateFitness` on CIFAR-10, Fashion-MNIST and CIFAR-100).
      ce_accuracies: CE's validation accuracy on each dataset under the same training
        (the baseline the paper's Algorithm B.1 requires).
      name: the fitness name recorded in the journal.

    A genome whose evaluation fails (or is rejected) on any dataset fails as a whole, with
    the first such status; `info` keeps the per-dataset accuracies and the decoded pair.
    """

    def __init__(self, per_dataset: Sequence[Fitness], ce_accuracies: Sequence[float], name: str = ""):
        if len(per_dataset) != len(ce_accuracies) or not per_dataset:
            raise ValueError("need one CE accuracy per dataset fitness, and at least one")
        self.per_dataset = list(per_dataset)
        self.ce_errors = [1.0 - float(a) for a in ce_accuracies]
        for e in self.ce_errors:
            improvement_percent(0.0, e)  # validates
        self.name = name or "ce_comparison(" + ",".join(f.name for f in self.per_dataset) + ")"

    def evaluate(self, genomes: Sequence, seeds: Sequence[int]) -> list[FitnessResult]:
        columns = [f.evaluate(genomes, seeds) for f in self.per_dataset]
        out = []
        for row in zip(*columns, strict=True):
            bad = next((r for r in row if r.status != "ok" or r.fitness is None), None)
            accuracies = [None if r.fitness is None else float(r.fitness) for r in row]
            if bad is not None or any(math.isnan(a) for a in accuracies):
                status = bad.status if bad is not None and bad.status != "ok" else "failed"
                out.append(FitnessResult(None, status, {"accuracies": accuracies}))
                continue
            wins, improvement = ce_comparison([1.0 - a for a in accuracies], self.ce_errors)
            info = {"accuracies": accuracies, "wins": wins, "improvement": improvement}
            out.append(FitnessResult(encode_pair(wins, improvement), "ok", info))
        return out


@dataclasses.dataclass(frozen=True)
class PairFactory:
    """Builds a `CEComparisonFitness` from plain values (picklable and hashable, so a worker
    process or a Ray task can build it): one fitness factory per dataset (such as
    `SurrogateFactory`) and CE's validation accuracy under each (`lossevo.runs` trains and
    caches them in the run directory)."""

    per_dataset: tuple[Any, ...]
    ce_accuracies: tuple[float, ...]

    @property
    def name(self) -> str:
        return "ce_pair(" + ",".join(f"{f.name}@{getattr(f, 'dataset', '?')}" for f in self.per_dataset) + ")"

    def time_limit(self, candidates: int) -> float:
        return sum(float(f.time_limit(candidates)) for f in self.per_dataset)

    def __call__(self) -> CEComparisonFitness:
        return CEComparisonFitness([f() for f in self.per_dataset], self.ce_accuracies, self.name)
