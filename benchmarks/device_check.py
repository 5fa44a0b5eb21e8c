r"""The device check: what a GPU (or TPU) session should measure, in one run under 8 minutes
on one GPU, written as one JSON of figures.

  python benchmarks/device_check.py [--out=device_check.json] [--tiny]

Sections (each timed; an error is recorded and the next section runs):
- `ops_xla`: every op of both search spaces (34 graph ops, 10 tree operators) under XLA
  on the device against its NumPy function on a grid of float32 inputs: the largest
  difference where both are finite, and where one is finite and the other not;
- `wide_isolation`: a NaN and an inactive candidate in a wide population change nothing
  in the others, in both wide convolution forms ("grouped": cuDNN's grouped convolutions;
  "patches": patches and one batched matmul);
- `wide_equivalence`: three candidates trained wide follow their solo runs (largest
  weight difference);
- `rates`: candidates/h of the `convnet_standard` and `resnet_standard` surrogates at
  K = 1 (solo `train()`), 8, 32, 128 and 512 (wide, each K in both forms, `@K/form`:
  grouped convolutions below ~32 channels per group are slow on GPUs and the ConvNet has
  12 and 24 per candidate), at fixed steps per candidate, with the device's peak memory
  per candidate; `fastest` names the faster form at each K;
- `mixed_precision`: a solo ConvNet run under `mixed_float16` (`mixed_bfloat16` on a TPU):
  finite loss, step time;
- `notebook_04`: notebooks/04_accelerators.ipynb executed at its "small" size.

`--tiny` shrinks everything to seconds on a CPU (K = 1, 2; 3 steps; both forms): how CI
checks that the script runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf

import lossevo
from lossevo.losses import EvolvedLoss, catalog
from lossevo.space.graph import ops as graph_ops
from lossevo.space.tree import ops as tree_ops
from lossevo.training import make_trainer, recipes, train
from lossevo.training.wide import WidePopulation

CONV_FORMS = ("grouped", "patches")  # the wide model's one-op convolution forms, measured against each other

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOSSES = (catalog.CROSS_ENTROPY, catalog.NEUROLOSS1, catalog.BAIKAL, catalog.A2, catalog.BESSEL)


def ops_xla(tiny: bool) -> dict:
    grid = np.linspace(-3.0, 3.0, 61 if tiny else 601, dtype=np.float32)
    a, b = np.meshgrid(grid, grid[::7])
    rows = {}
    for space, table in (("graph", (*graph_ops.UNARY_OPS, *graph_ops.BINARY_OPS)), ("tree", tree_ops.OPS)):
        for op in table:
            args = (a,) if op.arity == 1 else (a, b)
            fn = tf.function(lambda *xs, op=op: op.tf_fn(*xs), jit_compile=True)
            got = fn(*(tf.constant(x) for x in args)).numpy()
            with np.errstate(all="ignore"):
                want = op.np_fn(*args)
            both = np.isfinite(got) & np.isfinite(want)
            scale = np.maximum(np.abs(want), 1.0)
            rows[f"{space}.{op.name}"] = {
                "max_rel_diff": float(np.max(np.abs(got - want)[both] / scale[both])) if both.any() else None,
                "finite_mismatch": int(np.sum(np.isfinite(got) != np.isfinite(want))),
            }
    worst = max((r["max_rel_diff"] or 0.0) for r in rows.values())
    return {"ops": len(rows), "worst_rel_diff": worst, "by_op": rows}


def wide_isolation(tiny: bool) -> dict:
    return {form: _isolation(form) for form in CONV_FORMS}


def _isolation(form: str) -> dict:
    recipe = recipes.scaled(recipes.get("convnet_standard"), 10, 16)
    population = WidePopulation("convnet", 10, recipe, 3, form=form)
    for slot, genome in enumerate((catalog.CROSS_ENTROPY, catalog.BAIKAL, catalog.C1)):  # C1: inf at once
        population.assign(slot, genome, slot)
    population.deactivate(1)
    frozen = population.slot_weights(1)  # weights and BatchNorm statistics
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = tf.constant(rng.normal(size=(3, 16, 32, 32, 3)).astype(np.float32))
        population.train_step(x, tf.one_hot(rng.integers(0, 10, (3, 16)), 10))
    weights = population.net.slot_weights(0)
    after = population.slot_weights(1)
    return {"form": population.net.form,
            "slot0_finite": bool(all(np.isfinite(w).all() for w in weights)),
            "nonfinite": population.nonfinite.numpy().tolist(),
            "inactive_unchanged": bool(all(np.array_equal(p, q) for p, q in zip(frozen, after, strict=True)))}  # fmt: skip


def wide_equivalence(tiny: bool) -> dict:
    dataset = lossevo.data.load("synthetic", num_train=256, num_validation=64, num_test=16, seed=0)
    recipe = recipes.scaled(recipes.get("convnet_standard"), 4 if tiny else 40, 32)
    k = 2 if tiny else 3  # each candidate is also trained solo
    trainer = make_trainer("convnet", 10, recipe, k)
    seeds = list(range(1, k + 1))
    runs = trainer.run(dataset, LOSSES[:k], seeds, steps_per_epoch=recipe.steps, keep_weights=True)
    worst = 0.0
    for genome, seed, run in zip(LOSSES[:k], seeds, runs, strict=True):
        solo = train("convnet", EvolvedLoss(genome), dataset, recipe, steps=recipe.steps,
                     steps_per_epoch=recipe.steps, seed=seed, evaluate_test=False)  # fmt: skip
        worst = max(
            worst,
            max(
                float(np.abs(a - b.numpy()).max())
                for a, b in zip(run.weights, solo.model.weights, strict=True)
            ),
        )
    return {"form": trainer.form, "data": trainer.data, "max_weight_diff": worst}


def _peak_mb() -> float | None:
    devices = tf.config.list_logical_devices("GPU")
    if not devices:
        return None
    return tf.config.experimental.get_memory_info(devices[0].name)["peak"] / 2**20


def _reset_peak() -> None:
    for d in tf.config.list_logical_devices("GPU"):
        tf.config.experimental.reset_memory_stats(d.name)


def rates(tiny: bool, budget_s: float) -> dict:
    ks = (1, 2) if tiny else (1, 8, 32, 128, 512)
    steps = 3 if tiny else 50
    dataset = lossevo.data.load("synthetic", num_train=512 if tiny else 8192, num_validation=64 if tiny else 512,
                                num_test=16, seed=0)  # fmt: skip
    out, start = {}, time.perf_counter()
    for surrogate in ("convnet_standard",) if tiny else ("convnet_standard", "resnet_standard"):
        recipe = recipes.truncated(recipes.get(surrogate), steps)
        for k in ks:
            if time.perf_counter() - start > budget_s:
                out[f"{surrogate}@{k}"] = {"skipped": "time budget"}
                continue
            for form in (None,) if k == 1 else CONV_FORMS:
                key = f"{surrogate}@{k}" + (f"/{form}" if form else "")
                if time.perf_counter() - start > budget_s:
                    out[key] = {"skipped": "time budget"}
                    continue
                out[key] = _rate(recipe, dataset, k, steps, form, tiny)
        solo = out.get(f"{surrogate}@1", {}).get("cand_h")
        for k in ks[1:]:
            rows = {form: out[f"{surrogate}@{k}/{form}"] for form in CONV_FORMS}
            for row in rows.values():
                if solo and "cand_h" in row:
                    row["vs_solo"] = row["cand_h"] / solo
            measured = {form: row["cand_h"] for form, row in rows.items() if "cand_h" in row}
            if measured:
                out[f"{surrogate}@{k}/fastest"] = max(measured, key=measured.get)
    return {"steps_per_candidate": steps, "by_config": out}


def _rate(recipe, dataset, k: int, steps: int, form: str | None, tiny: bool = False) -> dict:
    """Candidates/h of K at once (`form`: the wide model's) or of solo training (K = 1; timed
    over two candidates, one when `tiny`)."""
    try:
        _reset_peak()
        trainer = make_trainer(
            recipe.model, 10, recipe, 0 if k == 1 else k, form="auto" if k == 1 else "wide", wide_form=form
        )
        genomes = [LOSSES[i % len(LOSSES)] for i in range(k)]
        trainer.run(dataset, genomes, list(range(k)), steps_per_epoch=steps)  # compile, first round
        n = (1 if tiny else 2) if k == 1 else k
        t0 = time.perf_counter()
        trainer.run(dataset, [LOSSES[i % len(LOSSES)] for i in range(n)], list(range(100, 100 + n)),
                    steps_per_epoch=steps)  # fmt: skip
        wall = time.perf_counter() - t0
        peak = _peak_mb()
        return {
            "cand_h": 3600 * n / wall,
            "s_per_cand": wall / n,
            "peak_mb_per_cand": None if peak is None else peak / k,
        }
    except Exception as e:  # out of memory at large K, say: recorded, the next runs
        return {"error": f"{type(e).__name__}: {str(e)[:300]}"}


def mixed_precision(tiny: bool) -> dict:
    policy = "mixed_bfloat16" if tf.config.list_logical_devices("TPU") else "mixed_float16"
    dataset = lossevo.data.load("synthetic", num_train=512, num_validation=64, num_test=16, seed=0)
    steps = 4 if tiny else 200
    t0 = time.perf_counter()
    result = train("convnet", EvolvedLoss(catalog.A2), dataset, "convnet_standard", steps=steps,
                   steps_per_epoch=steps, seed=0, evaluate_test=False, mixed_precision=policy)  # fmt: skip
    return {"policy": policy, "loss_finite": bool(np.isfinite(result.history["loss"]).all()),
            "seconds": time.perf_counter() - t0, "best_val_accuracy": result.best_val_accuracy}  # fmt: skip


def notebook_04(tiny: bool) -> dict:
    import nbformat
    from nbclient import NotebookClient

    path = os.path.join(ROOT, "notebooks", "04_accelerators.ipynb")
    nb = nbformat.read(path, as_version=4)
    os.environ["LOSSEVO_NOTEBOOK_SIZE"] = "ci" if tiny else "small"
    t0 = time.perf_counter()
    workdir = tempfile.mkdtemp(
        prefix="device_check_nb_"
    )  # what the notebook writes stays out of the checkout
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": workdir}}
    ).execute()
    return {"size": os.environ["LOSSEVO_NOTEBOOK_SIZE"], "seconds": time.perf_counter() - t0}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default="device_check.json")
    parser.add_argument("--tiny", action="store_true", help="seconds on a CPU (CI)")
    parser.add_argument("--rates_budget_s", type=float, default=240.0)
    parser.add_argument("--skip", default="", help="comma-separated sections to leave out")
    args = parser.parse_args()
    report = {"devices": [d.device_type + ":" + d.name for d in tf.config.list_logical_devices()],
              "tensorflow": tf.__version__, "python": platform.python_version(), "tiny": args.tiny}  # fmt: skip
    sections = {"ops_xla": lambda: ops_xla(args.tiny), "wide_isolation": lambda: wide_isolation(args.tiny),
                "wide_equivalence": lambda: wide_equivalence(args.tiny),
                "rates": lambda: rates(args.tiny, args.rates_budget_s),
                "mixed_precision": lambda: mixed_precision(args.tiny), "notebook_04": lambda: notebook_04(args.tiny)}  # fmt: skip
    skip = {s for s in args.skip.split(",") if s}
    for name, section in sections.items():
        if name in skip:
            continue
        t0 = time.perf_counter()
        try:
            report[name] = section()
        except Exception as e:
            report[name] = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()[-2000:]}
        report[name]["section_s"] = time.perf_counter() - t0
        print(f"{name}: {report[name]['section_s']:.1f} s", flush=True)
        with open(args.out, "w") as f:  # after every section: a killed run keeps what it measured
            json.dump(report, f, indent=1)
    print(json.dumps({k: v for k, v in report.items() if k != "ops_xla"}, indent=1)[:6000])


if __name__ == "__main__":
    main()
