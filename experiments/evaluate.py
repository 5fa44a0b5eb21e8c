r"""Final evaluation (SPEC §11): train chosen losses N times and compare them with CE.

  python experiments/evaluate.py --workdir=runs/eval --small
  python experiments/evaluate.py --workdir=runs/eval_wrn --dataset=cifar10 --recipe=wideresnet_002 \
      --losses=cross_entropy,neuroloss1,neuroloss3,a2 --runs=5

Losses: registry names, genome JSON files, or `run:DIR:K` (the best K losses of a search
run directory). Every finished run is appended to `results.jsonl`; rerunning resumes. Prints
mean ± std of test accuracy and Welch's one-sided t-test against cross-entropy.
"""

from __future__ import annotations

import os

from absl import app, flags

_WORKDIR = flags.DEFINE_string("workdir", None, "Output directory (results.jsonl).", required=True)
_LOSSES = flags.DEFINE_list("losses", ["cross_entropy", "neuroloss1", "a2"], "Losses to evaluate.")
_RECIPE = flags.DEFINE_string("recipe", "convnet_surrogate", "lossevo.training recipe.")
_MODEL = flags.DEFINE_string("model", None, "Model (default: the recipe's).")
_DATASET = flags.DEFINE_string("dataset", "synthetic", "Dataset name.")
_DATA_DIR = flags.DEFINE_string("data_dir", None, "tensorflow-datasets directory.")
_RUNS = flags.DEFINE_integer("runs", 5, "Runs per loss.", lower_bound=1)
_STEPS = flags.DEFINE_integer("steps", None, "Shorten the recipe to this many steps.", lower_bound=1)
_BASELINE = flags.DEFINE_string("baseline", "cross_entropy", "The loss to compare against.")
_SMALL = flags.DEFINE_bool("small", False, "Smoke-run sizes: synthetic data, 2 runs of 60 steps.")


def resolve_losses(specs):
    """name -> (Keras loss factory) for registry names, genome files and run:DIR:K."""
    from lossevo import losses
    from lossevo.evolution.rundir import best_candidates
    from lossevo.genome import GenomeError, genome_from_json

    out = {}
    for spec in specs:
        if spec.startswith("run:"):
            try:
                _, run_dir, k = spec.split(":")
                k = int(k)
            except ValueError:
                raise app.UsageError(f"--losses {spec!r}: expected run:DIR:K") from None
            for h, (genome, _) in best_candidates(run_dir, k).items():
                out[f"run_{h}"] = lambda g=genome: losses.EvolvedLoss(g)
        elif os.path.exists(spec):
            try:
                genome = genome_from_json(open(spec).read())  # a graph or a tree genome
            except GenomeError as e:
                raise app.UsageError(f"--losses {spec}: {e}") from None
            out[os.path.basename(spec)] = lambda g=genome: losses.EvolvedLoss(g)
        else:
            try:
                losses.get(spec)
            except ValueError as e:
                raise app.UsageError(f"--losses: {e}") from None
            out[spec] = lambda s=spec: losses.get(s)
    return out


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    from lossevo import data, training
    from lossevo.analysis import compare_to_baseline, evaluate_losses, format_table

    small = _SMALL.value
    runs = 2 if small and not flags.FLAGS["runs"].present else _RUNS.value
    steps = _STEPS.value or (60 if small else None)
    try:
        recipe = training.recipes.get(_RECIPE.value)
    except ValueError as e:
        raise app.UsageError(f"--recipe: {e}") from None
    loss_factories = resolve_losses(_LOSSES.value)
    if _BASELINE.value not in loss_factories:
        raise app.UsageError(f"--baseline {_BASELINE.value!r} must be one of --losses")
    os.makedirs(_WORKDIR.value, exist_ok=True)

    def dataset():
        if _DATASET.value == "synthetic":
            return data.load("synthetic", num_train=2000, num_validation=500, num_test=1000)
        return data.load(_DATASET.value, data_dir=_DATA_DIR.value)

    results = evaluate_losses(
        loss_factories, dataset, recipe, runs, os.path.join(_WORKDIR.value, "results.jsonl"),
        model=_MODEL.value, steps=steps, log=lambda line: print(line, flush=True),
    )  # fmt: skip
    table = format_table(compare_to_baseline(results, _BASELINE.value))
    print(table)
    with open(os.path.join(_WORKDIR.value, "table.txt"), "w") as f:
        f.write(table + "\n")


if __name__ == "__main__":
    app.run(main)
