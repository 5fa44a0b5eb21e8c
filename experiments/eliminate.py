r"""The elimination protocols (docs/reference.md §7) on a search run's best losses.

  python experiments/eliminate.py --run_dir=runs/search --workdir=runs/elim --small
  python experiments/eliminate.py --run_dir=runs/cifar10 --workdir=runs/elim --protocol=002 --dataset=cifar10

Each round's results are appended to `elimination.jsonl` as they finish; rerunning
resumes. Writes `survivors.jsonl` (the last round's ranking with genomes).
"""

from __future__ import annotations

import json
import os

from absl import app, flags
from common import run
from data_flags import data_spec

_RUN = flags.DEFINE_string("run_dir", None, "A run directory of experiments/evolve.py.", required=True)
_WORKDIR = flags.DEFINE_string("workdir", None, "Output directory.", required=True)
_PROTOCOL = flags.DEFINE_enum("protocol", "002", ["002", "002_code", "000"], "Elimination protocol.")
_AUGMENT = flags.DEFINE_string(
    "augmentation",
    None,
    "Override every round's augmentation (paper 000: each technique is eliminated with its own).",
)
_SEED = flags.DEFINE_integer(
    "seed", 0, "Seed of the elimination (each run of a loss gets its own seed from it)."
)
_MODEL = flags.DEFINE_string("model", None, "Override every round's model (e.g. convnet for a smoke run).")
_SCALE = flags.DEFINE_float("scale", None, "Multiply every round's training steps (after --small's).",
                            lower_bound=0.0001)  # fmt: skip
_SMALL = flags.DEFINE_bool(
    "small", False, "Smoke run: keep 4 then 2, ConvNet rounds at smoke sizes (10% of the steps, batch 32)."
)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    from lossevo.analysis import get_protocol, round_trainer, run_elimination
    from lossevo.analysis.protocols import smoke_protocol
    from lossevo.data.pipelines import technique_names
    from lossevo.runs.rundir import best_candidates
    from lossevo.store.lock import RunLock

    protocol = get_protocol(_PROTOCOL.value)
    model = _MODEL.value
    if _SMALL.value:  # smoke-size ConvNet rounds: 4 candidates, then the best 2 twice
        protocol = smoke_protocol(protocol.diverged)
        model = model or "convnet"
    if _SCALE.value is not None:
        protocol = protocol.scaled(_SCALE.value)
    if _AUGMENT.value is not None and _AUGMENT.value not in technique_names():
        raise app.UsageError(f"--augmentation {_AUGMENT.value!r}: known are {', '.join(technique_names())}")
    spec = data_spec(num_test=10)
    pool = best_candidates(_RUN.value, protocol.size)
    if not pool:
        raise app.UsageError(f"--run_dir {_RUN.value}: no evaluated losses yet")
    with RunLock(_WORKDIR.value):
        trainer = round_trainer(
            {k: g for k, (g, _) in pool.items()},
            spec.load(),
            model,
            _AUGMENT.value,
            scale=protocol.scale,
            diverged=protocol.diverged,
            batch_size=protocol.batch_size,
        )
        path = os.path.join(_WORKDIR.value, "elimination.jsonl")
        rounds = run_elimination({k: f for k, (_, f) in pool.items()}, protocol, trainer, path, seed=_SEED.value,
                                 augmentation=_AUGMENT.value)  # fmt: skip
        final = rounds[-1].scores
        print(f"survivors after {len(rounds)} rounds, best first (score: the mean of the runs' best "
              "validation accuracy, 0-1):")  # fmt: skip
        print(f"{'rank':>4}  {'score':>6}  {'runs':>4}  {'hash':16}  formula")
        with open(os.path.join(_WORKDIR.value, "survivors.jsonl"), "w") as f:
            for rank, key in enumerate(sorted(final, key=lambda k: -final[k]), start=1):
                g = pool[key][0]
                f.write(json.dumps({"hash": key, "score": final[key], "runs": rounds[-1].runs[key],
                                    "formula": g.to_paper(), "genome": g.to_dict()}) + "\n")  # fmt: skip
                print(
                    f"{rank:>4}  {final[key]:6.4f}  {len(rounds[-1].runs[key]):>4}  {key:16}  {g.to_paper()}"
                )
        print(f"results in {_WORKDIR.value}/: elimination.jsonl (every run), survivors.jsonl (the ranking)")


if __name__ == "__main__":
    run(main)
