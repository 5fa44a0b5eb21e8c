"""Reading results back from run directories, and resumable JSONL result files."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

from lossevo.evolution.journal import CorruptJournalError, read_journal
from lossevo.genome.genome import GenomeError
from lossevo.gp.kinds import AnyGenome, genome_from_dict


def journal_path(run_dir: str) -> str:
    path = os.path.join(run_dir, "journal.jsonl")
    if not os.path.exists(path):
        raise CorruptJournalError(
            f"{path}: no journal here; is {run_dir!r} a run directory of experiments/evolve.py?"
        )
    return path


def best_candidates(
    run_dir: str, k: int, stages: tuple[str, ...] = ("rescore", "evolve", "initial")
) -> dict[str, tuple[AnyGenome, float]]:
    """The best `k` distinct losses (by active-graph hash) evaluated with the surrogate
    fitness over the whole run (GP's generation 0, "initial", included): hash -> (genome, fitness). Genomes of either kind (graph
    or tree) are decoded by their `kind`."""
    records, _ = read_journal(journal_path(run_dir))
    started = {r["candidate"]: r for r in records if r["type"] == "started"}
    genomes = {r["hash"]: r["genome"] for r in started.values()}
    best: dict[str, float] = {}
    for r in records:
        if r["type"] != "finished" or r["fitness"] is None:
            continue
        stage = r.get("stage") or started.get(r["candidate"], {}).get("stage")
        if stage in stages and r["fitness"] > best.get(r["hash"], float("-inf")):
            best[r["hash"]] = r["fitness"]
    top = sorted(best, key=lambda h: (-best[h], h))[:k]
    try:
        return {h: (genome_from_dict(genomes[h]), best[h]) for h in top}
    except (KeyError, GenomeError) as e:
        raise CorruptJournalError(f"{journal_path(run_dir)}: cannot rebuild genome {e}") from None


def read_results(path: str) -> Iterator[dict[str, Any]]:
    """Records of a results file; a torn last line is skipped."""
    if not os.path.exists(path):
        return
    with open(path) as f:
        lines = f.read().split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError:
            if number == len(lines):
                return
            raise CorruptJournalError(f"{path}: line {number} is not a result record") from None


def append_result(path: str, record: dict[str, Any]) -> None:
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")
        f.flush()
        os.fsync(f.fileno())
