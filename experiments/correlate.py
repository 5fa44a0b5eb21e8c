r"""Paper 000 §3.1: random losses × augmentations on one surrogate; Kendall's tau between
techniques (over all losses and over each pair's best K), average-linkage clusters, and a
scatter of base against all.

  python experiments/correlate.py --workdir=runs/corr --small
  python experiments/correlate.py --workdir=runs/corr --dataset=cifar10 --num_genomes=1000

Scores are appended to `scores.jsonl` as they finish (rerun to resume); results go to
`correlation.json` and `scatter.png`.
"""

from __future__ import annotations

from absl import app, flags
from common import run
from data_flags import data_spec

_WORKDIR = flags.DEFINE_string("workdir", None, "Output directory.", required=True)
_N = flags.DEFINE_integer("num_genomes", 1000, "Random losses.", lower_bound=2)
_AUGS = flags.DEFINE_list("augmentations", ["base", "cutout", "mixup", "randaug", "all"], "Techniques.")
_SURROGATE = flags.DEFINE_string("surrogate", "resnet9v2_6m", "lossevo.fitness surrogate.")
_BEST_K = flags.DEFINE_integer("best_k", 50, "Best-K intersection for the second tau.", lower_bound=2)
_CLUSTERS = flags.DEFINE_integer("clusters", 4, "Number of clusters.", lower_bound=1)
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the random losses.", lower_bound=0)
_SCALE = flags.DEFINE_float("scale", 1.0, "Multiply training steps.", lower_bound=0.0001)
_SMALL = flags.DEFINE_bool(
    "small", False, "Smoke run: 6 losses, base and all, ConvNet at smoke sizes (10% of the steps, batch 32), "
    "cross-entropy scored beside them as a reference.",
)  # fmt: skip


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    from lossevo.analysis.correlation_study import (
        CorrelationStudy,
        report_lines,
        run_correlation,
        smoke_study,
    )

    given = {name: getattr(flags.FLAGS, name) for name in ("num_genomes", "augmentations", "surrogate", "best_k",
             "clusters", "seed", "scale") if flags.FLAGS[name].present or not _SMALL.value}  # fmt: skip
    if "augmentations" in given:
        given["augmentations"] = tuple(given["augmentations"])
    try:
        study = (smoke_study(**given) if _SMALL.value else CorrelationStudy(**given)).validate()
    except ValueError as e:
        raise app.UsageError(str(e)) from None
    result = run_correlation(study, data_spec(num_test=10), _WORKDIR.value)
    print("\n".join(report_lines(study, result, _WORKDIR.value)))


if __name__ == "__main__":
    run(main)
