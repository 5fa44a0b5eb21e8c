"""What a tree must satisfy to enter the search (paper 003 §4.1 and App. A, docs/reference.md §12).

- Shape: height at least `min_height` (2) and at most `max_size` (100) nodes.
- `y` and `y_hat` both appear (also enforced by `TreeGenome` itself).
- Value range: the paper discards "a loss function [whose] values were not in the range
  [1e-6, 1e6]". The rule is about the *loss* (docs/reference.md §12): lossevo evaluates the loss, the
  mean over classes of `f(y, ŷ)`, in float32 on the binary grid (target (1, 0), prediction
  (p, 1 − p), p = linspace(0, 1, 1001), both ends included: a softmax can round to 0 or 1).
  Every value must be finite, and the largest |value| must lie in the range: a loss that
  is flat at ~0 everywhere or reaches 1e6 is discarded. CE, MSE and NGL pass; CE is 0 at a
  perfect prediction, so the bound cannot apply to every value. `Limits(range_rule="term")`
  keeps lossevo's first reading (every class's term in the range at every grid point; it
  rejects CE, whose `y·log ŷ` term is 0 for every wrong class).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from lossevo.space.tree import evaluate
from lossevo.space.tree.expr import Expr, height, leaves, size
from lossevo.space.tree.genome import TreeGenome

GRID_SIZE = 1001
_P = np.linspace(0.0, 1.0, GRID_SIZE, dtype=np.float32)
GRID_Y_HAT = np.stack([_P, _P])  # [2, GRID_SIZE]
GRID_Y = np.array([[0.0], [1.0]], np.float32) * np.ones_like(GRID_Y_HAT)
# The binary loss grid: class 0 is the target (y = 1, ŷ = p), class 1 the other (y = 0, ŷ = 1 − p).
LOSS_Y = np.array([[1.0], [0.0]], np.float32) * np.ones_like(GRID_Y_HAT)
LOSS_Y_HAT = np.stack([_P, np.float32(1.0) - _P])
for _a in (GRID_Y, GRID_Y_HAT, LOSS_Y, LOSS_Y_HAT):
    _a.setflags(write=False)
RANGE_RULES = ("loss", "term")


@dataclasses.dataclass(frozen=True)
class Limits:
    """The search's constraints on trees (paper 003's defaults).

    Attributes:
      min_height: smallest allowed height (edges; a leaf is 0).
      max_size: largest allowed number of nodes and leaves.
      value_range: the closed range of the loss's largest |value| on the grid.
      range_rule: "loss" (the paper's: the loss's values) or "term" (lossevo's first
        reading: every class term's value on the grid lies in the range).
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
    range_rule: str = "loss"
    init_max_height: int = 6
    mutation_max_height: int = 3
    constant_range: tuple[float, float] = (0.0, 5.0)

    def __post_init__(self):
        if not 0 <= self.min_height <= self.init_max_height:
            raise ValueError("need 0 <= min_height <= init_max_height")
        if self.max_size < 3:
            raise ValueError("max_size must be at least 3 (y and y_hat must both appear)")
        if self.range_rule not in RANGE_RULES:
            raise ValueError(f"unknown range_rule {self.range_rule!r}; rules: {', '.join(RANGE_RULES)}")
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


def loss_values(expr: Expr) -> np.ndarray:
    """The loss (class mean of `f`) on the binary grid: float32 `[GRID_SIZE]`, target (1, 0),
    prediction (p, 1 − p)."""
    out = evaluate.values(expr, LOSS_Y, LOSS_Y_HAT, "np")
    return np.mean(np.broadcast_to(np.asarray(out, np.float32), LOSS_Y_HAT.shape), axis=0)


@functools.lru_cache(maxsize=16384)
def _range_reason(expr: Expr, lo: float, hi: float, rule: str = "loss") -> str:
    if rule == "term":
        v = grid_values(expr)
        low, high = v.min(), v.max()
    else:
        v = loss_values(expr)
        low = high = np.abs(v).max()
    if not np.isfinite(v).all():
        return "non_finite"
    if low < np.float32(lo) or high > np.float32(hi):
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
    reason = _range_reason(expr, *limits.value_range, limits.range_rule)
    return TreeCheck(not reason, reason)


def check(genome: TreeGenome, limits: Limits = DEFAULT_LIMITS) -> TreeCheck:
    """Checks a tree genome against the search's limits and the value range."""
    return check_expression(genome.expression, limits)
