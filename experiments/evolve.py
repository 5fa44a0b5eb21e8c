r"""The loss search (docs/searching.md): a named setup (`lossevo.configs.resolve`),
overridden by flags (`SearchSetup.override`), run by `lossevo.runs.run_search_setup`.

  python experiments/evolve.py --workdir=runs/search --small       # offline smoke run, minutes on a CPU
  python experiments/evolve.py --workdir=runs/mine --small --dataset=image_folder --data_path=my_images
  python experiments/evolve.py --workdir=runs/cifar10              # paper 002 on CIFAR-10 (a GPU, ~100 h)
  python experiments/evolve.py --workdir=runs/gp --representation=tree  # paper 003's GP

Everything is checked before anything is written, and the run directory is locked while
the search runs. Run the same command again after a crash or kill to resume exactly.
"""

from __future__ import annotations

from absl import flags
from common import F, as_usage, define_all, fail, run
from data_flags import data_flags_given, data_spec, pair_data_specs

flags.DEFINE_string("workdir", None, "Run directory (created; reused to resume).", required=True)
# fmt: off
SETUP = {  # flag: (type or choices, default, lower bound, help)
    "config": (str, None, None, "Named setup (lossevo.configs): paper_002 (default), code_main, paper_003[_exp1..4], small[_tree]."),
    "small": (bool, False, None, "Smoke-run sizes on the offline synthetic data (small, small_tree)."),
    "representation": (["graph", "tree"], None, None, "'graph' (papers 000/002) or 'tree' (paper 003's GP)."),
}
OVERRIDES = {  # flag: (type or choices, default, lower bound, help) of a SearchSetup.override keyword
    "population": (int, None, 2, "Population size (the tree search's n)."),
    "initial_size": (int, None, 2, "Random genomes in the initial stage."),
    "tournament": (int, None, 1, "Tournament size (drawn with replacement)."),
    "iterations": (int, None, 0, "Evolution iterations (the tree search's T)."),
    "batch": (int, None, 1, "Candidates asked and evaluated at once."),
    "seed": (int, None, 0, "Seed of the whole run."),
    "seed_losses": (list, None, None, "Named losses added to the initial population."),
    "initial_fitness": (str, None, None, "Fitness of the initial stage (SURROGATES or 'stub')."),
    "fitness": (str, None, None, "Fitness of the rescore and evolution stages."),
    "objective": (["accuracy", "ce_pair"], None, None, "'accuracy' or 'ce_pair' (paper 003: wins against CE, mean improvement)."),
    "pair_data": (list, None, None, "More datasets of --objective=ce_pair (implies it): NAME, npz:FILE, image_folder:DIR."),
    "pairing": (["paper_002", "code_main"], None, None, "A published (initial fitness, fitness) pair."),
    "flip_rule": (["code", "unflipped"], None, None, "Integrity check's flip rule (docs/reference.md §3)."),
    "scale": (float, None, 0.0001, "Multiply every training step count."),
    "threshold_scale": (float, None, 0.0, "Multiply early-stopping thresholds."),
    "surrogate_batch": (int, None, 1, "Override the surrogates' batch size."),
    "augmentation": (str, None, None, "Override the surrogates' augmentation technique."),
    "batched_k": (int, None, 0, "Train K candidates at once (docs/k-at-once.md); implies --batch >= K."),
    "stub_delay": (float, None, 0.0, "Seconds per evaluation of the 'stub' fitness."),
    "stub_hang": (float, None, 0.0, "Seconds a 'stub' evaluation of a hash starting with 1 hangs."),
    "stub_fail_while": (str, None, None, "The 'stub' fitness fails, not about the loss, while this file exists (tests)."),
}
EXECUTION = {  # flag: (type or choices, default, lower bound, help)
    "executor": (str, "local", None, "local, process (a recycled worker), thread, ray (lossevo.search.execution)."),
    "isolate": (bool, None, None, "local: evaluate in a recycled worker process (default: the surrogates, not the stub)."),
    "recycle_every": (int, 50, 1, "Tasks per worker process."),
    "eval_timeout": (float, None, 0.0, "Seconds per evaluation before its worker is killed (default: by budget; 0: none)."),
    "on_error": (["stop", "record"], "stop", None, "Error not about the loss: stop (fix, resume) or record a failure."),
    "ray_address": (str, None, None, "Ray cluster address (default: a local Ray)."),
    "max_in_flight": (int, None, 1, "Evaluations at once of a steady-state executor (ray, thread; default 2)."),
    "gpus_per_task": (float, None, None, "GPUs per Ray task (default: 1 if the cluster has GPUs)."),
}
EXECUTOR_OPTIONS = ("ray_address", "max_in_flight", "gpus_per_task")  # passed to the executor when given
KEYWORDS = {"population": "population_size", "tournament": "tournament_size", "batch": "batch_size",
            "seed_losses": "seeds"}  # the override keywords not named like their flags
# fmt: on
define_all({**SETUP, **OVERRIDES, **EXECUTION})


def setup_from_flags():
    """The named setup with the flags that were given applied (validated by `main`)."""
    from lossevo import configs

    with as_usage("--config: "):
        setup = configs.resolve(F.config, F.small, F.representation)
    changes = {KEYWORDS.get(flag, flag): F[flag].value for flag in OVERRIDES if F[flag].value is not None}
    if "pair_data" in changes:
        changes["pair_data"] = pair_data_specs(changes["pair_data"])
    if data_flags_given():
        changes["data"] = data_spec()
    return setup.override(**changes)


def main(argv):
    from lossevo.runs import Execution, run_search_setup
    from lossevo.runs.exits import EXIT_NO_RESULT, NO_RESULT
    from lossevo.runs.outputs import best_ever, summary_lines

    with as_usage():
        setup = setup_from_flags()
        timeout = "auto" if F.eval_timeout is None else (F.eval_timeout or None)
        options = {name: F[name].value for name in EXECUTOR_OPTIONS if F[name].present}
        execution = Execution(F.executor, F.isolate, F.recycle_every, timeout, options, F.on_error)
        execution.validate(setup)
        setup = setup.validate()  # after the flags' combinations: the data's availability last
    engine = run_search_setup(F.workdir, setup, execution)
    best = best_ever(F.workdir)
    print("\n".join(summary_lines(F.workdir, engine, best)))
    if best is None:
        fail(NO_RESULT, EXIT_NO_RESULT)


if __name__ == "__main__":
    run(main)
