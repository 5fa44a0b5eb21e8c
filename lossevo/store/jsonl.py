"""Durable JSON-lines files: the one reader and writer of every run directory's records
(the search's journal, elimination and evaluation results).

Each record is one line, appended, flushed and fsynced. A kill can tear at most the last
line: the reader drops it (and the writer truncates it); any other unreadable line raises
`CorruptJournalError` naming the file and line. A path that is a directory or cannot be
read or written is a `RunDirectoryError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from lossevo.store.errors import CorruptJournalError, RunDirectoryError


def read_jsonl(
    path: str,
    what: str = "record",
    check: Callable[[dict[str, Any]], bool] | None = None,
    kind: str = "results",
    validate: Callable[[dict[str, Any], int], None] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The records of `path` and the byte length of its intact part (a torn last line is
    left out). A missing file reads as empty. `check(record)` False makes a line corrupt;
    `what` and `kind` name a line and the file in messages. `validate(record, line)` is
    called with each intact record and its line number, in order (it raises
    `CorruptJournalError` for a record that does not agree with those before it)."""
    if not os.path.exists(path):
        return [], 0
    if os.path.isdir(path):
        raise RunDirectoryError(
            f"{path} is a directory, not a {kind} file; move it away or use another directory"
        )
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise RunDirectoryError(f"{path}: cannot read it ({e.strerror})") from None
    records, good_end, start = [], 0, 0
    lines = data.split(b"\n")
    for number, line in enumerate(lines, start=1):
        end = start + len(line)
        is_last = number == len(lines)
        if line.strip():
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or (check is not None and not check(record)):
                    raise ValueError(f"not a {what}")
            except ValueError as e:
                if is_last:  # torn by a kill mid-write: drop it
                    break
                raise CorruptJournalError(f"{path}: line {number} is not a {what} ({e})") from None
            if is_last:  # complete JSON but no newline yet: still torn
                break
            if validate is not None:
                validate(record, number)
            records.append(record)
        good_end = end + (0 if is_last else 1)
        start = end + 1
    return records, good_end


class JsonlWriter:
    """Appends records durably; opening a file truncates a torn last line first."""

    def __init__(self, path: str, good_end: int | None = None):
        self.path = path
        try:
            if good_end is not None and os.path.exists(path) and os.path.getsize(path) != good_end:
                with open(path, "r+b") as f:
                    f.truncate(good_end)
            self._file = open(path, "ab")
        except OSError as e:
            raise RunDirectoryError(
                f"{path}: cannot write it ({e.strerror}); is the directory read-only?"
            ) from None

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":"), allow_nan=True).encode() + b"\n"
        self._file.write(line)
        self._file.flush()
        os.fsync(self._file.fileno())

    def reset(self) -> None:
        """Empties the file."""
        self._file.close()
        self._file = open(self.path, "wb")
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def read_results(path: str) -> list[dict[str, Any]]:
    """Records of a results file (elimination, evaluation, correlation)."""
    return read_jsonl(path, "result record")[0]


def append_result(path: str, record: dict[str, Any]) -> None:
    """Appends one record to a results file, durably."""
    writer = JsonlWriter(path)
    try:
        writer.append(record)
    finally:
        writer.close()
