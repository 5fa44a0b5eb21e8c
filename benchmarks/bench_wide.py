r"""Candidates per hour of the wide population model against solo training and K copies
(issue 15), side by side in one run, with peak memory per candidate.

  python benchmarks/bench_wide.py [--surrogate=convnet_standard] [--steps=40]
      [--wide=4,16,64] [--copies=4,8] [--num_train=4096] [--jit=auto] [--out=FILE.json]
      [--wide_form=default,patches]

Each configuration runs in a fresh process (so its peak memory is its own): the stage's
recipe (`convnet_standard`: ConvNet, batch 128, /255, no shuffling; `resnet_standard`: the
small ResNet9v2) cut to `--steps` steps per candidate, on the offline synthetic dataset at
32×32, through `lossevo.training.make_trainer`, exactly as the surrogate fitness trains:

- `solo`: K = 1, one candidate after another through `train()` (today's solo path);
- `copies K`: K model copies in one compiled step (`form="copies"`);
- `wide K`: one wide network (`form="wide"`), in each of `--wide_form`'s forms of
  `WideModel` ("default": the device's, "split_fused" on a CPU; "split", "split_fused",
  "grouped", "patches").

The first round (K candidates: tracing, compiling) is timed apart; the rate is measured
over the next 2K candidates (3 for solo). "peak MB/cand" is the process's peak resident
memory above its footprint before the trainer was built, divided by K.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from lossevo.losses import catalog

LOSSES = (catalog.CROSS_ENTROPY, catalog.NEUROLOSS1, catalog.BAIKAL, catalog.A2, catalog.BESSEL,
          catalog.NEUROLOSS3)  # fmt: skip


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(
    surrogate: str, form: str, k: int, steps: int, num_train: int, jit, wide_form: str, queue
) -> None:
    import lossevo
    from lossevo.fitness.plans import get_spec
    from lossevo.training import make_trainer, recipes

    dataset = lossevo.data.load("synthetic", num_train=num_train, num_validation=256, num_test=64, seed=0)
    stage = get_spec(surrogate).stages[0]
    recipe = recipes.truncated(recipes.get(stage.recipe), steps)
    base = _peak_mb()
    population = 0 if form == "solo" else k
    trainer = make_trainer(recipe.model, dataset.num_classes, recipe, population, jit, dataset.image_size,
                           form="auto" if form == "solo" else form,
                           wide_form=wide_form if form == "wide" and wide_form != "default" else None)  # fmt: skip

    def run(n: int, first: int) -> float:
        genomes = [LOSSES[i % len(LOSSES)] for i in range(n)]
        start = time.perf_counter()
        trainer.run(dataset, genomes, list(range(first, first + n)), steps_per_epoch=steps)
        return time.perf_counter() - start

    warm = run(k, 0)
    n = 3 if form == "solo" else 2 * k
    wall = run(n, 1000)
    if form == "wide":
        form = f"wide/{trainer.population.net.form}"
    queue.put({"form": form, "k": k, "first_round_s": warm, "s_per_cand": wall / n, "cand_h": 3600 * n / wall,
               "peak_mb_per_cand": (_peak_mb() - base) / k,
               "data": getattr(trainer, "data", "solo")})  # fmt: skip


def measure(*args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--surrogate", default="convnet_standard")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--wide", default="4,16,64")
    parser.add_argument("--copies", default="4,8")
    parser.add_argument("--num_train", type=int, default=4096)
    parser.add_argument("--jit", default="auto", help="auto, true or false")
    parser.add_argument(
        "--wide_form", default="default", help="comma-separated WideModel forms of the wide rows"
    )
    parser.add_argument("--out", default=None, help="write the rows as JSON here")
    args = parser.parse_args()
    jit = {"auto": "auto", "true": True, "false": False}[args.jit.lower()]
    configs = [("solo", 1)] + [("copies", int(k)) for k in args.copies.split(",") if k]
    configs = [(form, k, "default") for form, k in configs]
    configs += [("wide", int(k), f) for f in args.wide_form.split(",") for k in args.wide.split(",") if k]
    print(f"surrogate {args.surrogate}, {args.steps} steps/candidate, cores {os.cpu_count()}, jit {args.jit}")
    print(f"{'form':<13} {'K':>4} {'data':>9} {'1st round s':>12} {'s/cand':>8} {'cand/h':>8} {'vs solo':>8} "
          f"{'peak MB/cand':>13}")  # fmt: skip
    rows, solo = [], None
    for form, k, wide_form in configs:
        r = measure(args.surrogate, form, k, args.steps, args.num_train, jit, wide_form)
        form = r["form"]
        solo = solo or r["cand_h"]
        r["vs_solo"] = r["cand_h"] / solo
        rows.append(r)
        print(f"{form:<13} {k:>4} {r['data']:>9} {r['first_round_s']:>12.1f} {r['s_per_cand']:>8.2f} "
              f"{r['cand_h']:>8.0f} {r['vs_solo']:>7.2f}x {r['peak_mb_per_cand']:>13.1f}", flush=True)  # fmt: skip
    best_copies = max((r for r in rows if r["form"] == "copies"), key=lambda r: r["cand_h"], default=None)
    best_wide = max(
        (r for r in rows if r["form"].startswith("wide")), key=lambda r: r["cand_h"], default=None
    )
    if best_copies and best_wide:
        print(f"best copies: K={best_copies['k']} {best_copies['vs_solo']:.2f}x; "
              f"best wide: {best_wide['form']} K={best_wide['k']} {best_wide['vs_solo']:.2f}x solo")  # fmt: skip
    for r in rows:
        if r["form"].startswith("wide"):
            print(f"{r['form']} K={r['k']}: {1000 * r['s_per_cand'] / args.steps:.1f} ms per candidate-step "
                  "(validation and refills included)")  # fmt: skip
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"surrogate": args.surrogate, "steps": args.steps, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
