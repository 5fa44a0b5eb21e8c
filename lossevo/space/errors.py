"""The error every malformed genome raises, of either representation. Imports nothing
else from lossevo, so every module that validates genomes can raise it."""

from __future__ import annotations

from typing import Any

QUOTE_LIMIT = 200  # characters of a bad value an error message quotes
_BIG_INT = "<an integer of over 4,300 digits>"


class _Full(Exception):
    """The quoted text has reached its limit: stop walking the value."""


def _bounded_repr(value: Any, limit: int) -> str:
    """`repr(value)`, written only up to about `limit` characters. Lists, tuples and dicts
    are walked here, not by `repr`, so a list that shares one sub-list at every level (2^40
    paths in a kilobyte) costs `limit` characters of work, not 2^40; a string or bytes
    value is cut before `repr` copies it."""
    out: list[str] = []
    used = 0
    active: set[int] = set()  # the containers being written: a cycle prints as `[...]`

    def emit(text: str) -> None:
        nonlocal used
        out.append(text)
        used += len(text)
        if used > limit:
            raise _Full

    def walk(v: Any) -> None:
        kind = type(v)
        if kind not in (list, tuple, dict):
            if kind in (str, bytes) and len(v) > limit:
                v = v[: limit + 1]
            try:
                emit(repr(v))
            except ValueError:  # an integer beyond Python's str conversion limit
                emit(_BIG_INT)
            return
        if id(v) in active:
            emit("{...}" if kind is dict else "[...]")
            return
        active.add(id(v))
        emit({list: "[", tuple: "(", dict: "{"}[kind])
        items = v.items() if kind is dict else v
        for i, item in enumerate(items):
            if i:
                emit(", ")
            if kind is dict:
                walk(item[0])
                emit(": ")
                walk(item[1])
            else:
                walk(item)
        emit({list: "]", tuple: ",)" if len(v) == 1 else ")", dict: "}"}[kind])
        active.discard(id(v))

    try:
        walk(value)
    except _Full:
        pass
    except RecursionError:  # only with a `limit` in the thousands: each level writes a bracket
        return "".join(out) + "…"
    return "".join(out)


def quote(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """`repr(value)`, cut to about `limit` characters (an error must not echo a megabyte,
    nor spend exponential time writing one: see `_bounded_repr`)."""
    text = _bounded_repr(value, limit)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class GenomeError(ValueError):
    """A malformed genome. The message starts with the path of the bad field; it quotes at
    most about 200 characters of any bad value."""

    def __init__(self, field: str, message: str):
        field = str(field)
        self.field = field if len(field) <= QUOTE_LIMIT else field[: QUOTE_LIMIT - 1] + "…"
        super().__init__(f"{self.field}: {message}")
