"""The JSON envelope every genome representation shares: parsing text, and checking a
genome object's `schema_version`, `kind` and fields. Imports nothing else from lossevo but
the error it raises."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lossevo.space.errors import QUOTE_LIMIT, GenomeError, quote

SCHEMA_VERSION = 1


def parse_json(text: str | bytes) -> Any:
    """JSON text of a genome; anything unreadable raises `GenomeError("<json>", ...)`."""
    try:
        return json.loads(text)
    except (ValueError, TypeError, RecursionError) as e:  # ValueError: bad JSON, 5,000-digit numbers
        raise GenomeError("<json>", f"not valid JSON: {str(e)[:QUOTE_LIMIT]}") from None


def check_header(data: Any, kind: str, fields: set[str], default_kind: str | None = None) -> None:
    """Checks a genome JSON object's envelope: an object, `schema_version` 1, `kind` (or
    its default when absent) and no field outside `fields`; raises `GenomeError`."""
    if not isinstance(data, Mapping):
        raise GenomeError("<genome>", f"expected a JSON object, got {type(data).__name__}")
    version = data.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        raise GenomeError(
            "schema_version", f"unsupported schema version {quote(version)}; expected {SCHEMA_VERSION}"
        )
    got = data.get("kind", default_kind)
    if not isinstance(got, str) or got != kind:
        raise GenomeError("kind", f"expected {kind!r}, got {quote(got)}")
    unknown = set(data) - {"schema_version", "kind", *fields}
    if unknown:
        raise GenomeError(sorted(map(str, unknown))[0], "unknown field")
