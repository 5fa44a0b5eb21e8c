"""Random initialisation of genomes (docs/reference.md §2), driven by an explicit numpy Generator.

Hidden nodes are unary with p=0.7 and binary with p=0.3, the root unary with p=0.2 and
binary with p=0.8; each node draws an op of both arities (the other one stays dormant).
A hidden node's argument is uniform over slots 0–7 minus itself, a binary node's second
argument a different such slot; the root's arguments come from the hidden slots 4–7.
Whole genomes are resampled until the active graph is acyclic, reaches `y` and `y_hat`,
and passes the integrity check (docs/reference.md §3), which also sets `flip`.
"""

from __future__ import annotations

import collections
import dataclasses

import numpy as np

from lossevo.space.graph import ops as ops_lib
from lossevo.space.graph import phenotype as pheno
from lossevo.space.graph import raw as raw_lib
from lossevo.space.graph.genome import Genome
from lossevo.space.graph.raw import RawGenome, RawNode
from lossevo.space.graph.slots import HIDDEN_SLOTS

HIDDEN_BINARY_P = 0.3
ROOT_BINARY_P = 0.8
_N_UN = len(ops_lib.UNARY_OPS)
_N_BIN = len(ops_lib.BINARY_OPS)


class Uniforms:
    """Uniform draws from a Generator, fetched in blocks (scalar draws are slow)."""

    def __init__(self, rng: np.random.Generator, block: int = 4096):
        self._rng = rng
        self._block = block
        self._buf: list[float] = []

    def next(self) -> float:
        if not self._buf:
            self._buf = self._rng.random(self._block).tolist()
            self._buf.reverse()
        return self._buf.pop()

    def index(self, n: int) -> int:
        """Uniform integer in [0, n)."""
        return min(int(self.next() * n), n - 1)

    def choice_excluding(self, n: int, excluded) -> int:
        """Uniform over range(n) minus `excluded` (a collection of ints in range)."""
        k = self.index(n - len(excluded))
        for e in sorted(excluded):
            if k >= e:
                k += 1
        return k


def random_raw_batch(rng: np.random.Generator, size: int) -> np.ndarray:
    """`size` unchecked random genomes, drawn as in the authors' `Loss.setup`.

    Returns an int array `[size, 5, 5]`: for h0..h3 and the root, the fields
    `(arity, unary_index, binary_index, arg1, arg2)` with `arg2 = -1` for unary nodes.
    """
    out = np.empty((size, 5, 5), np.int64)
    hidden_slots = np.array(HIDDEN_SLOTS)
    binary = np.concatenate(
        [rng.random((size, 4)) < HIDDEN_BINARY_P, (rng.random(size) < ROOT_BINARY_P)[:, None]], 1
    )
    out[:, :, 0] = np.where(binary, 2, 1)
    out[:, :, 1] = rng.integers(0, _N_UN, (size, 5))
    out[:, :, 2] = rng.integers(0, _N_BIN, (size, 5))
    # Hidden nodes: arg1 uniform over 0..7 minus the node itself, arg2 over 0..7 minus
    # the node and arg1 (an index k over the allowed slots, shifted past each excluded one).
    k = rng.integers(0, 7, (size, 4))
    a1 = k + (k >= hidden_slots)
    lo, hi = np.minimum(a1, hidden_slots), np.maximum(a1, hidden_slots)
    k = rng.integers(0, 6, (size, 4))
    k = k + (k >= lo)
    a2 = k + (k >= hi)
    # Root: arguments from the hidden slots 4..7, distinct when binary.
    r1 = rng.integers(0, 4, size)
    k = rng.integers(0, 3, size)
    r2 = k + (k >= r1)
    out[:, :4, 3] = a1
    out[:, :4, 4] = np.where(binary[:, :4], a2, -1)
    out[:, 4, 3] = 4 + r1
    out[:, 4, 4] = np.where(binary[:, 4], 4 + r2, -1)
    return out


def structure_ok(batch: np.ndarray) -> np.ndarray:
    """Vectorised structural checks: active graph acyclic and reaching `y` and `y_hat`."""
    size = len(batch)
    adj = np.zeros((size, 9, 9), np.float32)
    rows = np.arange(size)[:, None]
    node_slots = np.arange(4, 9)[None, :]
    adj[rows, node_slots, batch[:, :, 3]] = 1
    binary = batch[:, :, 4] >= 0
    b_rows, b_nodes = np.nonzero(binary)
    adj[b_rows, b_nodes + 4, batch[b_rows, b_nodes, 4]] = 1
    reach = adj[:, 8, :] > 0
    for _ in range(5):
        reach = reach | (reach[:, :, None] & (adj > 0)).any(axis=1)
    reach[:, 8] = True
    closure = adj
    for _ in range(3):  # paths of length up to 8
        closure = np.minimum(closure + closure @ closure, 1)
    on_cycle = np.diagonal(closure, axis1=1, axis2=2) > 0
    return reach[:, 0] & reach[:, 1] & ~(on_cycle & reach).any(axis=1)


def to_raw(row) -> RawGenome:
    """A `RawGenome` from one `[5, 5]` row of `random_raw_batch` (array or nested list)."""
    rows = row.tolist() if isinstance(row, np.ndarray) else row
    return tuple(RawNode(*node) for node in rows)  # type: ignore[return-value]


@dataclasses.dataclass
class SampleStats:
    """What random initialisation rejected, by reason."""

    attempts: int = 0
    rejected: collections.Counter = dataclasses.field(default_factory=collections.Counter)


def check_raw(raw: RawGenome, flip: bool = False) -> tuple[object, tuple[int, ...], pheno.CheckResult]:
    """Structural checks then the integrity check with the curve carrying `flip` (a random
    genome starts unflipped; a mutant carries its parent's flip): (expression, topological
    order, result)."""
    expr, reason, order = raw_lib.analyse(raw)
    if expr is None:
        return None, order, pheno.CheckResult(False, reason=reason)
    return expr, order, pheno.check_curve(pheno.grid_curve(expr), flip)


def sample_population(
    n: int,
    rng: np.random.Generator,
    stats: SampleStats | None = None,
    batch_size: int = 1024,
) -> list[Genome]:
    """`n` independent valid random genomes (docs/reference.md §2–3).

    Candidates are drawn and structurally checked `batch_size` at a time; survivors go
    through the integrity check in draw order. Same seed, same genomes.
    """
    out: list[Genome] = []
    while len(out) < n:
        batch = random_raw_batch(rng, batch_size)
        ok = structure_ok(batch)
        if stats is not None:
            stats.attempts += int((~ok).sum())
            for row in batch[~ok].tolist():
                stats.rejected[raw_lib.analyse(to_raw(row))[1]] += 1
        for row in batch[ok].tolist():
            raw = to_raw(row)
            _, order, result = check_raw(raw)
            if stats is not None:
                stats.attempts += 1
                if not result.ok:
                    stats.rejected[result.reason] += 1
            if result.ok:
                out.append(raw_lib.to_genome(raw, result.flip, order))
                if len(out) == n:
                    break
    return out


def sample_genome(rng: np.random.Generator, stats: SampleStats | None = None) -> Genome:
    """One valid random genome."""
    return sample_population(1, rng, stats, batch_size=64)[0]
