"""A results file that belongs to one study: the one reader and writer of the JSON-lines
results of elimination, evaluation and the correlation study.

    results = ResultsFile(path, {"surrogate": "convnet_standard", "seed": 0})
    done = results.done(("index", "augmentation"), "fitness")  # what is there already
    results.append({"index": 3, "augmentation": "base", "fitness": 0.71})  # identity added

Every record carries the study's identity fields; reading a file whose records name another
study raises `RunDirectoryError` naming the file and each field that differs, so that a
resumed run never mixes two studies' results. A torn last line (a kill mid-write) is left
out when reading, as `read_jsonl` does, and cut off before the next append.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lossevo.store.errors import RunDirectoryError
from lossevo.store.jsonl import JsonlWriter, read_jsonl

Differ = dict[str, tuple[Any, Any]]  # field -> (the file's value, this study's value)


class ResultsFile:
    """The results file at `path` of the study `identity` (field -> value).

    A record that lacks an identity field is not checked on it (files written before the
    field existed), unless `defaults` gives the value such a record stands for.

    The refusal reads "{path} holds another {what} ({field}: file X, {now} Y; ...); {advice}";
    `message(path, differ)` replaces it (`differ`: field -> (file's value, this value)).
    """

    def __init__(
        self,
        path: str,
        identity: Mapping[str, Any],
        *,
        what: str = "study",
        now: str = "now",
        advice: str = "use another directory",
        defaults: Mapping[str, Any] | None = None,
        message: Callable[[str, Differ], str] | None = None,
    ):
        self.path = path
        self.identity = dict(identity)
        self.what, self.now, self.advice = what, now, advice
        self.defaults = dict(defaults or {})
        self.message = message
        self._good_end: int | None = None  # the intact length read last, until the next append

    def differ(self, record: Mapping[str, Any]) -> Differ:
        """The identity fields on which `record` differs from this study."""
        out = {}
        for field, value in self.identity.items():
            if field in record or field in self.defaults:
                stored = record.get(field, self.defaults.get(field))
                if stored != value:
                    out[field] = (stored, value)
        return out

    def refusal(self, differ: Differ) -> str:
        if self.message is not None:
            return self.message(self.path, differ)
        fields = "; ".join(f"{k}: file {a}, {self.now} {b}" for k, (a, b) in differ.items())
        return f"{self.path} holds another {self.what} ({fields}); {self.advice}"

    def records(self) -> list[dict[str, Any]]:
        """The file's intact records ([] when there is none). Raises `RunDirectoryError` for
        a record of another study, `CorruptJournalError` for an unreadable line."""
        records, self._good_end = read_jsonl(self.path, "result record")
        for record in records:
            differ = self.differ(record)
            if differ:
                raise RunDirectoryError(self.refusal(differ))
        return records

    def done(
        self, key: Sequence[str] | Callable[[dict[str, Any]], Any], value: str | None = None
    ) -> dict[Any, Any]:
        """The records by key: `key` names the fields of a tuple key (or computes it); the
        value is the record, or its field `value`. A later record of a key wins."""
        make = key if callable(key) else (lambda r: tuple(r[k] for k in key))
        return {make(r): (r if value is None else r[value]) for r in self.records()}

    def append(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Appends `record` with the identity fields, durably; returns what was written."""
        full = {**record, **self.identity}
        writer = JsonlWriter(self.path, self._good_end)
        self._good_end = None
        try:
            writer.append(full)
        finally:
            writer.close()
        return full
