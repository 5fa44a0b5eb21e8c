"""Runs the elimination protocols (`lossevo.analysis.protocols`), resumably.

Rounds are run by a caller-supplied `trainer(key, round, seed) -> accuracy`, so the same
runner serves the real recipes and tests; `round_trainer` is the real one (it scores a
diverged run as its protocol's `diverged` says) and `run_elimination` keeps the results
in a resumable file.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from lossevo.analysis.protocols import (
    DIVERGED,
    PROTOCOLS,
    Protocol,
    Round,
    get_protocol,
    round_recipe,
)
from lossevo.progress import Progress
from lossevo.seeds import elimination_run_seed
from lossevo.store.results import ResultsFile
from lossevo.training.solo import train

__all__ = [
    "DIVERGED", "PROTOCOLS", "Protocol", "Round", "RoundResult", "eliminate", "get_protocol", "planned_trainings",
    "round_recipe", "round_trainer", "run_elimination",
]  # fmt: skip


@dataclasses.dataclass
class RoundResult:
    round: Round
    scores: dict[str, float]  # candidate key -> mean accuracy
    runs: dict[str, list[float]]


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else float("-inf")


def _eliminate_batch(ranking, rounds, trainer, done, on_result, seed) -> list[RoundResult]:
    carried: dict[str, list[float]] = {}
    out = []
    previous = None
    for i, rnd in enumerate(rounds):
        keep = sorted(ranking, key=lambda k: (-ranking[k], k))[: rnd.keep]
        runs: dict[str, list[float]] = {}
        for key in keep:
            values = []
            for r in range(rnd.runs):
                if (i, key, r) not in done:
                    s = elimination_run_seed(seed, i, r)
                    done[(i, key, r)] = float(trainer(key, rnd, s))
                    if on_result is not None:
                        on_result(i, key, r, s, done[(i, key, r)])
                values.append(done[(i, key, r)])
            runs[key] = values
        if rnd.training == previous or rnd.runs == 0:
            runs = {k: carried.get(k, []) + v for k, v in runs.items()}
        ranking = {k: _mean(v) for k, v in runs.items()}
        carried, previous = runs, rnd.training
        out.append(RoundResult(rnd, dict(ranking), runs))
    return out


def eliminate(
    candidates: Mapping[str, float],
    protocol: Protocol,
    trainer: Callable[[str, Round, int], float],
    done: Mapping[tuple[int, str, int], float] | None = None,
    on_result: Callable[[int, str, int, int, float], None] | None = None,
    seed: int = 0,
) -> list[RoundResult]:
    """Runs the protocol. `candidates`: key -> search fitness (the first ranking).

    `trainer(key, round, seed)` trains one run and returns its accuracy (NaN: diverged).
    `done` holds results already computed, keyed by (round index, key, run index), so an
    interrupted elimination resumes; `on_result(round, key, run, seed, accuracy)` is called
    with each new result (journal). Paper 000's "mean of previous runs" carries a
    candidate's runs from round to round while the round trains the same thing (recipe,
    phases, steps); a round of 0 runs ranks by the previous round's. With several
    batches, each round's result is the union over the batches.
    """
    done = dict(done or {})
    ranked = sorted(candidates, key=lambda k: (-candidates[k], k))[: protocol.size]
    per_batch = math.ceil(len(ranked) / protocol.batches) if ranked else 0
    batches = [ranked[b * per_batch : (b + 1) * per_batch] for b in range(protocol.batches)]
    merged = [RoundResult(rnd, {}, {}) for rnd in protocol.rounds]
    for batch in batches:
        results = _eliminate_batch(
            {k: candidates[k] for k in batch}, protocol.rounds, trainer, done, on_result, seed
        )
        for total, part in zip(merged, results, strict=True):
            total.scores.update(part.scores)
            total.runs.update(part.runs)
    return merged


def round_trainer(
    losses: Mapping[str, Any],
    dataset: Any,
    model: Any = None,
    augmentation: str | None = None,
    scale: float = 1.0,
    diverged: str = "best",
    batch_size: int | None = None,
) -> Callable[[str, Round, int], float]:
    """The `trainer` that `eliminate` calls, for real training: `losses[key]` (a genome, a
    registry name or a Keras loss) trained by `round_recipe(round, augmentation, scale)`,
    model `model` (None: the recipe's), at `batch_size` (None: the recipe's). Returns the best validation accuracy; a run that
    diverged returns it too under `diverged="best"` (the authors' ranking: its best epoch
    before and including the one it diverged in) and NaN under "fail". `augmentation`
    overrides every round's technique (paper 000 eliminates each technique with its own
    augmentation)."""
    if diverged not in DIVERGED:
        raise ValueError(f"diverged must be one of {', '.join(DIVERGED)}, got {diverged!r}")

    def trainer(key: str, rnd: Round, seed: int) -> float:
        recipe = round_recipe(rnd, augmentation, scale, batch_size)
        result = train(model, losses[key], dataset, recipe, seed=seed, evaluate_test=False)
        return float("nan") if result.diverged and diverged == "fail" else result.best_val_accuracy

    return trainer


def planned_trainings(candidates: int, protocol: Protocol) -> int:
    """How many runs `protocol` trains for `candidates` starting candidates."""
    total, per_batch = 0, math.ceil(min(candidates, protocol.size) / protocol.batches)
    for b in range(protocol.batches):
        left = min(per_batch, max(0, min(candidates, protocol.size) - b * per_batch))
        for rnd in protocol.rounds:
            left = min(left, rnd.keep)
            total += left * rnd.runs
    return total


def run_elimination(
    candidates: Mapping[str, float],
    protocol: Protocol,
    trainer: Callable[[str, Round, int], float],
    results_path: str,
    log: bool | Callable[[str], None] | None = True,
    seed: int = 0,
    augmentation: str | None = None,
) -> list[RoundResult]:
    """`eliminate`, resumable from a JSONL results file: every result is appended to
    `results_path` as it finishes, and results already there are not trained again.

    `log`: True prints a line per result (with a progress bar and the time left on a
    terminal), a callable gets the lines, None is silent. A results file of another
    protocol, seed or augmentation is refused (`RunDirectoryError`, naming the field).
    """
    identity = {"protocol": protocol.name, "elimination_seed": seed, "augmentation": augmentation,
                "scale": protocol.scale, "batch_size": protocol.batch_size}  # fmt: skip
    results = ResultsFile(results_path, identity, what="elimination", now="command",
                          advice="use another output directory")  # fmt: skip
    done = results.done(("round", "key", "run"), "accuracy")
    progress = Progress(planned_trainings(len(candidates), protocol), "elimination", initial=len(done),
                        bar=None if log is True else False)  # fmt: skip

    def record(i: int, key: str, run: int, run_seed: int, accuracy: float) -> None:
        results.append({"round": i, "key": key, "run": run, "seed": run_seed, "accuracy": accuracy})
        progress.step(f"round {i + 1}: {key} run {run} (seed {run_seed}): {accuracy:.4f}", log)

    with progress:
        return eliminate(candidates, protocol, trainer, done, record, seed)
