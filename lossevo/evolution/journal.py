"""An append-only JSONL journal of a run: one line per event, flushed and fsynced.

Line 1 is a `run` header (configuration, seed, schema and library versions). Then, per
evaluation, a `started` record (candidate, stage, genome, hash, evaluation seed) and a
`finished` one (fitness, status). A kill can tear at most the last line: `read_journal`
drops a torn last line and reports it; any other unreadable line raises
`CorruptJournalError` naming the file and line.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable
from typing import Any

from lossevo.evolution.types import CorruptJournalError, RunDirectoryError

SCHEMA_VERSION = 1
__all__ = ["SCHEMA_VERSION", "CorruptJournalError", "Journal", "library_versions", "read_journal"]


def library_versions() -> dict[str, str]:
    import keras
    import numpy
    import tensorflow

    import lossevo

    return {
        "lossevo": lossevo.__version__, "tensorflow": tensorflow.__version__, "keras": keras.__version__,
        "numpy": numpy.__version__, "python": platform.python_version(),
    }  # fmt: skip


def read_journal(path: str) -> tuple[list[dict[str, Any]], int]:
    """Records of a journal and the byte length of its intact part (a torn last line is
    excluded). A missing file reads as empty."""
    if not os.path.exists(path):
        return [], 0
    if os.path.isdir(path):
        raise RunDirectoryError(
            f"{path} is a directory, not a journal file; move it away or use another run directory"
        )
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise RunDirectoryError(f"{path}: cannot read the journal ({e.strerror})") from None
    records, good_end, start = [], 0, 0
    lines = data.split(b"\n")
    for number, line in enumerate(lines, start=1):
        end = start + len(line)
        is_last = number == len(lines)
        if line.strip():
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or "type" not in record:
                    raise ValueError("not a journal record")
            except ValueError as e:
                if is_last:  # torn by a kill mid-write: drop it
                    break
                raise CorruptJournalError(f"{path}: line {number} is not a journal record ({e})") from None
            if is_last:  # complete JSON but no newline yet: still torn
                break
            records.append(record)
        good_end = end + (0 if is_last else 1)
        start = end + 1
    if records and records[0].get("type") != "run":
        raise CorruptJournalError(f"{path}: line 1 is not a run header")
    if records and records[0].get("schema_version") != SCHEMA_VERSION:
        raise CorruptJournalError(
            f"{path}: journal schema version {records[0].get('schema_version')!r}, expected {SCHEMA_VERSION}"
        )
    return records, good_end


class Journal:
    """Appends records durably; reopening an existing journal truncates a torn last line.
    `on_append` is called with each record once it is on disk."""

    def __init__(self, path: str, on_append: Callable[[dict[str, Any]], None] | None = None):
        self.path, self.on_append = path, on_append
        self.records, good_end = read_journal(path)
        try:
            if os.path.exists(path) and os.path.getsize(path) != good_end:
                with open(path, "r+b") as f:
                    f.truncate(good_end)
            self._file = open(path, "ab")
        except OSError as e:
            raise RunDirectoryError(
                f"{path}: cannot write the journal ({e.strerror}); is the run directory read-only?"
            ) from None

    def reset(self) -> None:
        """Empties the journal (a run directory whose run never finished an evaluation)."""
        self._file.close()
        self._file = open(self.path, "wb")
        self._file.flush()
        os.fsync(self._file.fileno())
        self.records = []

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":"), allow_nan=True).encode() + b"\n"
        self._file.write(line)
        self._file.flush()
        os.fsync(self._file.fileno())
        self.records.append(record)
        if self.on_append is not None:
            self.on_append(record)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
