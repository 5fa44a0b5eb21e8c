"""Reads genomes out of the authors' pickles, safely.

Their runs pickled `Loss` objects (with `Node`s inside), lists of them, or the whole
`GeneticAlgorithmRegularized`. `load_pickle` unpickles with an allow-list: those three
class names (rebuilt as inert records: no code of theirs runs), and the few NumPy globals
that rebuild arrays and scalars. Any other global — `os.system`, `builtins.eval`, … — is
refused with `LegacyPickleError` before anything is called.

`from_fields` builds a genome from the raw fields: the 9×9 adjacency matrix (`adj[node,
arg] = 1` for the first argument, 2 for the second), each node's arity flag and op indices,
and `flip`.
"""

from __future__ import annotations

import io
import os
import pickle
from collections.abc import Sequence
from typing import Any

import numpy as np

from lossevo.genome import ops as ops_lib
from lossevo.genome.genome import NUM_INPUTS, Genome, GenomeError, Node

_LEGACY_CLASSES = {"Loss", "Node", "GeneticAlgorithmRegularized"}
_LEGACY_MODULES = {"__main__", "loss_function_evolution", "fitness_functions", "final_loss_testing"}
_SAFE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
    ("copyreg", "_reconstructor"),
    ("builtins", "object"),
}


class LegacyPickleError(ValueError):
    """A legacy pickle that could not be read, or that names a global not allowed."""


class _Record:
    """Inert stand-in for the authors' classes: keeps the pickled attributes, runs nothing."""

    legacy_class = ""

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:  # (dict, slots)
            state = {**(state[0] or {}), **(state[1] or {})}
        if not isinstance(state, dict):
            raise LegacyPickleError(f"unexpected state for {self.legacy_class}: {type(state).__name__}")
        self.__dict__.update(state)


_RECORDS = {name: type(name, (_Record,), {"legacy_class": name}) for name in _LEGACY_CLASSES}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if name in _LEGACY_CLASSES and module in _LEGACY_MODULES:
            return _RECORDS[name]
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        raise LegacyPickleError(
            f"refusing to load global {module}.{name}: only the authors' Loss/Node/"
            "GeneticAlgorithmRegularized objects and NumPy arrays are allowed"
        )


def from_fields(
    adjacency: Any,
    arities: Sequence[int],
    unary_ops: Sequence[int],
    binary_ops: Sequence[int],
    flip: bool,
) -> Genome:
    """A genome from the authors' raw fields.

    Args:
      adjacency: 9×9 matrix; row = node slot (4–8), column = argument slot; 1 marks the
        first argument, 2 the second.
      arities: per node h0..h3, root: 0 unary, 1 binary (the authors' `op_un_bin`).
      unary_ops: per node, its unary op index (0–26).
      binary_ops: per node, its binary op index (0–6).
      flip: the loss's flip flag.
    """
    adj = np.asarray(adjacency)
    if adj.shape != (9, 9):
        raise GenomeError("adjacency", f"expected a 9x9 matrix, got shape {adj.shape}")
    for field, seq in (("arities", arities), ("unary_ops", unary_ops), ("binary_ops", binary_ops)):
        if len(seq) != 5:
            raise GenomeError(field, f"expected 5 entries (h0..h3, root), got {len(seq)}")
    nodes = []
    for i in range(5):
        row = adj[NUM_INPUTS + i]
        field = f"adjacency[{NUM_INPUTS + i}]"
        firsts, seconds = np.flatnonzero(row == 1), np.flatnonzero(row == 2)
        un, bi = int(unary_ops[i]), int(binary_ops[i])
        if not 0 <= un < len(ops_lib.UNARY_OPS):
            raise GenomeError(f"unary_ops[{i}]", f"op index {un} out of range 0..26")
        if not 0 <= bi < len(ops_lib.BINARY_OPS):
            raise GenomeError(f"binary_ops[{i}]", f"op index {bi} out of range 0..6")
        if int(arities[i]) not in (0, 1):
            raise GenomeError(f"arities[{i}]", f"expected 0 (unary) or 1 (binary), got {arities[i]}")
        binary = int(arities[i]) == 1
        if len(firsts) != 1 or len(seconds) != (1 if binary else 0):
            raise GenomeError(field, "expected one first argument (1) and, for binary nodes, one second (2)")
        un_name, bi_name = ops_lib.UNARY_OPS[un].name, ops_lib.BINARY_OPS[bi].name
        if binary:
            nodes.append(Node(bi_name, (int(firsts[0]), int(seconds[0])), un_name))
        else:
            nodes.append(Node(un_name, (int(firsts[0]),), bi_name))
    return Genome(tuple(nodes), bool(flip))


def from_legacy_loss(loss: Any) -> Genome:
    """A genome from one unpickled legacy `Loss` record."""
    try:
        nodes = [*loss.nodes, loss.root]
        return from_fields(
            loss.adj,
            [n.op_un_bin for n in nodes],
            [n.un for n in nodes],
            [n.bin for n in nodes],
            bool(loss.flip),
        )
    except AttributeError as e:
        raise LegacyPickleError(f"not a legacy Loss object: missing {e.name!r}") from None


def _losses_in(obj: Any) -> list:
    if isinstance(obj, _RECORDS["Loss"]):
        return [obj]
    if isinstance(obj, _RECORDS["GeneticAlgorithmRegularized"]):
        return list(getattr(obj, "gen", []))
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [x for item in obj for x in _losses_in(item)]
    raise LegacyPickleError(f"expected Loss objects, got {type(obj).__name__}")


def loads_pickle(data: bytes) -> list[Genome]:
    """Genomes from pickled bytes (see `load_pickle`)."""
    try:
        obj = _Unpickler(io.BytesIO(data)).load()
    except LegacyPickleError:
        raise
    except Exception as e:
        raise LegacyPickleError(f"could not unpickle: {type(e).__name__}: {e}") from None
    return [from_legacy_loss(loss) for loss in _losses_in(obj)]


def load_pickle(path: str | os.PathLike) -> list[Genome]:
    """Genomes from an authors' pickle: a `Loss`, a list of them, or a whole GA object
    (its current population). Only allow-listed globals are loaded; see module doc."""
    with open(path, "rb") as f:
        return loads_pickle(f.read())
