"""Reads genomes out of the authors' pickles, safely.

Their runs pickled `Loss` objects (with `Node`s inside), lists of them, or the whole
`GeneticAlgorithmRegularized`. `load_pickle` unpickles with an allow-list: those three
class names (rebuilt as inert records: no code of theirs runs), and the NumPy globals that
rebuild arrays and scalars — answered by inert proxies, never by NumPy's own hooks, so a
crafted dtype cannot make NumPy read bytes as object pointers; only numeric arrays are
built. Any other global — `os.system`, `builtins.eval`, … — is refused with
`LegacyPickleError` before anything is called.

Every field is measured first (`lossevo.space.bounds`): one sharing a sub-list at every
level (2^40 paths in a kilobyte) raises `GenomeError` naming it, never walked path by path.

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

from lossevo.space.bounds import check_nesting, list_items
from lossevo.space.errors import QUOTE_LIMIT, GenomeError, quote
from lossevo.space.graph import ops as ops_lib
from lossevo.space.graph.genome import Genome, Node
from lossevo.space.graph.slots import NUM_INPUTS

_LEGACY_CLASSES = {"Loss", "Node", "GeneticAlgorithmRegularized"}
_LEGACY_MODULES = {"__main__", "loss_function_evolution", "fitness_functions", "final_loss_testing"}
_NUMPY_MODULES = {
    "numpy",
    "numpy.core.multiarray",
    "numpy._core.multiarray",
    "numpy.core.numeric",
    "numpy._core.numeric",
}
# Plain numeric dtypes only: object, void/structured and pointer-like kinds are refused.
_SAFE_DTYPE_KINDS = set("biufc")
# The largest field a genome has is its 9x9 adjacency matrix (91 lists and entries, 2 levels).
_MAX_ELEMENTS, _MAX_DEPTH = 256, 4
_NODE_FIELDS = ("op_un_bin", "un", "bin")  # from_fields's arities, unary_ops, binary_ops


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


# NumPy objects are never built by NumPy's own unpickling hooks (a crafted dtype state can
# make NumPy read attacker bytes as object pointers). Inert proxies take the pickled
# arguments and state; `_materialize` then builds plain numeric arrays from them.
class _DtypeProxy:
    def __init__(self, spec: Any = None, *args: Any):
        self.spec = spec

    def __setstate__(self, state: Any) -> None:  # flags and layout are ignored on purpose
        self.state = state

    def resolve(self) -> np.dtype:
        if not isinstance(self.spec, str):
            raise LegacyPickleError(f"unsupported dtype spec {quote(self.spec)}")
        try:
            dtype = np.dtype(self.spec)
        except TypeError as e:
            raise LegacyPickleError(f"unsupported dtype {quote(self.spec)}") from e
        return dtype


class _ArrayProxy:
    def __init__(self, *args: Any):
        self.value: Any = None

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) == 5):
            raise LegacyPickleError("unexpected ndarray state")
        _, shape, dtype, fortran, raw = state
        if not isinstance(dtype, _DtypeProxy):
            raise LegacyPickleError("ndarray state without a dtype")
        shape = tuple(int(d) for d in shape)
        order = "F" if fortran else "C"
        if dtype.spec == "O8":  # object array: its elements were unpickled as usual
            if not isinstance(raw, list):
                raise LegacyPickleError("object array without a list of elements")
            self.value = raw
            return
        self.value = _numeric_array(raw, dtype, shape, order)


def _numeric_array(raw: Any, dtype: _DtypeProxy, shape: tuple, order: str) -> np.ndarray:
    dt = dtype.resolve()
    if dt.kind not in _SAFE_DTYPE_KINDS:
        raise LegacyPickleError(f"refusing a numpy array of dtype {dt} (only numeric arrays are read)")
    if isinstance(raw, str):  # protocol 0-2 pickles carry bytes as latin-1 text
        raw = raw.encode("latin-1")
    if not isinstance(raw, (bytes, bytearray)):
        raise LegacyPickleError("numeric array without raw bytes")
    count = int(np.prod(shape)) if shape else 1
    if len(raw) != count * dt.itemsize:
        raise LegacyPickleError("array bytes do not match its shape and dtype")
    return np.frombuffer(bytes(raw), dtype=dt).reshape(shape, order=order).copy()


def _reconstruct(cls: Any, shape: Any, dtype_code: Any) -> _ArrayProxy:
    return _ArrayProxy()


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    if not isinstance(dtype, _DtypeProxy):
        raise LegacyPickleError("array buffer without a dtype")
    return _numeric_array(bytes(buf), dtype, tuple(int(d) for d in shape), "F" if order == "F" else "C")


def _scalar(dtype: Any, raw: Any = None) -> Any:
    if not isinstance(dtype, _DtypeProxy):
        raise LegacyPickleError("numpy scalar without a dtype")
    return _numeric_array(raw, dtype, (), "C")[()]


def _encode(text: Any, encoding: Any = "utf-8") -> bytes:
    if not isinstance(text, str) or encoding != "latin1":
        raise LegacyPickleError("unexpected _codecs.encode call")
    return text.encode("latin1")


_SAFE_GLOBALS: dict[tuple[str, str], Any] = {
    **{(m, "_reconstruct"): _reconstruct for m in _NUMPY_MODULES},
    **{(m, "scalar"): _scalar for m in _NUMPY_MODULES},
    **{(m, "_frombuffer"): _frombuffer for m in _NUMPY_MODULES},
    ("numpy", "ndarray"): _ArrayProxy,
    ("numpy", "dtype"): _DtypeProxy,
    ("_codecs", "encode"): _encode,
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if name in _LEGACY_CLASSES and module in _LEGACY_MODULES:
            return _RECORDS[name]
        if (module, name) in _SAFE_GLOBALS:
            return _SAFE_GLOBALS[(module, name)]
        raise LegacyPickleError(
            f"refusing to load global {module}.{name}: only the authors' Loss/Node/"
            "GeneticAlgorithmRegularized objects and numeric NumPy arrays are allowed"
        )


def _materialize(value: Any) -> Any:
    return value.value if isinstance(value, _ArrayProxy) else value


def _bounded(value: Any, field: str) -> Any:
    """`value`, once it is known to be no bigger than a genome's largest field."""

    def items(v: Any) -> Any:  # an object array's elements are walked too
        return list_items(_materialize(v))

    return check_nesting(value, field, max_nodes=_MAX_ELEMENTS, max_depth=_MAX_DEPTH, children=items)


def _int_field(value: Any, field: str, allowed: range) -> int:
    value = _materialize(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise GenomeError(field, f"expected an integer, got {quote(value)}")
    if int(value) not in allowed:
        raise GenomeError(field, f"{int(value)} out of range {allowed.start}..{allowed.stop - 1}")
    return int(value)


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
    try:
        adj = np.asarray(_materialize(_bounded(adjacency, "adjacency")), dtype=np.float64)
    except (TypeError, ValueError):
        raise GenomeError("adjacency", "expected a 9x9 numeric matrix") from None
    if adj.shape != (9, 9):
        raise GenomeError("adjacency", f"expected a 9x9 matrix, got shape {adj.shape}")
    if not np.isin(adj, (0, 1, 2)).all():
        raise GenomeError("adjacency", "entries must be 0, 1 (first argument) or 2 (second argument)")
    fields = {"arities": arities, "unary_ops": unary_ops, "binary_ops": binary_ops}
    for field, seq in fields.items():
        if not isinstance(seq, (list, tuple, np.ndarray)) or len(seq) != 5:
            raise GenomeError(field, "expected 5 entries (h0..h3, root)")
    nodes = []
    for i in range(5):
        row = adj[NUM_INPUTS + i]
        field = f"adjacency[{NUM_INPUTS + i}]"
        firsts, seconds = np.flatnonzero(row == 1), np.flatnonzero(row == 2)
        un = _int_field(unary_ops[i], f"unary_ops[{i}]", range(len(ops_lib.UNARY_OPS)))
        bi = _int_field(binary_ops[i], f"binary_ops[{i}]", range(len(ops_lib.BINARY_OPS)))
        binary = _int_field(arities[i], f"arities[{i}]", range(2)) == 1
        if len(firsts) != 1 or len(seconds) != (1 if binary else 0):
            raise GenomeError(field, "expected one first argument (1) and, for binary nodes, one second (2)")
        un_name, bi_name = ops_lib.UNARY_OPS[un].name, ops_lib.BINARY_OPS[bi].name
        if binary:
            nodes.append(Node(bi_name, (int(firsts[0]), int(seconds[0])), un_name))
        else:
            nodes.append(Node(un_name, (int(firsts[0]),), bi_name))
    flip = _materialize(flip)
    if not isinstance(flip, (bool, np.bool_, int, np.integer)) or isinstance(flip, np.ndarray):
        raise GenomeError("flip", f"expected a bool, got {quote(flip)}")
    return Genome(tuple(nodes), bool(flip))


def from_legacy_loss(loss: Any) -> Genome:
    """A genome from one unpickled legacy `Loss` record; a field too big to be a genome's
    raises `GenomeError` naming it (`adj`, `flip`, `nodes`, `nodes[2].un`, `root.bin`, …)."""
    try:
        nodes = [*_materialize(_bounded(loss.nodes, "nodes")), loss.root]
        named = list(zip(nodes, [*(f"nodes[{i}]" for i in range(len(nodes) - 1)), "root"], strict=True))
        fields = [[_bounded(getattr(n, a), f"{m}.{a}") for n, m in named] for a in _NODE_FIELDS]
        return from_fields(_bounded(loss.adj, "adj"), *fields, _bounded(loss.flip, "flip"))
    except AttributeError as e:
        raise LegacyPickleError(f"not a legacy Loss object: missing {e.name!r}") from None
    except TypeError as e:
        raise LegacyPickleError(f"malformed legacy Loss object: {e}") from None


def _losses_in(obj: Any) -> list:
    """The Loss records in a pickled object, walked iteratively (cycles are tolerated)."""
    found, stack, seen = [], [obj], set()
    while stack:
        item = _materialize(stack.pop())
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, _RECORDS["Loss"]):
            found.append(item)
        elif isinstance(item, _RECORDS["GeneticAlgorithmRegularized"]):
            stack.append(_list_of(getattr(item, "gen", [])))
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        else:
            raise LegacyPickleError(f"expected Loss objects, got {type(item).__name__}")
    return found


def _list_of(value: Any) -> list:
    value = _materialize(value)
    if isinstance(value, (list, tuple)):
        return list(value)
    raise LegacyPickleError(f"expected a list of Loss objects, got {type(value).__name__}")


def loads_pickle(data: bytes) -> list[Genome]:
    """Genomes from pickled bytes (see `load_pickle`)."""
    try:
        obj = _Unpickler(io.BytesIO(data)).load()
        losses = _losses_in(obj)
        return [from_legacy_loss(loss) for loss in losses]
    except (LegacyPickleError, GenomeError):
        raise
    except Exception as e:
        raise LegacyPickleError(
            f"could not read the pickle: {type(e).__name__}: {str(e)[:QUOTE_LIMIT]}"
        ) from None


def load_pickle(path: str | os.PathLike) -> list[Genome]:
    """Genomes from an authors' pickle: a `Loss`, a list of them, or a whole GA object
    (its current population). Only allow-listed globals are loaded; see module doc."""
    with open(path, "rb") as f:
        return loads_pickle(f.read())
