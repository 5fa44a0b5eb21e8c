r"""Where a wide population step's time goes (issue 25): the parts of one training step of
`WidePopulation` timed apart, on the ConvNet surrogate's recipe (batch 128).

  python benchmarks/profile_wide.py [--k=16] [--form=split,split_fused] [--jit=false] [--repeat=10]

Parts (median wall time of `--repeat` calls of each compiled function, after a warm-up):
- `gather`: the resident stream's batch for one step (`ResidentStream.batches`);
- `forward`: the wide network's training-mode forward pass;
- `fwd+bwd`: forward and the gradients of all weights;
- `step`: the whole compiled step (the interpreted loss, gradients, K Adams, the
  freezing selects, the metrics);
- `adam+rest` = step − fwd+bwd;
- per layer (`layer i type`): that layer's forward and backward alone on inputs of its
  shape (the other layers not run), and the sums by layer type.

Timings on a shared machine are noisy: repeat a run before trusting a difference.
"""

from __future__ import annotations

import argparse
import collections
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf

import lossevo
from lossevo.losses import catalog
from lossevo.training import recipes
from lossevo.training.inputs import ResidentStream
from lossevo.training.wide import WidePopulation


def timed(fn, *args, repeat: int) -> float:
    """Median milliseconds of `fn(*args)` (results fetched), after one warm-up call."""
    tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, fn(*args))
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args)
        tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, out)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def _random_like(value, rng):
    return tf.nest.map_structure(lambda t: tf.constant(rng.normal(size=t.shape).astype(np.float32)), value)


def profile(k: int, form: str, jit: bool, repeat: int) -> dict:
    dataset = lossevo.data.load("synthetic", num_train=1024, num_validation=64, num_test=16, seed=0)
    recipe = recipes.truncated(recipes.get("convnet_standard"), 100)
    population = WidePopulation("convnet", dataset.num_classes, recipe, k, jit_compile=jit, form=form)
    for slot in range(k):
        population.assign(slot, (catalog.CROSS_ENTROPY, catalog.BAIKAL)[slot % 2], slot)
    stream = ResidentStream(dataset, recipe)
    x, y = stream.batches([0])  # one batch all share (a round's candidates start together)
    net, rng = population.net, np.random.default_rng(0)
    out: dict[str, float] = {"gather": timed(lambda: stream.batches([3]), repeat=repeat)}
    inputs = population._inputs(tf.cast(x, tf.float32))
    out["forward"] = timed(
        tf.function(lambda a: net(a, training=True), jit_compile=jit), inputs, repeat=repeat
    )
    weight = tf.constant(rng.normal(size=(k, recipe.batch_size, dataset.num_classes)).astype(np.float32))

    def fwd_bwd(a):
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(net(a, training=True) * weight)
        return tape.gradient(total, net.trainable_variables)

    out["fwd+bwd"] = timed(tf.function(fwd_bwd, jit_compile=jit), inputs, repeat=repeat)
    out["step"] = timed(population.train_step, x, y, repeat=repeat)
    out["adam+rest"] = out["step"] - out["fwd+bwd"]
    # Each layer alone: its inputs captured from one forward pass, a random cotangent.
    by_type: dict[str, float] = collections.defaultdict(float)
    for i, args in net.trace_values(inputs, training=True):
        layer = net.wide_layers[i]
        cotangent = tf.nest.flatten(_random_like(net.layer_call(i, args, training=True), rng))

        def one(args, i=i, layer=layer, cotangent=cotangent):
            with tf.GradientTape() as tape:
                tape.watch(args)
                result = tf.nest.flatten(net.layer_call(i, args, training=True))
                total = tf.add_n([tf.reduce_sum(r * c) for r, c in zip(result, cotangent, strict=True)])
            return tape.gradient(total, [args, layer.trainable_weights], unconnected_gradients="zero")

        ms = timed(tf.function(one, jit_compile=jit), args, repeat=repeat)
        name = type(layer).__name__
        out[f"layer {i:>2} {name}"] = ms
        by_type[name] += ms
    out.update({f"all {name}": ms for name, ms in by_type.items()})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--form", default="split,split_fused", help="comma-separated WideModel forms")
    parser.add_argument("--jit", default="false")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    jit = args.jit.lower() == "true"
    forms = args.form.split(",")
    results = {form: profile(args.k, form, jit, args.repeat) for form in forms}
    print(f"K={args.k}, batch 128, jit {jit}, cores {os.cpu_count()}: ms per step (per candidate-step)")
    for part in results[forms[0]]:
        cells = "".join(f"{results[f].get(part, float('nan')):>10.1f} ({results[f].get(part, float('nan')) / args.k:>5.1f})"
                        for f in forms)  # fmt: skip
        print(f"{part:<28}{cells}")
    print(f"{'':<28}" + "".join(f"{f:>18}" for f in forms))


if __name__ == "__main__":
    main()
