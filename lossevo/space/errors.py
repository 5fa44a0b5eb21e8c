"""The error every malformed genome raises, of either representation. Imports nothing
else from lossevo, so every module that validates genomes can raise it."""

from __future__ import annotations

from typing import Any

QUOTE_LIMIT = 200  # characters of a bad value an error message quotes


def quote(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """`repr(value)`, cut to about `limit` characters (an error must not echo a megabyte)."""
    try:
        text = repr(value)
    except ValueError:  # an integer beyond Python's str conversion limit
        text = "<an integer of over 4,300 digits>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class GenomeError(ValueError):
    """A malformed genome. The message starts with the path of the bad field; it quotes at
    most about 200 characters of any bad value."""

    def __init__(self, field: str, message: str):
        field = str(field)
        self.field = field if len(field) <= QUOTE_LIMIT else field[: QUOTE_LIMIT - 1] + "…"
        super().__init__(f"{self.field}: {message}")
