r"""Final evaluation (docs/reference.md §11): train chosen losses N times and compare them with CE, and
with the papers' published figures.

  python experiments/evaluate.py --workdir=runs/eval --small
  python experiments/evaluate.py --workdir=runs/eval_wrn --dataset=cifar10 --recipe=wideresnet_002 \
      --losses=cross_entropy,neuroloss1,neuroloss3,a2 --runs=5
  # paper 002 Table 4 (the ConvNet surrogate, 30 runs; add --small for a CPU smoke run):
  python experiments/evaluate.py --workdir=runs/table4 --reproduce=002_table4 --dataset=cifar10
  # one of the four settings of the authors' final_loss_testing.py (6 runs, best test accuracy):
  python experiments/evaluate.py --workdir=runs/code_base --dataset=cifar10 --protocol=code \
      --code_setting=base --losses=cross_entropy,neuroloss1

Losses: registry names, genome JSON files, or `run:DIR:K` (the best K losses of a search
run directory). Every finished run is appended to `results.jsonl`; rerunning resumes. Prints
mean ± std of test accuracy and Welch's one-sided t-test against cross-entropy.
"""

from __future__ import annotations

import os

from absl import app, flags
from common import run
from data_flags import data_spec

_WORKDIR = flags.DEFINE_string("workdir", None, "Output directory (results.jsonl).", required=True)
_LOSSES = flags.DEFINE_list("losses", ["cross_entropy", "neuroloss1", "a2"], "Losses to evaluate.")
_RECIPE = flags.DEFINE_string("recipe", "convnet_standard", "lossevo.training recipe.")
_MODEL = flags.DEFINE_string("model", None, "Model (default: the recipe's).")
_RUNS = flags.DEFINE_integer("runs", 5, "Runs per loss.", lower_bound=1)
_STEPS = flags.DEFINE_integer("steps", None, "Shorten the recipe to this many steps.", lower_bound=1)
_BASELINE = flags.DEFINE_string("baseline", "cross_entropy", "The loss to compare against.")
_SMALL = flags.DEFINE_bool(
    "small", False, "Smoke-run sizes (lossevo.training.smoke): 2 runs of 10% of the recipe's steps at batch 32; "
    "a smoke table is not compared with the papers' figures.",
)  # fmt: skip
_PROTOCOL = flags.DEFINE_enum(
    "protocol", "holdout", ["holdout", "code", "best_val"],
    "holdout: test accuracy after training on train; code: train on train+validation, best test accuracy "
    "over training (the authors' final_loss_testing.py, 6 runs); best_val: best validation accuracy.",
)  # fmt: skip
_CODE_SETTING = flags.DEFINE_enum(
    "code_setting", None, ["base", "base_imagenet", "progressive", "progressive_imagenet"],
    "With --protocol=code, instead of --recipe: a setting of the authors' final_loss_testing.py "
    "(lossevo.analysis.evaluation.CODE_SETTINGS): EfficientNetV2-S at 32 px without augmentation "
    "(base, 64,000 steps; base_imagenet, 16,000) or with progressive RandAugment (progressive, "
    "progressive_imagenet), from scratch or from ImageNet weights.",
)  # fmt: skip
_TABLE = flags.DEFINE_string("paper_table", None, "Compare with a published table (e.g. 002/4).")
_REPRODUCE = flags.DEFINE_string(
    "reproduce",
    None,
    "A named reproduction (lossevo.analysis.reproduce): recipe, losses, runs, protocol, table.",
)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    given = lambda name: flags.FLAGS[name].present  # noqa: E731
    if _CODE_SETTING.value is not None and _PROTOCOL.value != "code":
        raise app.UsageError("--code_setting needs --protocol=code")
    if _CODE_SETTING.value is not None and given("recipe"):
        raise app.UsageError("--code_setting picks the recipe: give --recipe or --code_setting, not both")
    from lossevo import training
    from lossevo.analysis import evaluate_losses, published
    from lossevo.analysis.evaluation import CODE_RUNS, CODE_SETTINGS
    from lossevo.analysis.reproduce import get_reproduction, report
    from lossevo.runs.losses import resolve_losses
    from lossevo.store.lock import RunLock
    from lossevo.training.smoke import smoke_recipe

    recipe_name, loss_specs, runs, protocol = _RECIPE.value, _LOSSES.value, _RUNS.value, _PROTOCOL.value
    table, filters = _TABLE.value, {}
    if _REPRODUCE.value:
        try:
            rep = get_reproduction(_REPRODUCE.value)
        except ValueError as e:
            raise app.UsageError(f"--reproduce: {e}") from None
        recipe_name = _RECIPE.value if given("recipe") else rep.recipe
        loss_specs = _LOSSES.value if given("losses") else list(rep.losses)
        runs = _RUNS.value if given("runs") else rep.runs
        protocol = _PROTOCOL.value if given("protocol") else rep.protocol
        table, filters = table or rep.table, dict(rep.filters)
    elif protocol == "code" and not given("runs"):
        runs = CODE_RUNS
    if _CODE_SETTING.value is not None:
        recipe_name = CODE_SETTINGS[_CODE_SETTING.value]
    if table is not None and table not in published.TABLES:
        raise app.UsageError(f"--paper_table {table!r}: known tables are {', '.join(published.TABLES)}")
    small = _SMALL.value
    runs = 2 if small and not given("runs") else runs
    steps = _STEPS.value
    try:
        recipe = training.recipes.get(recipe_name)
    except ValueError as e:
        raise app.UsageError(f"--recipe: {e}") from None
    if small:
        recipe = smoke_recipe(recipe)
    try:
        loss_factories = resolve_losses(loss_specs)
    except ValueError as e:
        raise app.UsageError(f"--losses: {e}") from None
    if _BASELINE.value not in loss_factories:
        raise app.UsageError(f"--baseline {_BASELINE.value!r} must be one of --losses")
    spec = data_spec(num_test=1000)
    with RunLock(_WORKDIR.value):
        results = evaluate_losses(
            loss_factories, spec.load, recipe, runs, os.path.join(_WORKDIR.value, "results.jsonl"),
            model=_MODEL.value, steps=steps, protocol=protocol,
        )  # fmt: skip
        text = report(results, _BASELINE.value, None if small else table, filters, spec.name)
        if small:
            text = (f"Smoke run (--small: {recipe.steps} steps at batch {recipe.batch_size}); not compared with the "
                    f"papers' figures{f' (table {table})' if table else ''}.\n{text}")  # fmt: skip
        print(text)
        with open(os.path.join(_WORKDIR.value, "table.txt"), "w") as f:
            f.write(text + "\n")
        print(f"results in {_WORKDIR.value}/: results.jsonl (every run), table.txt (this table)")


if __name__ == "__main__":
    run(main)
