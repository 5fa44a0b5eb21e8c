"""The one replay of a journal: feeds its asks and tells to a fresh engine built from the
same configuration, which then stands where the run stopped (every reader goes through it:
the resume, figures, `best_candidates`).

The engine is deterministic given its RNG and the results told, so the same asks return
the same candidates; each is checked against the journal (candidate id and hash), whose
records `read_journal` has checked against each other (a `started` record's genome hashes
to its hash: `journal.JournalCheck`), so the replayed run is the journaled one. Schema 2
journals record every ask. Schema 1 journals (lossevo's first build) did not: a sync run's
asks were `ask(batch_size)`, taken when a record names a candidate not asked yet; a
steady-state run's (header `"loop": "steady_state"`) were `ask(1)` per `started` record or
cache hit, and an `ask` record marks an ask that returned nothing after skipping iterations.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lossevo.search.journal import RecordType, ask_record
from lossevo.search.types import Candidate
from lossevo.store.errors import CorruptJournalError

_RUN, _ASK, _STARTED, _FINISHED = (t.value for t in RecordType)


@dataclasses.dataclass
class Replayed:
    """Where the replay left the run: candidates asked but not finished (in ask order), the
    `started` records of those that were started, every finished candidate with its
    `finished` record (in journal order), and the journal's records in schema 2 (with the
    asks a schema-1 journal left implicit, for `Journal.rewrite`)."""

    open: dict[int, Candidate] = dataclasses.field(default_factory=dict)
    started: dict[int, dict[str, Any]] = dataclasses.field(default_factory=dict)
    finished: list[tuple[Candidate, dict[str, Any]]] = dataclasses.field(default_factory=list)
    records: list[dict[str, Any]] = dataclasses.field(default_factory=list)


def _check(path: str, record: dict[str, Any], c: Candidate) -> None:
    if record.get("candidate") is not None and (
        record["candidate"] != c.id or record["hash"] != c.genome.hash_hex
    ):
        raise CorruptJournalError(
            f"{path}: candidate {record['candidate']} was {record['hash']} in the journal but candidate {c.id} is "
            f"{c.genome.hash_hex} on replay: the journal does not belong to this code/config"
        )


class _Replay:
    def __init__(self, path: str, engine: Any):
        self.path, self.engine, self.state = path, engine, Replayed()

    def ask(self, n: int, expected: list[int] | None = None) -> list[Candidate]:
        asked = self.engine.ask(n)
        self.state.records.append(ask_record(n, asked))
        if expected is not None and [c.id for c in asked] != expected:
            raise CorruptJournalError(
                f"{self.path}: the journal asked candidates {expected} but the engine asks "
                f"{[c.id for c in asked]} on replay: the journal does not belong to this code/config"
            )
        for c in asked:
            self.state.open[c.id] = c
        return asked

    def record(self, record: dict[str, Any]) -> None:
        c = self.state.open.get(record["candidate"])
        if c is None:
            raise CorruptJournalError(
                f"{self.path}: candidate {record['candidate']} is journaled but was not asked on replay: "
                "the journal does not belong to this code/config"
            )
        _check(self.path, record, c)
        self.state.records.append(record)
        if record["type"] == _STARTED:
            self.state.started[c.id] = record
        else:
            del self.state.open[c.id]
            self.state.started.pop(c.id, None)
            self.state.finished.append((c, record))
            self.engine.tell([(c, record["fitness"])])


def replay(
    path: str, records: list[dict[str, Any]], engine: Any, batch_size: int = 1, config_json: Any = None
) -> Replayed:
    """Replays a journal's `records` (header first) into `engine`; `batch_size` is the
    schema-1 sync loop's ask size and `config_json` the configuration a schema-1 header is
    upgraded to. Raises `CorruptJournalError` when they do not match."""
    if not records:
        return Replayed()
    header = records[0]
    r = _Replay(path, engine)
    r.state.records.append(header)
    if header.get("schema_version", 1) >= 2:
        for record in records[1:]:
            if record["type"] == _ASK:
                r.ask(record["n"], record["candidates"])
                r.state.records[-1] = record
            elif record["type"] in (_STARTED, _FINISHED):
                r.record(record)
        return r.state
    r.state.records[0] = {**header, "schema_version": 2, "config": config_json, "upgraded_from": 1}
    steady = header.get("loop") == "steady_state"
    for record in records[1:]:
        kind = record["type"]
        if kind == _ASK:  # schema 1: an ask of the steady-state loop that returned nothing
            r.ask(1, [])
        elif kind in (_STARTED, _FINISHED):
            if record["candidate"] not in r.state.open:
                if not r.ask(1 if steady else batch_size):
                    raise CorruptJournalError(
                        f"{path}: candidate {record['candidate']} is journaled but the engine has nothing to ask "
                        "on replay: the journal does not belong to this code/config"
                    )
            r.record(record)
    return r.state
