"""The run-directory store, the bottom floor: durable JSON-lines files (`jsonl`), the
run directory's lock (`lock`), results files that belong to one study (`results`) and the
errors they raise (`errors`). It imports nothing else from lossevo.

    from lossevo.store import ResultsFile, RunLock
    with RunLock(workdir):
        results = ResultsFile(f"{workdir}/results.jsonl", {"seed": 0})
        done = results.done(("loss", "run"), "accuracy")
        results.append({"loss": "ce", "run": 0, "accuracy": 0.9})
"""

from lossevo.store.errors import CorruptJournalError, RunDirectoryBusy, RunDirectoryError
from lossevo.store.jsonl import JsonlWriter, append_result, read_jsonl, read_results
from lossevo.store.lock import RunLock
from lossevo.store.results import ResultsFile

__all__ = [
    "CorruptJournalError",
    "JsonlWriter",
    "ResultsFile",
    "RunDirectoryBusy",
    "RunDirectoryError",
    "RunLock",
    "append_result",
    "read_jsonl",
    "read_results",
]
