r"""Final evaluation (docs/evaluating.md): train chosen losses N times, compare them with CE
and with the papers' published figures (`lossevo.runs.evaluation`).

  python experiments/evaluate.py --workdir=runs/eval --small
  python experiments/evaluate.py --workdir=runs/eval_wrn --dataset=cifar10 --recipe=wideresnet_002 \
      --losses=cross_entropy,neuroloss1,neuroloss3,a2 --runs=5
  python experiments/evaluate.py --workdir=runs/table4 --reproduce=002_table4 --dataset=cifar10
  python experiments/evaluate.py --workdir=runs/code_base --dataset=cifar10 --protocol=code \
      --code_setting=base --losses=cross_entropy,neuroloss1

Losses: registry names, genome JSON files, or `run:DIR:K` (the best K losses of a search
run directory). Every finished run is appended to `results.jsonl`; rerunning resumes.
"""

from __future__ import annotations

from absl import flags
from common import F, as_usage, define_all, run
from data_flags import data_spec

flags.DEFINE_string("workdir", None, "Output directory (results.jsonl, table.txt).", required=True)
# fmt: off
define_all({  # flag: (type or choices, default, lower bound, help); None: the reproduction's or the rule's
    "losses": (list, None, None, "Losses to evaluate (default: cross_entropy,neuroloss1,a2)."),
    "recipe": (str, None, None, "lossevo.training recipe (default: convnet_standard)."),
    "model": (str, None, None, "Model (default: the recipe's)."),
    "runs": (int, None, 1, "Runs per loss (default 5; 6 under --protocol=code, 2 with --small)."),
    "steps": (int, None, 1, "Shorten the recipe to this many steps."),
    "baseline": (str, "cross_entropy", None, "The loss to compare against."),
    "small": (bool, False, None, "Smoke-run sizes (10% of the recipe's steps at batch 32); not compared "
              "with the papers' figures."),
    "protocol": (["holdout", "code", "best_val"], None, None, "holdout (default): test accuracy after "
                 "training on train; code: the authors' final_loss_testing.py (train on train+validation, "
                 "best test accuracy); best_val: best validation accuracy."),
    "code_setting": (["base", "base_imagenet", "progressive", "progressive_imagenet"], None, None,
                     "With --protocol=code, instead of --recipe: a setting of final_loss_testing.py "
                     "(lossevo.analysis.evaluation.CODE_SETTINGS)."),
    "paper_table": (str, None, None, "Compare with a published table (e.g. 002/4)."),
    "reproduce": (str, None, None, "A named reproduction (lossevo.analysis.reproduce): recipe, losses, "
                  "runs, protocol, table."),
})
# fmt: on


def main(argv):
    from lossevo.runs.evaluation import EvaluationStudy, run_evaluation

    with as_usage():
        study = EvaluationStudy.resolve(
            reproduce=F.reproduce, recipe=F.recipe, losses=F.losses, runs=F.runs, protocol=F.protocol,
            code_setting=F.code_setting, table=F.paper_table, small=F.small, model=F.model, steps=F.steps,
            baseline=F.baseline,
        )  # fmt: skip
    print(run_evaluation(study, data_spec(num_test=1000), F.workdir))
    print(f"results in {F.workdir}/: results.jsonl (every run), table.txt (this table)")


if __name__ == "__main__":
    run(main)
