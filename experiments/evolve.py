r"""The loss search: regularized evolution with surrogate fitness (SPEC §5–6).

  # offline smoke run on the synthetic dataset (a few minutes on 2 CPU cores):
  python experiments/evolve.py --workdir=runs/search --small
  # paper 002's configuration on CIFAR-10 (the defaults; a GPU, ~100 h for 2,000 iterations
  # on an A100): 1,000 genomes scored by convnet_standard, the best 100 by effnet_rand_aug
  python experiments/evolve.py --workdir=runs/cifar10 --dataset=cifar10
  # the authors' code's own `main`: resnet_standard, then resnet_rand_aug
  python experiments/evolve.py --workdir=runs/cifar10_code --dataset=cifar10 --pairing=code_main
  # paper 003's genetic programming over expression trees (n=16, T=100 by default):
  python experiments/evolve.py --workdir=runs/gp --representation=tree
  # a steady-state search with evaluations as Ray tasks (pip install "lossevo[ray]"):
  python experiments/evolve.py --workdir=runs/ray --executor=ray --max_in_flight=8 [--ray_address=auto]

Evaluations run in a worker process recycled every --recycle_every candidates
(--noisolate: in this process), so memory stays flat over a long search.
The run directory holds `journal.jsonl` (every evaluation, appended and fsynced as it
finishes). Run the same command again after a crash or kill: the search resumes exactly
where it stopped, no finished evaluation repeated. At the end it writes
`population.jsonl`, `best.json`, `progress.png`, `best_phenotypes.png` and TensorBoard
scalars under `tb/`.
"""

from __future__ import annotations

import json
import os

from absl import app, flags

_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory (created; reused to resume).", required=True)
_DATASET = flags.DEFINE_string("dataset", "synthetic", "lossevo.data dataset name.")
_DATA_DIR = flags.DEFINE_string("data_dir", None, "tensorflow-datasets directory (offline copies).")
_FITNESS = flags.DEFINE_string(
    "fitness",
    "effnet_rand_aug",
    "Surrogate fitness of the rescore and evolution stages (lossevo.fitness.SURROGATES) or 'stub'.",
)
_INITIAL = flags.DEFINE_string(
    "initial_fitness", "convnet_standard", "Fitness of the initial population (SURROGATES or 'stub')."
)
_PAIRING = flags.DEFINE_enum(
    "pairing",
    None,
    ["paper_002", "code_main"],
    "A published (initial fitness, fitness) pair: paper_002 = convnet_standard -> effnet_rand_aug "
    "(the default), code_main = resnet_standard -> resnet_rand_aug (the code's `main`).",
)
_FLIP_RULE = flags.DEFINE_enum(
    "flip_rule", "code", ["code", "unflipped"], "Integrity check's flip rule (SPEC §3; 'code': the authors')."
)
_AUGMENT = flags.DEFINE_string("augmentation", None, "Override the surrogate's augmentation technique.")
_SCALE = flags.DEFINE_float("scale", 1.0, "Multiply every training step count.", lower_bound=0.0001)
_THRESH = flags.DEFINE_float("threshold_scale", 1.0, "Multiply early-stopping thresholds.", lower_bound=0.0)
_POP = flags.DEFINE_integer("population", 100, "Population size.", lower_bound=2)
_INIT = flags.DEFINE_integer("initial_size", 1000, "Random genomes in the initial stage.", lower_bound=2)
_TOUR = flags.DEFINE_integer("tournament", 20, "Tournament size (drawn with replacement).", lower_bound=1)
_ITERS = flags.DEFINE_integer("iterations", 2000, "Evolution iterations.", lower_bound=0)
_BATCH = flags.DEFINE_integer("batch", 1, "Candidates asked and evaluated at once.", lower_bound=1)
_K = flags.DEFINE_integer(
    "batched_k",
    0,
    "Train K candidates at once in one compiled program (population-batched "
    "evaluation, lossevo.fitness.BatchedSurrogateFitness); implies --batch >= K. 0: one at a time.",
    lower_bound=0,
)
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the whole run.")
_SEEDS = flags.DEFINE_list("seed_losses", [], "Named losses added to the initial population.")
_SMALL = flags.DEFINE_bool("small", False, "Smoke-run sizes: offline synthetic data, tiny budgets.")
_STUB_DELAY = flags.DEFINE_float("stub_delay", 0.0, "Seconds per evaluation of the 'stub' fitness.")
_ISOLATE = flags.DEFINE_bool(
    "isolate",
    True,
    "Evaluate in a worker process recycled every --recycle_every candidates "
    "(keeps memory flat over a long search; a crashing evaluation fails only its candidate).",
)
_RECYCLE = flags.DEFINE_integer(
    "recycle_every",
    50,
    "Tasks per worker process (a task is one candidate, or K with --batched_k).",
    lower_bound=1,
)
_REPR = flags.DEFINE_enum(
    "representation",
    "graph",
    ["graph", "tree"],
    "Search space: 'graph' (hidden-state graphs, regularized evolution; papers 000/002) or 'tree' "
    "(expression trees, genetic programming; paper 003: --population is n, --iterations is T).",
)
_EXECUTOR = flags.DEFINE_enum(
    "executor",
    "local",
    ["local", "ray"],
    "'local': evaluate here, --batch at a time; 'ray': steady-state search with --max_in_flight "
    "evaluations as Ray tasks (pip install 'lossevo[ray]').",
)
_RAY_ADDRESS = flags.DEFINE_string("ray_address", None, "Ray cluster address (default: start a local Ray).")
_IN_FLIGHT = flags.DEFINE_integer("max_in_flight", 2, "Evaluations running at once with --executor=ray.",
                                  lower_bound=1)  # fmt: skip
_GPUS = flags.DEFINE_float("gpus_per_task", None, "GPUs per Ray task (default: 1 if the cluster has GPUs).")
_SBATCH = flags.DEFINE_integer(
    "surrogate_batch", None, "Override the surrogates' batch size (smoke runs on a CPU).", lower_bound=1
)
_SYN = flags.DEFINE_integer(
    "synthetic_train", 4000, "Training images of the synthetic dataset.", lower_bound=100
)

# --small: paper 002's initial fitness alone (convnet_standard for both stages, so the
# rescore stage is answered from the fitness cache) at 2% of its steps.
SMALL = {"population": 4, "initial_size": 12, "tournament": 3, "iterations": 5, "scale": 0.1,
         "threshold_scale": 0.5, "synthetic_train": 2000, "initial_fitness": "convnet_standard",
         "fitness": "convnet_standard", "surrogate_batch": 32}  # fmt: skip


def _value(flag, key):
    """A flag's value, or the --small preset when --small is set and the flag was not given."""
    if _SMALL.value and key in SMALL and not flags.FLAGS[flag.name].present:
        return SMALL[key]
    return flag.value


def _fitness(name, dataset_kwargs, scale, threshold_scale, pool, k):
    from lossevo import fitness

    if name == "stub":
        return fitness.HashFitness("stub", delay=_STUB_DELAY.value)
    try:
        fitness.surrogates.canonical_name(name)
    except ValueError as e:
        raise app.UsageError(f"--fitness/--initial_fitness: {e} (or 'stub')") from None
    factory = fitness.SurrogateFactory.make(
        name, _DATASET.value, dataset_kwargs, scale=scale, augmentation=_AUGMENT.value,
        threshold_scale=threshold_scale, population=k, batch_size=_value(_SBATCH, "surrogate_batch"),
    )  # fmt: skip
    return fitness.IsolatedFitness(factory, pool, chunk_size=max(1, k)) if pool is not None else factory()


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    import tensorflow as tf

    from lossevo import figures
    from lossevo.evolution import SearchConfig, run_search
    from lossevo.gp.kinds import to_paper  # formulas of either representation

    tree = _REPR.value == "tree"
    if _EXECUTOR.value == "ray" and _K.value:
        raise app.UsageError(
            "--batched_k cannot be used with --executor=ray: it runs one candidate per Ray task"
        )
    if tree and _K.value:
        raise app.UsageError(
            "--batched_k trains graph genomes only (its interpreted loss); drop it for trees"
        )
    population, initial = _value(_POP, "population"), _value(_INIT, "initial_size")
    if tree:  # paper 003: n = 16, T = 100; the initial population is the first generation
        population = population if flags.FLAGS["population"].present or _SMALL.value else 16
        iterations = (
            _value(_ITERS, "iterations") if flags.FLAGS["iterations"].present or _SMALL.value else 100
        )
        initial = population
    else:
        iterations = _value(_ITERS, "iterations")
    if population > initial:
        raise app.UsageError(f"--population ({population}) cannot exceed --initial_size ({initial})")
    scale, thresholds = _value(_SCALE, "scale"), _value(_THRESH, "threshold_scale")
    initial_name, fitness_name = _value(_INITIAL, "initial_fitness"), _value(_FITNESS, "fitness")
    if _PAIRING.value is not None:
        from lossevo.fitness.surrogates import PAIRINGS

        paired = PAIRINGS[_PAIRING.value]
        initial_name = _INITIAL.value if flags.FLAGS["initial_fitness"].present else paired[0]
        fitness_name = _FITNESS.value if flags.FLAGS["fitness"].present else paired[1]

    from lossevo.data.sources import LOADERS

    if _DATASET.value not in LOADERS:
        raise app.UsageError(f"--dataset {_DATASET.value!r}: known datasets are {', '.join(sorted(LOADERS))}")
    if _DATASET.value == "synthetic":
        dataset_kwargs = {
            "num_train": _value(_SYN, "synthetic_train"),
            "num_validation": 1000,
            "num_test": 10,
        }
    else:
        dataset_kwargs = {"data_dir": _DATA_DIR.value}

    config = SearchConfig(
        seed=_SEED.value, population_size=population, initial_size=initial,
        tournament_size=_value(_TOUR, "tournament"), iterations=iterations, representation=_REPR.value,
        batch_size=max(_BATCH.value, _K.value), initial_fitness=initial_name, fitness=fitness_name,
        seeds=tuple(_SEEDS.value), flip_rule=_FLIP_RULE.value,
        extra={"dataset": _DATASET.value, "scale": scale, "threshold_scale": thresholds,
               "augmentation": _AUGMENT.value, "surrogate_batch": _value(_SBATCH, "surrogate_batch")},
    )  # fmt: skip
    workdir = _WORKDIR.value
    os.makedirs(workdir, exist_ok=True)
    writer = tf.summary.create_file_writer(os.path.join(workdir, "tb"))

    def progress(engine, row):
        i = row["iteration"] + 1
        child = "skipped" if row["fitness"] is None else f"{row['fitness']:.4f}"
        print(f"iter {i:5d}/{config.iterations}  child {child:>8}  best {row['best']:.4f}  "
              f"median {row['median']:.4f}  mean {row['mean']:.4f}", flush=True)  # fmt: skip
        with writer.as_default():
            for k in ("best", "median", "mean", "min"):
                tf.summary.scalar(f"population/{k}", row[k], step=i)
            if row["fitness"] is not None:
                tf.summary.scalar("child/fitness", row["fitness"], step=i)

    def evaluated(record):  # the stages before evolution: one line per evaluation
        if record["stage"] in ("init", "rescore", "initial"):
            value = "-" if record["fitness"] is None else f"{record['fitness']:.4f}"
            cached = ", cached" if record.get("cached") else ""
            print(f"{record['stage']:8s} candidate {record['candidate']:5d}  fitness {value:>7}  "
                  f"({record['status']}{cached})", flush=True)  # fmt: skip

    from lossevo.fitness import WorkerPool

    ray = _EXECUTOR.value == "ray"
    # One worker serves both stages. On Ray, each task builds the fitness from its factory.
    pool = WorkerPool(_RECYCLE.value) if _ISOLATE.value or ray else None
    try:
        k = _K.value
        initial_fitness = _fitness(config.initial_fitness, dataset_kwargs, scale, thresholds, pool, k)
        fitness = _fitness(config.fitness, dataset_kwargs, scale, thresholds, pool, k)
        if ray:
            from lossevo.evolution.ray_executor import RayExecutor
            from lossevo.evolution.steady_state import run_search_async

            with RayExecutor(_RAY_ADDRESS.value, num_gpus=_GPUS.value) as executor:
                engine = run_search_async(workdir, config, initial_fitness, fitness, executor,
                                          _IN_FLIGHT.value, on_iteration=progress, on_result=evaluated)  # fmt: skip
        else:
            engine = run_search(workdir, config, initial_fitness, fitness, on_iteration=progress,
                                on_result=evaluated)  # fmt: skip
    finally:
        if pool is not None:
            pool.close()
    writer.flush()

    members = sorted(engine.population, key=lambda m: -m.fitness)
    with open(os.path.join(workdir, "population.jsonl"), "w") as f:
        for m in members:
            f.write(json.dumps({"candidate": m.candidate_id, "fitness": m.fitness, "age": m.age,
                                "hash": m.genome.hash_hex, "formula": to_paper(m.genome),
                                "genome": m.genome.to_dict()}) + "\n")  # fmt: skip
    best = members[0]
    with open(os.path.join(workdir, "best.json"), "w") as f:
        json.dump({"fitness": best.fitness, "formula": to_paper(best.genome), "genome": best.genome.to_dict()}, f,
                  indent=1)  # fmt: skip
    figures.plot_progress(engine.history).savefig(os.path.join(workdir, "progress.png"), dpi=110)
    if not tree:  # binary phenotypes are a graph-space figure
        top = {f"#{i} {m.fitness:.3f}": m.genome for i, m in enumerate(members[:5])}
        figures.plot_phenotypes(top).savefig(os.path.join(workdir, "best_phenotypes.png"), dpi=110)
    print(f"best fitness {best.fitness:.4f}: {to_paper(best.genome)}")
    print(f"{len(engine.history)} iterations ({engine.skipped_iterations} skipped); results in {workdir}/")


if __name__ == "__main__":
    app.run(main)
