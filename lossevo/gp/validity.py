"""What a tree must satisfy to enter the search (paper 003 §4.1 and App. A, SPEC §12).

- Shape: height at least `min_height` (2) and at most `max_size` (100) nodes.
- `y` and `y_hat` both appear (also enforced by `TreeGenome` itself).
- Value range: the paper discards "a loss function [whose] values were not in the range
  [1e-6, 1e6]". lossevo checks the element-wise term `f(y, ŷ)` in float32 on a grid of
  one-hot targets `y ∈ {0, 1}` and predictions `ŷ = linspace(0, 1, 1001)` (both ends
  included: a softmax can round to 0 or 1). Every value must be finite and in the range.
  Since the loss is a mean of such terms over classes, this bounds the loss of any one-hot
  target and any softmax output the same way.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from lossevo.gp import evaluate
from lossevo.gp.tree import Expr, TreeGenome, height, leaves, size

GRID_SIZE = 1001
_P = np.linspace(0.0, 1.0, GRID_SIZE, dtype=np.float32)
GRID_Y_HAT = np.stack([_P, _P])  # [2, GRID_SIZE]
GRID_Y = np.array([[0.0], [1.0]], np.float32) * np.ones_like(GRID_Y_HAT)
for _a in (GRID_Y, GRID_Y_HAT):
    _a.setflags(write=False)


@dataclasses.dataclass(frozen=True)
class Limits:
    """The search's constraints on trees (paper 003's defaults).

    Attributes:
      min_height: smallest allowed height (edges; a leaf is 0).
      max_size: largest allowed number of nodes and leaves.
      value_range: closed range every grid value of `f(y, ŷ)` must lie in.
      init_max_height: largest height random growth starts from (the paper gives none;
        Koza's ramped half-and-half uses 2–6).
      mutation_max_height: largest height of a subtree grown by subtree mutation.
      constant_range: random constants `R` are uniform here, rounded to 4 decimals (the
        paper prints its constants with 4 decimals and gives no range; its six published
        constants lie in [1.5, 3.9]).
    """

    min_height: int = 2
    max_size: int = 100
    value_range: tuple[float, float] = (1e-6, 1e6)
    init_max_height: int = 6
    mutation_max_height: int = 3
    constant_range: tuple[float, float] = (0.0, 5.0)

    def __post_init__(self):
        if not 0 <= self.min_height <= self.init_max_height:
            raise ValueError("need 0 <= min_height <= init_max_height")
        if self.max_size < 3:
            raise ValueError("max_size must be at least 3 (y and y_hat must both appear)")
        lo, hi = self.value_range
        if not lo < hi:
            raise ValueError(f"value_range must be (low, high) with low < high, got {self.value_range}")


DEFAULT_LIMITS = Limits()


@dataclasses.dataclass(frozen=True)
class TreeCheck:
    """Outcome of `check`. `reason` is "" when accepted, else one of "too_short",
    "too_large", "missing_input", "non_finite" or "out_of_range"."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


def grid_values(expr: Expr) -> np.ndarray:
    """`f(y, ŷ)` on the check grid: float32 `[2, GRID_SIZE]`, row 0 for y = 0, row 1 for y = 1."""
    out = evaluate.values(expr, GRID_Y, GRID_Y_HAT, "np")
    return np.broadcast_to(np.asarray(out, np.float32), GRID_Y_HAT.shape)


@functools.lru_cache(maxsize=16384)
def _range_reason(expr: Expr, lo: float, hi: float) -> str:
    v = grid_values(expr)
    if not np.isfinite(v).all():
        return "non_finite"
    if v.min() < np.float32(lo) or v.max() > np.float32(hi):
        return "out_of_range"
    return ""


def check_expression(expr: Expr, limits: Limits = DEFAULT_LIMITS) -> TreeCheck:
    """Checks an expression (need not be a valid `TreeGenome`) against `limits`; the cheap
    structural tests run first."""
    if size(expr) > limits.max_size:
        return TreeCheck(False, "too_large")
    if height(expr) < limits.min_height:
        return TreeCheck(False, "too_short")
    present = set(leaves(expr))
    if "y" not in present or "y_hat" not in present:
        return TreeCheck(False, "missing_input")
    reason = _range_reason(expr, *limits.value_range)
    return TreeCheck(not reason, reason)


def check(genome: TreeGenome, limits: Limits = DEFAULT_LIMITS) -> TreeCheck:
    """Checks a tree genome against the search's limits and the value range."""
    return check_expression(genome.expression, limits)
