"""One operation of a search space, as data: the record both representations' op tables
(`space.graph.ops`, `space.tree.ops`) are made of."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import tensorflow as tf

# The tables' TF functions are plain TF code: autograph has nothing to convert in them (and
# cannot read one-line lambdas' source), so they are marked do_not_convert.
plain = tf.autograph.experimental.do_not_convert


@dataclasses.dataclass(frozen=True)
class Op:
    """One operation.

    Attributes:
      name: stable identifier stored in genome JSON (a namespace per representation).
      arity: 1 or 2.
      tf_fn: TensorFlow implementation (float32 tensors).
      np_fn: NumPy/SciPy implementation (float32 arrays); agrees with `tf_fn`.
      text: paper-style template; `{0}` and `{1}` are the arguments, `[...]` groups an
        argument in parentheses unless it is atomic.
      latex: LaTeX template (`str.format` style).
      sympy_fn: builds the SymPy expression from argument expressions and `eps`.
      index: the authors' integer index within its arity's table (graphs; -1 for trees).
    """

    name: str
    arity: int
    tf_fn: Callable[..., tf.Tensor]
    np_fn: Callable[..., Any]
    text: str
    latex: str
    sympy_fn: Callable[..., Any]
    index: int = -1


def make_op(name: str, arity: int, tf_fn, np_fn, text: str, latex: str, sympy_fn, index: int = -1) -> Op:
    """An `Op` whose TF function is marked for autograph to leave alone."""
    return Op(name, arity, plain(tf_fn), np_fn, text, latex, sympy_fn, index)
