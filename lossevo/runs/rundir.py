"""Reading a search's run directory back, read-only (no lock: another process may be
running it): its configuration, its engine replayed from the journal (figures, progress),
and its best losses (elimination, evaluation). Every read goes through the journal's one
replay (`lossevo.search.replay`), so a run of either engine, from either loop, and a
journal of lossevo's first build all read the same way.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from lossevo.search import engines
from lossevo.search.config import SearchConfig, make_engine
from lossevo.search.journal import RecordType, journal_path, read_journal
from lossevo.search.replay import replay
from lossevo.space.errors import GenomeError
from lossevo.space.protocol import Genome
from lossevo.space.registry import genome_from_dict
from lossevo.store.errors import CorruptJournalError
from lossevo.store.jsonl import append_result, read_results

SURROGATE_STAGES = engines.stages_scored_by("fitness")  # every engine's stages of the search's (main) fitness

__all__ = ["Run", "append_result", "best_candidates", "load_run", "read_results"]


@dataclasses.dataclass
class Run:
    """A run directory as its journal records it: the configuration, the records, and the
    engine replayed to where the run stands (`finished` when it reached its end)."""

    path: str
    config: SearchConfig
    records: list[dict[str, Any]]
    engine: Any

    @property
    def finished(self) -> bool:
        return bool(self.engine.done)


def _journal(run_dir: str) -> str:
    path = journal_path(run_dir)
    if not os.path.exists(path):
        raise CorruptJournalError(
            f"{path}: no journal here; is {run_dir!r} a run directory of experiments/evolve.py?"
        )
    return path


def load_run(run_dir: str) -> Run:
    """Reads and replays a run directory's journal (nothing is trained or written)."""
    path = _journal(run_dir)
    records, _ = read_journal(path)
    if not records:
        raise CorruptJournalError(f"{path}: the journal is empty")
    header = records[0]
    try:
        config = SearchConfig.from_json(header["config"], header.get("schema_version", 1))
    except (KeyError, TypeError, ValueError) as e:
        raise CorruptJournalError(f"{path}: the run header's configuration cannot be read ({e})") from None
    engine = make_engine(config)
    replay(path, records, engine, config.batch_size)
    return Run(path, config, records, engine)


def best_candidates(
    run_dir: str, k: int, stages: tuple[str, ...] = SURROGATE_STAGES
) -> dict[str, tuple[Genome, float]]:
    """The best `k` distinct losses (by genome hash) evaluated with the search's fitness over
    the whole run: hash -> (genome, fitness). Genomes of any kind are decoded by `kind`."""
    path = _journal(run_dir)
    records, _ = read_journal(path)
    started = {r["candidate"]: r for r in records if r["type"] == RecordType.STARTED.value}
    genomes = {r["hash"]: r["genome"] for r in started.values()}
    best: dict[str, float] = {}
    for r in records:
        if r["type"] != RecordType.FINISHED.value or r["fitness"] is None:
            continue
        stage = r.get("stage") or started.get(r["candidate"], {}).get("stage")
        if stage in stages and r["fitness"] > best.get(r["hash"], float("-inf")):
            best[r["hash"]] = r["fitness"]
    top = sorted(best, key=lambda h: (-best[h], h))[:k]
    try:
        return {h: (genome_from_dict(genomes[h]), best[h]) for h in top}
    except (KeyError, GenomeError) as e:
        raise CorruptJournalError(f"{path}: cannot rebuild genome {e}") from None
