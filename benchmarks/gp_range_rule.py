r"""How many random trees each value-range rule rejects (issue 16).

  python benchmarks/gp_range_rule.py [--trees=3000] [--seed=0]

Grows `--trees` random trees the way generation 0 does (ramped half-and-half, heights 2–6,
grow or full with probability ½), keeps those that hold both `y` and `ŷ` and fit the
shape limits, and counts the rejections of the paper's rule on the loss (`range_rule=
"loss"`) and of the first build's rule on every class term (`"term"`).
"""

from __future__ import annotations

import argparse
import collections

import numpy as np

from lossevo.space.tree import Limits, validity
from lossevo.space.tree.expr import height, leaves, size
from lossevo.space.tree.growth import generate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trees", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    limits = Limits()
    shaped, counts = 0, {rule: collections.Counter() for rule in ("loss", "term")}
    for _ in range(args.trees):
        depth = int(rng.integers(limits.min_height, limits.init_max_height + 1))
        expr = generate(rng, limits.min_height, depth, "grow" if rng.random() < 0.5 else "full", limits)
        if (
            {"y", "y_hat"} - set(leaves(expr))
            or size(expr) > limits.max_size
            or height(expr) < limits.min_height
        ):
            continue
        shaped += 1
        for rule in counts:
            counts[rule][validity.check_expression(expr, Limits(range_rule=rule)).reason or "ok"] += 1
    print(f"{args.trees} trees grown, {shaped} with both inputs and in the shape limits")
    for rule, c in counts.items():
        print(f"range_rule={rule}: rejected {shaped - c['ok']} ({dict(c)})")


if __name__ == "__main__":
    main()
