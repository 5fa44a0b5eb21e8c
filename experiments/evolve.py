r"""The loss search (docs/reference.md §5–6): a named setup (`lossevo.configs`), overridden by flags, run
by `lossevo.runs.run_search_setup`.

  # offline smoke run on the synthetic dataset (minutes on 2 CPU cores):
  python experiments/evolve.py --workdir=runs/search --small
  # the same on your own images (a folder root/{train,test}/<class>/*.png, or a .npz file):
  python experiments/evolve.py --workdir=runs/mine --small --dataset=image_folder --data_path=my_images
  # paper 002's configuration on CIFAR-10 (the default; a GPU, ~100 h for 2,000 iterations
  # on an A100): 1,000 genomes scored by convnet_standard, the best 100 by effnet_rand_aug
  python experiments/evolve.py --workdir=runs/cifar10
  # the authors' code's own `main`: resnet_standard, then resnet_rand_aug
  python experiments/evolve.py --workdir=runs/code_main --config=code_main
  # paper 003's genetic programming over expression trees (n=16, T=100) as its fifth
  # experiment ran it: InceptionV3 on CIFAR-10, Fashion-MNIST and CIFAR-100, fitness =
  # (wins against CE, mean improvement); CE's baselines are trained once per run directory
  python experiments/evolve.py --workdir=runs/gp --representation=tree
  # ... its other experiments: --config=paper_003_exp1 (CIFAR-10) ... paper_003_exp4
  # ... as a CPU smoke run (InceptionV3 at 75x75, a few steps, synthetic data):
  python experiments/evolve.py --workdir=runs/gp_small --small --representation=tree
  # the pair fitness on your own datasets (the first by --dataset, the others by --pair_data):
  python experiments/evolve.py --workdir=runs/pair --representation=tree --dataset=npz \
      --data_path=a.npz --pair_data=npz:b.npz,fashion_mnist
  # a steady-state search with evaluations as Ray tasks (pip install "lossevo[ray]"):
  python experiments/evolve.py --workdir=runs/ray --executor=ray --max_in_flight=8 [--ray_address=auto]

Everything is checked before anything is written; the run directory is locked while the
search runs (a second process on it stops at once). Run the same command again after a
crash or kill: the search resumes exactly where it stopped. A run directory keeps
`journal.jsonl`, `population.jsonl`, `best.json`, `progress.png`, `best_phenotypes.png` and
TensorBoard scalars under `tb/`.
"""

from __future__ import annotations

from absl import app, flags
from common import EXIT_NO_RESULT, fail, run
from data_flags import data_flags_given, data_spec, pair_data_specs

_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory (created; reused to resume).", required=True)
_CONFIG = flags.DEFINE_string(
    "config",
    None,
    "Named setup (lossevo.configs): paper_002 (default), code_main, paper_003 (--representation=tree), "
    "paper_003_exp1 ... paper_003_exp4, small, small_tree.",
)
_SMALL = flags.DEFINE_bool("small", False, "Smoke-run sizes on the offline synthetic data (--config=small).")
_REPR = flags.DEFINE_enum("representation", None, ["graph", "tree"],
                          "Search space: 'graph' (papers 000/002) or 'tree' (paper 003's GP).")  # fmt: skip
# Overrides of the setup (default: the configuration's).
_POP = flags.DEFINE_integer("population", None, "Population size (the tree search's n).", lower_bound=2)
_INIT = flags.DEFINE_integer("initial_size", None, "Random genomes in the initial stage.", lower_bound=2)
_TOUR = flags.DEFINE_integer("tournament", None, "Tournament size (drawn with replacement).", lower_bound=1)
_ITERS = flags.DEFINE_integer(
    "iterations", None, "Evolution iterations (the tree search's T).", lower_bound=0
)
_BATCH = flags.DEFINE_integer("batch", None, "Candidates asked and evaluated at once.", lower_bound=1)
_SEED = flags.DEFINE_integer("seed", None, "Seed of the whole run.", lower_bound=0)
_SEEDS = flags.DEFINE_list("seed_losses", None, "Named losses added to the initial population.")
_INITIAL = flags.DEFINE_string(
    "initial_fitness", None, "Fitness of the initial stage (SURROGATES or 'stub')."
)
_FITNESS = flags.DEFINE_string("fitness", None, "Fitness of the rescore and evolution stages.")
_OBJECTIVE = flags.DEFINE_enum(
    "objective",
    None,
    ["accuracy", "ce_pair"],
    "What a candidate's fitness is: "
    "'accuracy' (the surrogate's validation accuracy) or 'ce_pair' (paper 003: wins "
    "against CE and mean improvement over --dataset and --pair_data).",
)
_PAIR_DATA = flags.DEFINE_list(
    "pair_data",
    None,
    "More datasets of --objective=ce_pair (implies it): NAME "
    "(fashion_mnist, cifar100, synthetic, ...), npz:FILE or image_folder:FOLDER.",
)
_PAIRING = flags.DEFINE_enum("pairing", None, ["paper_002", "code_main"],
                             "A published (initial fitness, fitness) pair.")  # fmt: skip
_FLIP_RULE = flags.DEFINE_enum(
    "flip_rule", None, ["code", "unflipped"], "Integrity check's flip rule (docs/reference.md §3)."
)
_SCALE = flags.DEFINE_float("scale", None, "Multiply every training step count.", lower_bound=0.0001)
_THRESH = flags.DEFINE_float("threshold_scale", None, "Multiply early-stopping thresholds.", lower_bound=0.0)
_SBATCH = flags.DEFINE_integer("surrogate_batch", None, "Override the surrogates' batch size.", lower_bound=1)
_AUGMENT = flags.DEFINE_string("augmentation", None, "Override the surrogates' augmentation technique.")
_K = flags.DEFINE_integer("batched_k", None, "Train K candidates at once: one wide network for the ConvNet and "
                          "ResNet9v2 surrogates, K copies for the others; implies --batch >= K.",
                          lower_bound=0)  # fmt: skip
_STUB_DELAY = flags.DEFINE_float(
    "stub_delay", None, "Seconds per evaluation of the 'stub' fitness.", lower_bound=0
)
_STUB_HANG = flags.DEFINE_float("stub_hang", None, "Seconds a 'stub' evaluation of a hash starting with 1 hangs.",
                                lower_bound=0)  # fmt: skip
_STUB_FAIL = flags.DEFINE_string("stub_fail_while", None, "The 'stub' fitness raises an error not about the "
                                 "loss while this file exists (tests of stopping and resuming).")  # fmt: skip
# How the search runs.
_ISOLATE = flags.DEFINE_bool("isolate", None, "Evaluate in a worker process recycled every --recycle_every "
                             "tasks (default: for the surrogates, not the stub).")  # fmt: skip
_RECYCLE = flags.DEFINE_integer("recycle_every", 50, "Tasks per worker process.", lower_bound=1)
_TIMEOUT = flags.DEFINE_float("eval_timeout", None, "Seconds an evaluation may run before its worker is "
                              "killed and its candidate fails (default: scaled to the surrogate's budget; "
                              "0: no limit).", lower_bound=0)  # fmt: skip
_ON_ERROR = flags.DEFINE_enum("on_error", "stop", ["stop", "record"], "An error that is not about the "
                              "loss: stop the search (fix, then resume), or record the candidate as failed.")  # fmt: skip
_EXECUTOR = flags.DEFINE_enum("executor", "local", ["local", "ray"], "'local', or 'ray': steady state, "
                              "--max_in_flight evaluations as Ray tasks.")  # fmt: skip
_RAY_ADDRESS = flags.DEFINE_string("ray_address", None, "Ray cluster address (default: a local Ray).")
_IN_FLIGHT = flags.DEFINE_integer(
    "max_in_flight", 2, "Evaluations at once with --executor=ray.", lower_bound=1
)
_GPUS = flags.DEFINE_float("gpus_per_task", None, "GPUs per Ray task (default: 1 if the cluster has GPUs).")

OVERRIDES = (  # (flag, SearchSetup.replace field)
    (_POP, "population_size"), (_INIT, "initial_size"), (_TOUR, "tournament_size"), (_ITERS, "iterations"),
    (_BATCH, "batch_size"), (_SEED, "seed"), (_INITIAL, "initial_fitness"), (_FITNESS, "fitness"),
    (_SCALE, "scale"), (_THRESH, "threshold_scale"), (_SBATCH, "surrogate_batch"),
    (_AUGMENT, "augmentation"), (_K, "batched_k"), (_STUB_DELAY, "stub_delay"), (_STUB_HANG, "stub_hang"),
    (_STUB_FAIL, "stub_fail_while"),
)  # fmt: skip


def setup_from_flags():
    """The named setup with the flags that were given applied (validated by `main`)."""
    from lossevo import configs
    from lossevo.fitness import PAIRINGS

    tree = _REPR.value == "tree"
    name = _CONFIG.value or ("small_tree" if _SMALL.value and tree else "small" if _SMALL.value else
                             "paper_003" if tree else "paper_002")  # fmt: skip
    try:
        setup = configs.get(name)
    except ValueError as e:
        raise app.UsageError(f"--config: {e}") from None
    if _REPR.value is not None and setup.search.representation != _REPR.value:
        raise app.UsageError(f"--representation={_REPR.value} contradicts --config={name}")
    changes = {field: flag.value for flag, field in OVERRIDES if flag.value is not None}
    if _PAIRING.value is not None:
        paired = dict(zip(("initial_fitness", "fitness"), PAIRINGS[_PAIRING.value], strict=True))
        changes = {**paired, **changes}
    if _FLIP_RULE.value is not None:
        changes["space"] = {**setup.search.space, "flip_rule": _FLIP_RULE.value}
    if _SEEDS.value is not None:
        changes["seeds"] = tuple(_SEEDS.value)
    if data_flags_given():
        changes["data"] = data_spec()
    if _OBJECTIVE.value is not None or _PAIR_DATA.value is not None:
        changes["objective"] = _OBJECTIVE.value or "ce_pair"
        keep = setup.pair_data if changes["objective"] == "ce_pair" else ()
        changes["pair_data"] = keep if _PAIR_DATA.value is None else pair_data_specs(_PAIR_DATA.value)
    return setup.override(**changes)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    from lossevo.runs import Execution, run_search_setup
    from lossevo.runs.outputs import best_ever

    try:
        setup = setup_from_flags()
        timeout = "auto" if _TIMEOUT.value is None else (_TIMEOUT.value or None)
        ray = {
            "ray_address": _RAY_ADDRESS.value,
            "max_in_flight": _IN_FLIGHT.value,
            "gpus_per_task": _GPUS.value,
        }
        execution = Execution(_EXECUTOR.value, _ISOLATE.value, _RECYCLE.value, timeout,
                              ray if _EXECUTOR.value == "ray" else {}, _ON_ERROR.value).validate(setup)  # fmt: skip
        setup = setup.validate()  # after the flags' combinations: the data's availability last
    except ValueError as e:
        raise app.UsageError(str(e)) from None
    engine = run_search_setup(_WORKDIR.value, setup, execution)
    best = best_ever(_WORKDIR.value)
    summary = f"{len(engine.history)} iterations ({engine.skipped_iterations} skipped); results in {_WORKDIR.value}/"
    if best is None:
        print(summary)
        fail("the search finished, but no candidate passed (every one was rejected or failed), so there is "
             "no best.json; see journal.jsonl for the reasons", EXIT_NO_RESULT)  # fmt: skip
    print(f"best fitness {best['fitness']:.4f} (the best ever found): {best['formula']}")
    final = engine.best()
    if final.genome.hash_hex != best["hash"]:
        print(f"the final population's best: {final.fitness:.4f} (the best ever aged out)")
    print(summary)


if __name__ == "__main__":
    run(main)
