"""A deterministic stand-in fitness for tests and smoke runs (no training)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from lossevo.evolution.search import FitnessResult
from lossevo.genome.genome import Genome


class HashFitness:
    """Fitness in [0, 1) from the genome's hash; hashes starting with "0" are rejected
    (None) and with "f" fail, so runs exercise those paths. `delay` seconds per genome."""

    def __init__(self, name: str = "stub", delay: float = 0.0):
        self.name, self.delay = name, delay

    def evaluate(self, genomes: Sequence[Genome], seeds: Sequence[int]) -> list[FitnessResult]:
        out = []
        for g in genomes:
            if self.delay:
                time.sleep(self.delay)
            h = g.hash_hex
            if h[0] == "0":
                out.append(FitnessResult(None, "rejected"))
            elif h[0] == "f":
                out.append(FitnessResult(None, "failed", {"reason": "stub failure"}))
            else:
                out.append(FitnessResult(int(h[1:7], 16) / 0xFFFFFF))
        return out
