r"""Paper 000 §3.1: random losses × augmentations on one surrogate; Kendall's tau between
techniques (over all losses and over each pair's best K), average-linkage clusters, and a
scatter of base against all (`lossevo.analysis.correlation_study`).

  python experiments/correlate.py --workdir=runs/corr --small
  python experiments/correlate.py --workdir=runs/corr --dataset=cifar10 --num_genomes=1000

Scores are appended to `scores.jsonl` as they finish (rerun to resume); results go to
`correlation.json` and `scatter.png`.
"""

from __future__ import annotations

from absl import flags
from common import F, as_usage, define_all, run
from data_flags import data_spec

flags.DEFINE_string("workdir", None, "Output directory.", required=True)
# fmt: off
STUDY = {  # flag: (type, default, lower bound, help); None: the study's (CorrelationStudy, smoke_study)
    "num_genomes": (int, None, 2, "Random losses (default 1000)."),
    "augmentations": (list, None, None, "Techniques (default base,cutout,mixup,randaug,all)."),
    "surrogate": (str, None, None, "lossevo.fitness surrogate (default resnet9v2_6m)."),
    "best_k": (int, None, 2, "Best-K intersection for the second tau (default 50)."),
    "clusters": (int, None, 1, "Number of clusters (default 4)."),
    "seed": (int, None, 0, "Seed of the random losses (default 0)."),
    "scale": (float, None, 0.0001, "Multiply training steps (default 1)."),
}
# fmt: on
define_all(STUDY)
flags.DEFINE_bool("small", False, "Smoke run: 6 losses, base and all, ConvNet at smoke sizes (10% of the "
                  "steps, batch 32), cross-entropy scored beside them as a reference.")  # fmt: skip


def main(argv):
    from lossevo.analysis import correlation_study as cs

    given = {name: F[name].value for name in STUDY if F[name].value is not None}
    if "augmentations" in given:
        given["augmentations"] = tuple(given["augmentations"])
    with as_usage():
        study = (cs.smoke_study(**given) if F.small else cs.CorrelationStudy(**given)).validate()
    result = cs.run_correlation(study, data_spec(num_test=10), F.workdir)
    print("\n".join(cs.report_lines(study, result, F.workdir)))


if __name__ == "__main__":
    run(main)
