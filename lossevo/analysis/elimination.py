"""The papers' elimination protocols (SPEC §7) as data, and a runner.

A protocol is a list of rounds: keep the best `keep` candidates by the previous round's
score, train each `runs` times with a recipe (and phases), score by the mean. Rounds are
run by a caller-supplied `trainer(genome_or_name, round, run_index) -> accuracy`, so the
same runner serves the real recipes and tests; `round_trainer` is the real one and
`run_elimination` keeps the results in a resumable file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np


@dataclasses.dataclass(frozen=True)
class Round:
    keep: int
    recipe: str
    runs: int = 1
    num_phases: int | None = None  # progressive recipes: phases 1..num_phases
    steps: int | None = None  # override the recipe's length


PROTOCOLS: dict[str, tuple[Round, ...]] = {
    # Paper 002: best 150 → phase 1 (16k) → 50 → phases 1-2 (32k) → 25 → 1-3 (48k) → 10 → all 4 (64k).
    "002": (
        Round(150, "effnetv2s_progressive", num_phases=1, steps=16000),
        Round(50, "effnetv2s_progressive", num_phases=2, steps=32000),
        Round(25, "effnetv2s_progressive", num_phases=3, steps=48000),
        Round(10, "effnetv2s_progressive", num_phases=4, steps=64000),
    ),
    # The authors' code keeps 25/12/6/4 instead (BUILD_NOTES.md); same recipes.
    "002_code": (
        Round(25, "effnetv2s_progressive", num_phases=1, steps=16000),
        Round(12, "effnetv2s_progressive", num_phases=2, steps=32000),
        Round(6, "effnetv2s_progressive", num_phases=3, steps=48000),
        Round(4, "effnetv2s_progressive", num_phases=4, steps=64000),
    ),
    # Paper 000: best 100 → surrogate 192 epochs (96k) → best 24 → WRN-28-10 → best 12 →
    # again → best 6 by the mean of their 2 WRN runs → again → best 3 by the mean of 3.
    # Runs carry over between rounds of the same recipe; the last round trains nothing.
    "000": (
        Round(100, "resnet9v2_6m_surrogate", steps=96000),
        Round(24, "wideresnet_000"),
        Round(12, "wideresnet_000"),
        Round(6, "wideresnet_000"),
        Round(3, "wideresnet_000", runs=0),
    ),
}


@dataclasses.dataclass
class RoundResult:
    round: Round
    scores: dict[str, float]  # candidate key -> mean accuracy
    runs: dict[str, list[float]]


def eliminate(
    candidates: Mapping[str, float],
    protocol: Sequence[Round],
    trainer: Callable[[str, Round, int], float],
    done: Mapping[tuple[int, str, int], float] | None = None,
    on_result: Callable[[int, str, int, float], None] | None = None,
) -> list[RoundResult]:
    """Runs the protocol. `candidates`: key -> search fitness (the first ranking).

    `done` holds results already computed, keyed by (round index, key, run index), so an
    interrupted elimination resumes; `on_result` is called with each new result (journal).
    Paper 000's "mean of previous runs" is implemented by carrying a candidate's runs
    from round to round while the recipe stays the same.
    """
    done = dict(done or {})
    ranking = dict(candidates)
    carried: dict[str, list[float]] = {}
    out = []
    previous_recipe = None
    for i, rnd in enumerate(protocol):
        keep = sorted(ranking, key=lambda k: (-ranking[k], k))[: rnd.keep]
        runs: dict[str, list[float]] = {}
        for key in keep:
            values = []
            for r in range(rnd.runs):
                if (i, key, r) not in done:
                    done[(i, key, r)] = float(trainer(key, rnd, r))
                    if on_result is not None:
                        on_result(i, key, r, done[(i, key, r)])
                values.append(done[(i, key, r)])
            runs[key] = values
        if rnd.recipe == previous_recipe:
            runs = {k: carried.get(k, []) + v for k, v in runs.items()}
        ranking = {
            k: float(np.nanmean(v)) if np.isfinite(v).any() else float("-inf") for k, v in runs.items()
        }
        carried, previous_recipe = runs, rnd.recipe
        out.append(RoundResult(rnd, dict(ranking), runs))
    return out


def round_trainer(
    losses: Mapping[str, Any], dataset: Any, model: Any = None
) -> Callable[[str, Round, int], float]:
    """The `trainer` that `eliminate` calls, for real training: `losses[key]` (a genome, a
    registry name or a Keras loss) trained by the round's recipe (its first `num_phases`
    phases, `steps`), model `model` (None: the recipe's), seed = run index. Returns the
    best validation accuracy, NaN when training diverged."""
    from lossevo import training

    def trainer(key: str, rnd: Round, run: int) -> float:
        recipe = training.recipes.get(rnd.recipe)
        if rnd.num_phases is not None:
            recipe = dataclasses.replace(recipe, num_phases=rnd.num_phases)
        result = training.train(
            model, losses[key], dataset, recipe, steps=rnd.steps, seed=run, evaluate_test=False
        )
        return float("nan") if result.diverged else result.best_val_accuracy

    return trainer


def run_elimination(
    candidates: Mapping[str, float],
    protocol: Sequence[Round],
    trainer: Callable[[str, Round, int], float],
    results_path: str,
    log: Callable[[str], None] | None = print,
) -> list[RoundResult]:
    """`eliminate`, resumable from a JSONL results file: every result is appended to
    `results_path` as it finishes, and results already there are not trained again."""
    from lossevo.evolution.rundir import append_result, read_results

    done = {(r["round"], r["key"], r["run"]): r["accuracy"] for r in read_results(results_path)}

    def record(i: int, key: str, run: int, accuracy: float) -> None:
        append_result(results_path, {"round": i, "key": key, "run": run, "accuracy": accuracy})
        if log is not None:
            log(f"round {i + 1}: {key} run {run}: {accuracy:.4f}")

    return eliminate(candidates, protocol, trainer, done, record)
