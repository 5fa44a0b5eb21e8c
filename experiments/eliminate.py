r"""The elimination protocols (docs/evaluating.md) on a search run's best losses
(`lossevo.runs.elimination`).

  python experiments/eliminate.py --run_dir=runs/search --workdir=runs/elim --small
  python experiments/eliminate.py --run_dir=runs/cifar10 --workdir=runs/elim --protocol=002 --dataset=cifar10

Each round's results are appended to `elimination.jsonl` as they finish; rerunning
resumes. Writes `survivors.jsonl` (the last round's ranking with genomes).
"""

from __future__ import annotations

from absl import flags
from common import F, as_usage, define_all, run
from data_flags import data_spec

flags.DEFINE_string("run_dir", None, "A run directory of experiments/evolve.py.", required=True)
flags.DEFINE_string("workdir", None, "Output directory.", required=True)
# fmt: off
define_all({  # flag: (type or choices, default, lower bound, help)
    "protocol": (["002", "002_code", "000"], "002", None, "Elimination protocol."),
    "augmentation": (str, None, None, "Override every round's augmentation (paper 000: each technique is "
                     "eliminated with its own)."),
    "seed": (int, 0, None, "Seed of the elimination (each run of a loss gets its own seed from it)."),
    "model": (str, None, None, "Override every round's model (e.g. convnet for a smoke run)."),
    "scale": (float, None, 0.0001, "Multiply every round's training steps (after --small's)."),
    "small": (bool, False, None, "Smoke run: keep 4 then 2, ConvNet rounds at smoke sizes (10% of the "
              "steps, batch 32)."),
})
# fmt: on


def main(argv):
    from lossevo.runs.elimination import EliminationPlan, eliminate_run

    spec = data_spec(num_test=10)
    with as_usage():
        plan = EliminationPlan.of_run(F.run_dir, F.protocol, model=F.model, augmentation=F.augmentation,
                                      seed=F.seed, small=F.small, scale=F.scale)  # fmt: skip
    print("\n".join(eliminate_run(plan, spec, F.workdir)))


if __name__ == "__main__":
    run(main)
