"""How a command ends on an error that is the user's to fix: one line and an exit status
that says what to do (the launchers' `common.user_errors`; a notebook can print the same).

- `EXIT_BAD_INPUT` (2): a bad command or input (a run directory that cannot be used, a
  dataset that is not there); nothing was written.
- `EXIT_RESUME` (1): an error during the run (an evaluation error not about the loss, a
  full disk); everything finished is kept: fix the cause, run the same command again.
- `EXIT_NO_RESULT` (3): the search finished, but no candidate passed.
"""

from __future__ import annotations

import errno

from lossevo.data.sources import DatasetUnavailableError
from lossevo.search.types import EvaluationError
from lossevo.store.errors import RunDirectoryError

EXIT_BAD_INPUT, EXIT_RESUME, EXIT_NO_RESULT = 2, 1, 3
FULL = (errno.ENOSPC, errno.EDQUOT)  # a full disk, a full quota
NO_RESULT = ("the search finished, but no candidate passed (every one was rejected or failed), so there is no "
             "best.json; see journal.jsonl for the reasons")  # fmt: skip


def user_error(error: BaseException) -> tuple[str, int] | None:
    """The one-line message and exit status of an error the user can fix, or None for an
    error that is a bug or has a cause we cannot name (it keeps its traceback)."""
    if isinstance(error, (RunDirectoryError, DatasetUnavailableError)):
        return str(error), EXIT_BAD_INPUT
    if isinstance(error, EvaluationError):
        return (f"an evaluation failed with an error that is not about the loss, so every candidate would: "
                f"{error}. Nothing was recorded for it; fix the cause and run the same command again to "
                "resume.", EXIT_RESUME)  # fmt: skip
    if isinstance(error, OSError) and error.errno in FULL:
        where = f" writing {error.filename}" if error.filename else ""
        return (f"no space left on the device{where} ({error.strerror}): free some space, then run the same "
                "command again to resume; everything finished so far is kept", EXIT_RESUME)  # fmt: skip
    return None
