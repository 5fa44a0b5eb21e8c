"""A size and depth budget for nested values read from outside (JSON dicts, legacy pickles),
checked before anything walks them path by path.

A list that holds one sub-list twice at every level is 41 objects and 300 bytes of
pickle, yet 2^40 paths: `np.asarray`, `repr` or a recursive decoder each walk every path.
`check_nesting` measures the value as those walks would see it — a sub-list counts once for
every place it appears — but visits each object once (by `id`), so it answers in time
proportional to the value's real size, and refuses before any path-by-path walk starts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lossevo.space.errors import GenomeError


def list_items(value: Any) -> Sequence | None:
    """The elements of a plain list or tuple; anything else is a leaf."""
    return value if isinstance(value, list | tuple) else None


def check_nesting(
    value: Any,
    field: str,
    *,
    max_nodes: int,
    max_depth: int,
    children: Callable[[Any], Sequence | None] = list_items,
    unit: str = "elements",
) -> Any:
    """`value`, unchanged, once it is known to be small. Raises `GenomeError(field, ...)`
    if `value`, expanded as a tree (`children(v)`: a node's children, or None for a leaf),
    has more than `max_nodes` nodes, is nested more than `max_depth` levels below its
    root, or contains itself. Each object is visited once, each edge once."""
    sizes: dict[int, int] = {}  # id -> expanded size, of every object walked already
    heights: dict[int, int] = {}  # id -> levels below it
    keep: list[Any] = []  # the objects behind those ids, alive until the walk ends
    active: set[int] = set()  # the object being walked and its ancestors
    stack: list[tuple[Any, int, Sequence | None]] = [(value, 0, None)]  # kids: on the way out
    while stack:
        node, depth, kids = stack.pop()
        key = id(node)
        if kids is None:  # on the way in
            if key in sizes:  # met before, here at another place
                if depth + heights[key] > max_depth:
                    raise GenomeError(field, f"nested deeper than {max_depth} levels")
                continue
            if key in active:
                raise GenomeError(field, "contains itself")
            if depth > max_depth:
                raise GenomeError(field, f"nested deeper than {max_depth} levels")
            keep.append(node)
            kids = children(node)
            if kids is None:
                sizes[key], heights[key] = 1, 0
                continue
            if len(kids) >= max_nodes:
                raise GenomeError(field, f"more than {max_nodes} {unit}")
            active.add(key)
            stack.append((node, depth, kids))
            stack.extend((kid, depth + 1, None) for kid in reversed(kids))
            continue
        active.discard(key)  # on the way out: every kid is sized
        size = 1 + sum(sizes[id(kid)] for kid in kids)
        if size > max_nodes:
            raise GenomeError(
                field, f"more than {max_nodes} {unit} (a shared sub-list counts at every place)"
            )
        sizes[key], heights[key] = size, 1 + max((heights[id(kid)] for kid in kids), default=-1)
    return value
