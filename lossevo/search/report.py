"""What a search prints while it runs, for `run_search(on_result=..., on_iteration=...)`.

- A line per evaluation of the stages before evolution (1,100 of them at the papers'
  scale), with why a candidate was rejected or failed (`rejected: max train acc 0.213 <
  0.37 at step 800`); on a terminal a progress bar with the time left runs below them.
- A summary line when a stage ends: evaluated, passed, rejected, failed, the pass rate and
  the evaluation rate.
- A line per evolution iteration (the child's fitness, the population's best, median, mean).
"""

from __future__ import annotations

import collections
import dataclasses
import time
from collections.abc import Iterable
from typing import Any, TextIO

from lossevo.progress import Progress
from lossevo.search import engines


@dataclasses.dataclass
class StageCount:
    evaluated: int = 0
    cached: int = 0
    passed: int = 0
    rejected: int = 0
    failed: int = 0
    started: float = dataclasses.field(default_factory=lambda: time.monotonic())

    def add(self, record: dict[str, Any]) -> None:
        self.evaluated += 1
        self.cached += bool(record.get("cached"))
        status = record.get("status", "ok")
        self.passed += status == "ok"
        self.rejected += status == "rejected"
        self.failed += status == "failed"

    def summary(self, stage: str) -> str:
        """Counts, pass rate, and the time since the stage's first candidate was sent to
        evaluation (`SearchReport.on_started`) with the rate of fresh evaluations."""
        seconds = time.monotonic() - self.started
        fresh = self.evaluated - self.cached
        rate = f", {fresh / seconds * 3600:,.0f} evaluations/h" if fresh and seconds >= 1 else ""
        took = f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
        share = f" ({self.passed / self.evaluated:.0%} passed)" if self.evaluated else ""
        return (
            f"{stage} stage: {self.evaluated} evaluated ({self.cached} from the cache): {self.passed} passed, "
            f"{self.rejected} rejected, {self.failed} failed{share}; {took}{rate}"
        )


def evaluation_line(record: dict[str, Any]) -> str:
    """One evaluation: stage, candidate, fitness, status and why it did not pass."""
    value = "-" if record.get("fitness") is None else f"{record['fitness']:.4f}"
    status = record.get("status", "ok") + (", cached" if record.get("cached") else "")
    reason = (record.get("info") or {}).get("reason")
    why = f": {reason}" if reason and record.get("status") != "ok" else ""
    return f"{record['stage']:8s} candidate {record['candidate']:5d}  fitness {value:>7}  ({status}{why})"


def iteration_line(row: dict[str, Any], iterations: int, done: int | None = None) -> str:
    """One iteration. `done`: iterations finished so far, shown when it differs from the
    iteration's number (a steady-state search finishes its children out of order)."""
    child = "skipped" if row["fitness"] is None else f"{row['fitness']:.4f}"
    order = f"  ({done} done)" if done is not None and done != row["iteration"] + 1 else ""
    return (
        f"iter {row['iteration'] + 1:5d}/{iterations}  child {child:>8}  best {row['best']:.4f}  "
        f"median {row['median']:.4f}  mean {row['mean']:.4f}{order}"
    )


def resumed_line(done: Iterable[dict[str, Any]]) -> str | None:
    """What a resumed run had already finished, by stage (None for a fresh run)."""
    counts: dict[str, int] = collections.Counter(
        r.get("stage") or "?" for r in done if r.get("type") == "finished"
    )
    if not counts:
        return None
    stages = ", ".join(f"{stage} {n}" for stage, n in counts.items())
    return (f"resuming: {sum(counts.values())} evaluations were already finished ({stages}); "
            "the search goes on from where it stopped")  # fmt: skip


class SearchReport:
    """Prints a search's progress (see module doc).

    Args:
      stage_sizes: evaluations expected per stage before evolution (`stage_sizes(config)`);
        these stages print a line per evaluation, the others a line per iteration.
      iterations: evolution iterations (or generations) of the run.
      stream: where to write (default stdout).
      bar: force the progress bar on or off (default: on a terminal).
      done: the journal records of a resumed run, so counts and bars start where it stopped
        (or later, by `on_resumed`).
    """

    def __init__(
        self,
        stage_sizes: dict[str, int],
        iterations: int,
        stream: TextIO | None = None,
        bar: bool | None = None,
        done: Iterable[dict[str, Any]] = (),
    ):
        self.sizes, self.iterations, self.stream, self.bar = dict(stage_sizes), iterations, stream, bar
        self.counts: dict[str, StageCount] = collections.defaultdict(StageCount)
        self._previous = {stage: 0 for stage in self.sizes}
        self._progress: Progress | None = None
        self._stage: str | None = None
        self._closed: set[str] = set()
        self._iterations_seen = 0  # the loop reports a resumed run's earlier rows first
        self.on_resumed(done)

    def on_resumed(self, done: Iterable[dict[str, Any]]) -> None:
        """The journal's records where a resumed run stands (`run_search(on_resumed=...)`):
        counts and bars start there, and a line says what was done before."""
        done = list(done)
        for record in done:
            if record.get("type") == "finished" and record.get("stage") in self._previous:
                self._previous[record["stage"]] += 1
        self._closed |= {s for s, n in self._previous.items() if n >= self.sizes[s]}
        resumed = resumed_line(done)
        if resumed is not None:
            self._line(resumed)

    def _open(self, stage: str) -> Progress:
        if self._stage != stage:
            self._finish_bar()
            self._stage = stage
            total = self.sizes.get(stage)
            self._progress = Progress(total, stage, self.stream, self.bar, self._previous.get(stage, 0))
        return self._progress

    def _finish_bar(self) -> None:
        if self._progress is not None:
            self._progress.close()
            self._progress = None

    def _line(self, text: str) -> None:
        (self._progress or Progress(None, stream=self.stream, bar=False)).line(text)

    def on_started(self, record: dict[str, Any]) -> None:
        """A `started` journal record (`run_search(on_started=...)`): the first one of a
        stage starts its clock."""
        self.counts[record["stage"]]

    def on_result(self, record: dict[str, Any]) -> None:
        """A `finished` journal record (pass as `run_search(on_result=...)`)."""
        stage = record["stage"]
        self.counts[stage].add(record)
        if stage not in self.sizes:  # evolution: reported by iteration
            return
        progress = self._open(stage)
        progress.line(evaluation_line(record))
        count = self.counts[stage]
        progress.advance(passed=count.passed, rejected=count.rejected, failed=count.failed)
        if stage in self.sizes and self._previous[stage] + count.evaluated >= self.sizes[stage]:
            self._finish_bar()
            self._stage = None
            self._closed.add(stage)
            self._line(count.summary(stage))

    def on_iteration(self, engine: Any, row: dict[str, Any]) -> None:
        """An evolution iteration (pass as `run_search(on_iteration=...)`); `engine.history`
        rows come in the order they finished."""
        self._iterations_seen += 1
        self._line(iteration_line(row, self.iterations, self._iterations_seen))

    def close(self) -> None:
        """Summaries of the stages not summarised yet (evolution, an interrupted stage)."""
        self._finish_bar()
        for stage, count in self.counts.items():
            if stage not in self._closed and count.evaluated:
                self._line(count.summary(stage))
                self._closed.add(stage)


def stage_sizes(config: Any) -> dict[str, int]:
    """Evaluations per stage before evolution of a `SearchConfig` (its engine's `stages`)."""
    return engines.stage_sizes(config)
