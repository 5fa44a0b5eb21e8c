"""A deterministic stand-in fitness for tests and smoke runs (no training)."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Sequence

from lossevo.search.types import EvaluationError, FitnessResult, GenomeLike


class HashFitness:
    """Fitness in [0, 1) from the genome's hash; hashes starting with "0" are rejected
    (None) and with "f" fail, so runs exercise those paths. `delay` seconds per genome;
    genomes whose hash starts with `hang_prefix` sleep `hang` seconds instead (a hung
    evaluation, for time limits). While the file `fail_while` exists every evaluation
    raises `EvaluationError` (an error not about the loss, such as a broken configuration
    that the user then fixes: for tests of stopping and resuming)."""

    def __init__(self, name: str = "stub", delay: float = 0.0, hang: float = 0.0, hang_prefix: str = "1",
                 fail_while: str | None = None):  # fmt: skip
        if delay < 0 or hang < 0:
            raise ValueError(f"delay and hang must be non-negative, got {delay} and {hang}")
        self.name, self.delay, self.hang, self.hang_prefix = name, delay, hang, hang_prefix
        self.fail_while = fail_while

    def evaluate(self, genomes: Sequence[GenomeLike], seeds: Sequence[int]) -> list[FitnessResult]:
        if self.fail_while and os.path.exists(self.fail_while):
            raise EvaluationError(f"the stub fitness fails while {self.fail_while} exists")
        out = []
        for g in genomes:
            h = g.hash_hex
            if self.hang and h.startswith(self.hang_prefix):
                time.sleep(self.hang)
            elif self.delay:
                time.sleep(self.delay)
            if h[0] == "0":
                out.append(FitnessResult(None, "rejected", {"reason": "stub rejection"}))
            elif h[0] == "f":
                out.append(FitnessResult(None, "failed", {"reason": "stub failure"}))
            else:
                out.append(FitnessResult(int(h[1:7], 16) / 0xFFFFFF))
        return out


@dataclasses.dataclass(frozen=True)
class StubFactory:
    """Builds a `HashFitness` in a worker process (`IsolatedFitness`); its time limit is a
    minute plus ten times its delay per candidate."""

    name: str = "stub"
    delay: float = 0.0
    hang: float = 0.0
    hang_prefix: str = "1"
    fail_while: str | None = None

    def __call__(self) -> HashFitness:
        return HashFitness(self.name, self.delay, self.hang, self.hang_prefix, self.fail_while)

    def time_limit(self, candidates: int) -> float:
        return 60.0 + 10.0 * self.delay * candidates
