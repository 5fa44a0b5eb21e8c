"""The binary phenotype and the integrity check on it (docs/reference.md §3), on the NumPy path.

The grid: `p = linspace(eps, 1 - eps, 1000)`, predictions `[p, 1 - p]`, targets `[0, 1]`,
so the true class's probability falls as `p` rises. `grid_curve` gives the per-example
loss before any flip. Values are float32, as in the authors' TensorFlow check, so
exact-zero steps (plateaus) are counted the same way.

The flip rule (`FLIP_RULES`): the authors' `check_integrity` evaluates the loss *as it
stands*, its current flip applied (a mutant is a copy of its parent, so it carries the
parent's flip), then assigns the new flip outright ("code", the default). "unflipped"
evaluates the curve with no flip (lossevo's earlier reading, kept as an option).

Subexpression values on the grid are memoised: random genomes and mutants share most of
their subexpressions, so a check usually evaluates only one or two new ops.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from lossevo.space.graph import ops as ops_lib
from lossevo.space.graph.genome import Genome

FLIP_RULES = ("code", "unflipped")
GRID_SIZE = 1000
CENTER_BAND = range(490, 510)  # argmin/argmax here: optimum within ~1% of 0.5
MAX_ZERO_STEPS = 10
MAX_SIGN_CHANGES = 2
FLAT_RANGE = 1e-4
SIMILARITY_THRESHOLD = 0.01

_P = np.linspace(ops_lib.EPSILON, 1 - ops_lib.EPSILON, GRID_SIZE)
GRID_Y_HAT = np.stack([_P, 1 - _P], axis=1).astype(np.float32)
GRID_Y = np.tile(np.array([[0.0, 1.0]], np.float32), (GRID_SIZE, 1))
_LEAVES = {
    "y": GRID_Y,
    "y_hat": GRID_Y_HAT,
    "one": np.float32(1.0),
    "neg_one": np.float32(-1.0),
}
for _a in _LEAVES.values():
    if isinstance(_a, np.ndarray):
        _a.setflags(write=False)


@functools.lru_cache(maxsize=8192)
def _grid_values(expr) -> np.ndarray:
    if isinstance(expr, str):
        return _LEAVES[expr]
    fn = ops_lib.OPS_BY_NAME[expr[0]].np_fn
    with np.errstate(all="ignore"):
        out = fn(*(_grid_values(child) for child in expr[1:]))
    if isinstance(out, np.ndarray):
        out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=8192)
def grid_curve(expr) -> np.ndarray:
    """`L(p)` for an expression tree (see `Genome.expression`): 1000 float32 values."""
    values = _grid_values(expr)
    with np.errstate(all="ignore"):
        if np.ndim(values) == 2:
            out = values[:, 0] + values[:, 1]
        else:  # only constants reached the root: the same value for both classes
            out = np.full(GRID_SIZE, np.float32(values) * np.float32(2), np.float32)
    out.setflags(write=False)
    return out


def normalize(x: np.ndarray) -> np.ndarray:
    """Min-max normalisation to [0, 1]; left as is when the range is below 1e-4."""
    lo, hi = x.min(), x.max()
    if abs(hi - lo) < FLAT_RANGE:
        return x
    return (x - lo) / (hi - lo)


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """Outcome of the integrity check.

    `reason` is "" when accepted, else one of: "non_finite", "optimum_near_half",
    "plateau", "oscillation" (and "cycle", "unreachable", "similar" from the search).
    """

    ok: bool
    flip: bool = False
    phenotype: np.ndarray | None = dataclasses.field(default=None, repr=False, compare=False)
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


def _forward_fill_wrapped(t: np.ndarray) -> np.ndarray:
    """Replaces each 0 with the previous non-zero entry, wrapping round from the end."""
    nz = np.flatnonzero(t)
    idx = np.where(t != 0, np.arange(t.size), -1)
    idx = np.maximum.accumulate(idx)
    idx[idx < 0] = nz[-1]  # leading zeros take the last non-zero value (wrap-around)
    return t[idx]


def check_curve(curve: np.ndarray, flip: bool = False) -> CheckResult:
    """The authors' integrity check (docs/reference.md §3) on a binary-phenotype curve.

    Args:
      curve: the per-example loss on the grid before any flip (`grid_curve`).
      flip: the flip the loss carries when it is checked (a mutant's parent's flip, under
        the "code" rule); the rules run on `L = -curve` when it is set.

    Returns:
      The verdict, the new flip (assigned outright, not toggled) and the stored phenotype:
      `L`, or `-L` when the new flip is set, min-max normalised, as the authors store it.
    """
    curve = np.asarray(curve)
    if not np.isfinite(curve).all():
        return CheckResult(False, reason="non_finite")
    if flip:
        curve = -curve
    if int(np.argmin(curve)) in CENTER_BAND or int(np.argmax(curve)) in CENTER_BAND:
        return CheckResult(False, reason="optimum_near_half")
    d = np.diff(curve)
    if (d < 0).all():
        new_flip = True
    elif (d > 0).all():
        new_flip = False
    else:
        t = np.sign(d)
        zeros = int(np.count_nonzero(t == 0))
        if zeros > MAX_ZERO_STEPS or zeros == t.size:
            return CheckResult(False, reason="plateau")
        if zeros:
            t = _forward_fill_wrapped(t)
        changes = int(np.count_nonzero(np.roll(t, 1) != t))
        if changes > MAX_SIGN_CHANGES:
            return CheckResult(False, reason="oscillation")
        new_flip = bool(t[2] != -1)
    return CheckResult(True, new_flip, normalize(-curve if new_flip else curve))


def checked_flip(genome_flip: bool, rule: str = "code") -> bool:
    """The flip a curve is checked with under `rule` (see `FLIP_RULES`)."""
    if rule not in FLIP_RULES:
        raise ValueError(f"unknown flip rule {rule!r}; rules: {', '.join(FLIP_RULES)}")
    return genome_flip if rule == "code" else False


def check(genome: Genome, rule: str = "code") -> CheckResult:
    """Integrity check of a genome's binary phenotype (NumPy path).

    Args:
      genome: the genome as it stands; under the default "code" rule its `flip` is
        applied to the curve before the rules run (for a mutant: its parent's flip).
      rule: "code" (the authors' check) or "unflipped" (ignore the genome's flip).
    """
    return check_curve(grid_curve(genome.expression), checked_flip(genome.flip, rule))


def binary_phenotype(genome: Genome, normalized: bool = True) -> np.ndarray:
    """The genome's loss on the binary grid, flip applied; min-max normalised on request."""
    curve = grid_curve(genome.expression)
    curve = -curve if genome.flip else curve
    return normalize(curve) if normalized else np.array(curve)


def is_similar(
    text: str,
    phenotype: np.ndarray,
    population_texts: frozenset[str] | set[str],
    population_phenotypes: np.ndarray | None,
) -> bool:
    """Similarity test against a population (docs/reference.md §3): same formula, or L2 <= 0.01."""
    if text in population_texts:
        return True
    if population_phenotypes is None or len(population_phenotypes) == 0:
        return False
    dist = np.linalg.norm(np.asarray(population_phenotypes) - phenotype, axis=-1)
    return bool((dist <= SIMILARITY_THRESHOLD).any())
