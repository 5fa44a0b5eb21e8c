"""The elimination protocols on a search run's best losses, as one resumable runner: what
`experiments/eliminate.py` runs (docs/evaluating.md).

    plan = EliminationPlan.of_run("runs/search", "002")
    lines = eliminate_run(plan, lossevo.data.DataSpec("cifar10"), "runs/elim")

The protocol (`analysis.get_protocol`; `small`: its smoke form, ConvNet rounds keeping 4
then 2) picks the run's best `protocol.size` losses (`best_candidates`) and trains them
round by round. Each run is appended to `elimination.jsonl` as it finishes; the last
round's ranking, with genomes, goes to `survivors.jsonl`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from lossevo.analysis.elimination import Protocol, get_protocol, round_trainer, run_elimination
from lossevo.analysis.protocols import smoke_protocol
from lossevo.data.pipelines import technique_names
from lossevo.data.spec import DataSpec
from lossevo.runs.rundir import best_candidates
from lossevo.store.lock import RunLock


@dataclasses.dataclass(frozen=True)
class EliminationPlan:
    """What an elimination trains: the `protocol`, the `pool` of losses (hash -> (genome,
    the search's fitness)), the round `model` and `augmentation` overrides, the `seed`."""

    protocol: Protocol
    pool: dict[str, tuple[Any, float]]
    model: str | None = None
    augmentation: str | None = None
    seed: int = 0

    @classmethod
    def of_run(cls, run_dir: str, protocol: str, *, model: str | None = None, augmentation: str | None = None,
               seed: int = 0, small: bool = False, scale: float | None = None) -> EliminationPlan:  # fmt: skip
        """The plan for `run_dir`'s best losses; raises `ValueError` for a bad option or a
        run with no evaluated loss yet (before anything is trained or written)."""
        chosen = get_protocol(protocol)
        if small:  # smoke-size ConvNet rounds: 4 candidates, then the best 2 twice
            chosen, model = smoke_protocol(chosen.diverged), model or "convnet"
        if scale is not None:
            chosen = chosen.scaled(scale)
        if augmentation is not None and augmentation not in technique_names():
            raise ValueError(f"--augmentation {augmentation!r}: known are {', '.join(technique_names())}")
        pool = best_candidates(run_dir, chosen.size)
        if not pool:
            raise ValueError(f"--run_dir {run_dir}: no evaluated losses yet")
        return cls(chosen, pool, model, augmentation, seed)


def eliminate_run(plan: EliminationPlan, data: DataSpec, workdir: str) -> list[str]:
    """Runs (or resumes) `plan` on `data` in `workdir` (locked); returns the report's lines."""
    chosen, pool, augmentation = plan.protocol, plan.pool, plan.augmentation
    with RunLock(workdir):
        trainer = round_trainer({k: g for k, (g, _) in pool.items()}, data.load(), plan.model, augmentation,
                                scale=chosen.scale, diverged=chosen.diverged, batch_size=chosen.batch_size)  # fmt: skip
        rounds = run_elimination({k: f for k, (_, f) in pool.items()}, chosen, trainer,
                                 os.path.join(workdir, "elimination.jsonl"), seed=plan.seed,
                                 augmentation=augmentation)  # fmt: skip
        final, runs = rounds[-1].scores, rounds[-1].runs
        lines = [f"survivors after {len(rounds)} rounds, best first (score: the mean of the runs' best "
                 "validation accuracy, 0-1):", f"{'rank':>4}  {'score':>6}  {'runs':>4}  {'hash':16}  formula"]  # fmt: skip
        with open(os.path.join(workdir, "survivors.jsonl"), "w") as f:
            for rank, key in enumerate(sorted(final, key=lambda k: -final[k]), start=1):
                g = pool[key][0]
                f.write(json.dumps({"hash": key, "score": final[key], "runs": runs[key], "formula": g.to_paper(),
                                    "genome": g.to_dict()}) + "\n")  # fmt: skip
                lines.append(f"{rank:>4}  {final[key]:6.4f}  {len(runs[key]):>4}  {key:16}  {g.to_paper()}")
    lines.append(f"results in {workdir}/: elimination.jsonl (every run), survivors.jsonl (the ranking)")
    return lines
