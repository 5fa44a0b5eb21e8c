"""A search's journal: one run directory's append-only record of a run, with typed records.

Line 1 is the `run` header (configuration, schema and library versions). Then the search
loop writes, in the order things happen:
- `ask`: an `engine.ask(n)` and the candidate ids it returned (schema 2);
- `started`: a candidate sent to evaluation (its genome, hash, stage, evaluation seed);
- `finished`: a candidate's result (fitness, status, info), told to the engine at once;
  `cached` when it came from the fitness cache.
`lossevo.search.replay.replay` feeds these to a fresh engine; every reader goes through it.
Journals of lossevo's first build (schema 1) have no `ask` records; the replay rebuilds
their asks from the loop that wrote them.

`read_journal`, which every reader calls (the resume, the replay, `best_candidates`,
figures, progress), checks each record against those before it (`JournalCheck`): a
`started` record's genome hashes to its `hash`, a `finished` record carries its candidate's
hash, a cache hit copies an earlier evaluation. An edited journal is refused, naming its
file and line, rather than trained or resumed with another loss than it says.
"""

from __future__ import annotations

import enum
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import keras
import numpy
import tensorflow

from lossevo.search.types import Candidate, FitnessResult
from lossevo.space.errors import GenomeError, quote
from lossevo.space.protocol import Genome
from lossevo.space.registry import genome_from_dict
from lossevo.store.errors import CorruptJournalError
from lossevo.store.jsonl import JsonlWriter, read_jsonl
from lossevo.version import __version__

SCHEMA_VERSION = 2
SCHEMA_VERSIONS = (1, 2)  # readable
JOURNAL = "journal.jsonl"


class RecordType(str, enum.Enum):
    RUN = "run"
    ASK = "ask"
    STARTED = "started"
    FINISHED = "finished"


def journal_path(workdir: str) -> str:
    return os.path.join(workdir, JOURNAL)


def library_versions() -> dict[str, str]:
    return {"lossevo": __version__, "tensorflow": tensorflow.__version__, "keras": keras.__version__,
            "numpy": numpy.__version__, "python": platform.python_version()}  # fmt: skip


def run_header(config: dict[str, Any]) -> dict[str, Any]:
    return {"type": RecordType.RUN.value, "schema_version": SCHEMA_VERSION, "config": config,
            "versions": library_versions(), "time": time.time()}  # fmt: skip


def ask_record(n: int, asked: list[Candidate]) -> dict[str, Any]:
    return {"type": RecordType.ASK.value, "n": n, "candidates": [c.id for c in asked], "time": time.time()}


def started_record(c: Candidate, seed: int, fitness_name: str) -> dict[str, Any]:
    return {"type": RecordType.STARTED.value, "candidate": c.id, "stage": c.stage, "iteration": c.iteration,
            "attempt": c.attempt, "parent": c.parent_id, "hash": c.genome.hash_hex, "genome": c.genome.to_dict(),
            "seed": seed, "fitness_name": fitness_name, "time": time.time()}  # fmt: skip


def finished_record(
    c: Candidate, fitness_name: str, result: FitnessResult | None = None, cached: dict | None = None
) -> dict[str, Any]:
    """The record of an evaluated candidate (`result`) or of a cache hit (`cached` record)."""
    rec = {"type": RecordType.FINISHED.value, "candidate": c.id, "stage": c.stage, "hash": c.genome.hash_hex,
           "fitness_name": fitness_name}  # fmt: skip
    if cached is not None:
        rec.update(fitness=cached["fitness"], status="ok", cached=True)
    else:
        value = result.fitness if result.status == "ok" else None
        rec.update(fitness=value, status=result.status, info=result.info)
    rec["time"] = time.time()
    return rec


def _is_record(record: dict[str, Any]) -> bool:
    return record.get("type") in {t.value for t in RecordType}


def journaled_genome(record: dict[str, Any]) -> Genome:
    """The genome of a `started` record, checked against the record's `hash`: the one rule
    for every representation is the genome's own `hash_hex` (a graph's active graph and
    flip, a tree's expression), the hash the loop journals, the replay checks against the
    engine's candidate and the fitness cache and `best_candidates` key on. Raises
    `ValueError` (a `GenomeError` for a genome that cannot be decoded) saying what is wrong."""
    genome = genome_from_dict(record.get("genome"))
    if genome.hash_hex != record.get("hash"):
        raise ValueError(f"the genome of candidate {record.get('candidate')} hashes to {genome.hash_hex}, "
                         f"not to its journaled hash {record.get('hash')}")  # fmt: skip
    return genome


_INT, _NUMBER, _NONE = (int,), (int, float), (type(None),)
FIELDS: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {  # type -> field -> (types, required)
    RecordType.ASK.value: {"n": (_INT, True), "candidates": ((list,), True)},
    RecordType.STARTED.value: {
        "candidate": (_INT, True), "stage": ((str,), True), "hash": ((str,), True), "genome": ((dict,), True),
        "fitness_name": ((str,), True), "seed": (_INT, False), "iteration": (_INT, False),
        "attempt": (_INT, False), "parent": (_INT + _NONE, False),
    },
    RecordType.FINISHED.value: {
        "candidate": (_INT, True), "hash": ((str,), True), "fitness_name": ((str,), True),
        "fitness": (_NUMBER + _NONE, True), "status": ((str,), True), "stage": ((str,), False),
        "info": ((dict,), False), "cached": ((bool,), False),
    },
}  # fmt: skip
_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", dict: "an object", list: "a list",
               bool: "true or false", type(None): "null"}  # fmt: skip


def _article(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def check_fields(record: dict[str, Any]) -> None:
    """Raises `ValueError` naming the first field of `record` that is missing or of the
    wrong JSON type for its record type (`FIELDS`; a bool is not a number)."""
    for field, (types, required) in FIELDS.get(record["type"], {}).items():
        if field not in record:
            if required:
                raise ValueError(f"{_article(record['type'])} record without {field!r}")
            continue
        value = record[field]
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            wanted = " or ".join(_TYPE_NAMES[t] for t in types if not (t is int and float in types))
            raise ValueError(
                f"{_article(record['type'])} record's {field!r} is {quote(value, 60)}, not {wanted}"
            )


def _same(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)  # NaN


class JournalCheck:
    """Checks each record of a journal against the records before it, as they are read
    (`read_jsonl`'s `validate`): its fields have their types (`check_fields`); a `started` record's genome hashes to its hash
    (`journaled_genome`); a `finished` record of a started candidate carries the hash it was
    started with, and an evaluated one (not `cached`) was started; a `cached` one copies the
    fitness of an earlier evaluated `ok` record of the same fitness and hash (the cache's
    rule, `fitness_cache`). Raises `CorruptJournalError` naming the file and line."""

    def __init__(self, path: str):
        self.path = path
        self.started: dict[Any, str] = {}  # candidate -> the hash it was started with
        self.evaluated: dict[tuple[Any, Any], Any] = {}  # (fitness name, hash) -> first ok fitness

    def __call__(self, record: dict[str, Any], line: int) -> None:
        try:
            return self._check(record)
        except KeyError as e:
            what = f"a {record['type']} record without {e}"
        except RecursionError:
            what = "a genome nested too deeply"
        except (TypeError, ValueError) as e:
            what = str(e)
        raise CorruptJournalError(f"{self.path}: line {line}: {what}; the journal was edited or damaged: "
                                  "restore it, or use another run directory")  # fmt: skip

    def _check(self, record: dict[str, Any]) -> None:
        check_fields(record)
        kind, candidate = record["type"], record.get("candidate")
        if kind == RecordType.STARTED.value:
            try:
                journaled_genome(record)
            except GenomeError as e:
                raise ValueError(f"the genome of candidate {candidate} cannot be read ({e})") from None
            self.started[candidate] = record["hash"]
        elif kind == RecordType.FINISHED.value:
            h, cached = record["hash"], bool(record.get("cached"))
            if candidate in self.started and self.started[candidate] != h:
                raise ValueError(f"candidate {candidate} finished as {h} but was started as "
                                 f"{self.started[candidate]}")  # fmt: skip
            if candidate not in self.started and not cached:
                raise ValueError(f"candidate {candidate} finished (evaluated) but was never started")
            key = (record["fitness_name"], h)
            if cached and (key not in self.evaluated or not _same(self.evaluated[key], record["fitness"])):
                raise ValueError(f"the cached result of candidate {candidate} ({key[0]} fitness "
                                 f"{record['fitness']} for {h}) copies no earlier evaluation")  # fmt: skip
            if not cached and record["status"] == "ok":
                self.evaluated.setdefault(key, record["fitness"])


def read_journal(path: str) -> tuple[list[dict[str, Any]], int]:
    """A journal's records and the byte length of its intact part; a missing file reads
    as empty. Raises `CorruptJournalError` (naming file and line) for a malformed one, or
    one whose records do not agree with each other (`JournalCheck`: an edited genome)."""
    check = JournalCheck(path)
    records, good_end = read_jsonl(path, "journal record", _is_record, kind="journal", validate=check)
    if records and records[0]["type"] != RecordType.RUN.value:
        raise CorruptJournalError(f"{path}: line 1 is not a run header")
    if records and records[0].get("schema_version") not in SCHEMA_VERSIONS:
        raise CorruptJournalError(f"{path}: journal schema version {records[0].get('schema_version')!r}; "
                                  f"this lossevo reads {', '.join(map(str, SCHEMA_VERSIONS))}")  # fmt: skip
    return records, good_end


def fitness_cache(records: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(fitness name, hash) -> the first evaluated `ok` record."""
    cache: dict[tuple[str, str], dict[str, Any]] = {}
    for r in records:
        if r["type"] == RecordType.FINISHED.value and r["status"] == "ok" and not r.get("cached"):
            cache.setdefault((r["fitness_name"], r["hash"]), r)
    return cache


class Journal:
    """A run directory's journal, open for appending (a torn last line truncated first).
    `on_append(record)` is called with each record once it is on disk."""

    def __init__(self, path: str, on_append: Callable[[dict[str, Any]], None] | None = None):
        self.path, self.on_append = path, on_append
        self.records, good_end = read_journal(path)
        self._writer = JsonlWriter(path, good_end)

    @property
    def schema_version(self) -> int:
        return self.records[0]["schema_version"] if self.records else SCHEMA_VERSION

    def append(self, record: dict[str, Any]) -> None:
        self._writer.append(record)
        self.records.append(record)
        if self.on_append is not None:
            self.on_append(record)

    def reset(self) -> None:
        """Empties the journal (a run directory whose run never finished an evaluation)."""
        self._writer.reset()
        self.records = []

    def rewrite(self, records: list[dict[str, Any]]) -> None:
        """Replaces the journal's records (a schema-1 journal upgraded on resume), atomically:
        the new file is written and fsynced beside the old one, then renamed over it."""
        self._writer.close()
        tmp = f"{self.path}.upgrade"
        writer = JsonlWriter(tmp)
        try:
            for record in records:
                writer.append(record)
        finally:
            writer.close()
        os.replace(tmp, self.path)
        self.records = list(records)
        self._writer = JsonlWriter(self.path)

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
