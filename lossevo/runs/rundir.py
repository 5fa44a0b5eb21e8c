"""Reading a search's run directory back, read-only (no lock: another process may be
running it): its configuration, its engine replayed from the journal (figures, progress),
and its best losses (elimination, evaluation). Every read goes through the journal's one
replay (`lossevo.search.replay`), so a run of either engine, from either loop, and a
journal of lossevo's first build all read the same way.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any

from lossevo.search import engines
from lossevo.search.config import SearchConfig, make_engine
from lossevo.search.journal import journal_path, read_journal
from lossevo.search.replay import replay
from lossevo.search.types import Candidate
from lossevo.space.protocol import Genome
from lossevo.store.errors import CorruptJournalError
from lossevo.store.jsonl import append_result, read_results

SURROGATE_STAGES = engines.stages_scored_by("fitness")  # every engine's stages of the search's (main) fitness

__all__ = ["Run", "append_result", "best_candidates", "load_run", "read_results"]


@dataclasses.dataclass
class Run:
    """A run directory as its journal records it: the configuration, the records, the
    engine replayed to where the run stands (`finished` when it reached its end), and every
    finished candidate with its `finished` record, as the replay met them."""

    path: str
    config: SearchConfig
    records: list[dict[str, Any]]
    engine: Any
    evaluated: list[tuple[Candidate, dict[str, Any]]] = dataclasses.field(default_factory=list)

    @property
    def finished(self) -> bool:
        return bool(self.engine.done)

    def best(self, k: int, stages: tuple[str, ...] = SURROGATE_STAGES) -> dict[str, tuple[Genome, float]]:
        """The best `k` distinct losses (by genome hash) evaluated in `stages` (default: with
        the search's fitness) over the whole run: hash -> (genome, fitness), best first (ties
        by hash); genomes of any kind, as the replayed engine made them."""
        best: dict[str, tuple[Genome, float]] = {}
        for c, record in self.evaluated:
            h, fitness = record["hash"], record["fitness"]
            if c.stage in stages and fitness is not None and fitness > best.get(h, (None, -math.inf))[1]:
                best[h] = (c.genome, fitness)
        return {h: best[h] for h in sorted(best, key=lambda h: (-best[h][1], h))[:k]}


def _journal(run_dir: str) -> str:
    path = journal_path(run_dir)
    if not os.path.exists(path):
        raise CorruptJournalError(
            f"{path}: no journal here; is {run_dir!r} a run directory of experiments/evolve.py?"
        )
    return path


def load_run(run_dir: str) -> Run:
    """Reads and replays a run directory's journal (nothing is trained or written); the
    records are the replay's (a schema-1 journal's in schema 2)."""
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
    state = replay(path, records, engine, config.batch_size, config.to_json())
    return Run(path, config, state.records, engine, state.finished)


def best_candidates(
    run_dir: str, k: int, stages: tuple[str, ...] = SURROGATE_STAGES
) -> dict[str, tuple[Genome, float]]:
    """`Run.best` of the run directory, read through the one replay (`load_run`)."""
    return load_run(run_dir).best(k, stages)
