"""Random trees: grow, full, and ramped half-and-half (Koza), with an explicit Generator.

Terminals are drawn uniformly from {y, y_hat, R}; `R` is a new random constant each time
(`Limits.constant_range`, 4 decimals). Operators are uniform over the ten of `ops.OPS`.

- *full*: every leaf is at depth `h`.
- *grow*: operators above depth `min_height`; below it a node is a terminal with
  probability 3/13 (terminals over terminals and operators, as DEAP's `genGrow`), and
  always at depth `h`.
- *ramped half-and-half*: `h` uniform in `[min_height, init_max_height]`, then grow or full
  with probability 1/2 each.

`random_tree` resamples until the tree passes `validity.check_expression`: the paper's
"discarded ... and a new one was generated instead".
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from lossevo.space.tree import ops as ops_lib
from lossevo.space.tree.expr import Expr
from lossevo.space.tree.genome import TreeGenome
from lossevo.space.tree.validity import DEFAULT_LIMITS, Limits, check_expression

Method = Literal["grow", "full"]
N_TERMINALS = 3  # y, y_hat, R
TERMINAL_RATIO = N_TERMINALS / (N_TERMINALS + len(ops_lib.OPS))
MAX_TRIES = 100_000


def random_constant(rng: np.random.Generator, limits: Limits = DEFAULT_LIMITS) -> float:
    lo, hi = limits.constant_range
    return round(float(rng.uniform(lo, hi)), 4)


def random_terminal(rng: np.random.Generator, limits: Limits = DEFAULT_LIMITS) -> Expr:
    k = int(rng.integers(N_TERMINALS))
    return ops_lib.TERMINALS[k] if k < len(ops_lib.TERMINALS) else random_constant(rng, limits)


def generate(
    rng: np.random.Generator,
    min_height: int,
    max_height: int,
    method: Method,
    limits: Limits = DEFAULT_LIMITS,
) -> Expr:
    """One unchecked random expression of height in `[min_height, max_height]` (grow) or
    exactly `h ~ U{min_height..max_height}` (full)."""
    if method not in ("grow", "full"):
        raise ValueError(f"method must be 'grow' or 'full', got {method!r}")
    h = int(rng.integers(min_height, max_height + 1))

    def build(depth: int) -> Expr:
        if depth == h:
            leaf = True
        elif method == "full" or depth < min_height:
            leaf = False
        else:
            leaf = bool(rng.random() < TERMINAL_RATIO)
        if leaf:
            return random_terminal(rng, limits)
        op = ops_lib.OPS[int(rng.integers(len(ops_lib.OPS)))]
        return (op.name, *(build(depth + 1) for _ in range(op.arity)))

    return build(0)


def random_tree(
    rng: np.random.Generator,
    limits: Limits = DEFAULT_LIMITS,
    method: Method | None = None,
    max_tries: int = MAX_TRIES,
) -> TreeGenome:
    """A random tree that passes the search's checks (ramped half-and-half by default).

    Raises:
      RuntimeError: when `max_tries` draws all fail (limits that almost nothing meets).
    """
    for _ in range(max_tries):
        m = method or ("grow" if rng.random() < 0.5 else "full")
        expr = generate(rng, limits.min_height, limits.init_max_height, m, limits)
        if check_expression(expr, limits):
            return TreeGenome(expr)
    raise RuntimeError(f"no valid random tree in {max_tries} tries under {limits}")


def sample_trees(n: int, rng: np.random.Generator, limits: Limits = DEFAULT_LIMITS) -> list[TreeGenome]:
    """`n` valid random trees by ramped half-and-half; the `sample(n, rng)` hook of the
    engines."""
    return [random_tree(rng, limits) for _ in range(n)]
