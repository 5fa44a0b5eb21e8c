"""Deprecated: the search moved to `lossevo.search` (and reading run directories to
`lossevo.runs`)."""

from lossevo._moved import resolver

_MOVED = {
    **dict.fromkeys(["Candidate", "CorruptJournalError", "FitnessResult", "GeneticProgramming", "Journal", "Member",
                     "RegularizedEvolution", "SearchConfig", "read_journal", "run_search"], "lossevo.search"),
    **{m: f"lossevo.search.{m}:" for m in ("journal", "ray_executor")},
    "rundir": "lossevo.runs.rundir:",
}  # fmt: skip
__getattr__ = resolver(__name__, _MOVED)
