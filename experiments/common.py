"""What the launchers share: how a launcher ends on a user's error (one line, an exit
status, no traceback). The dataset flags are in `data_flags`.

Imported by the scripts beside it (their folder is on `sys.path` when they run). lossevo is
imported inside the functions, so a bad flag is reported before TensorFlow loads.
"""

from __future__ import annotations

import errno
import functools
import os
import sys

from absl import app, flags

EXIT_BAD_INPUT = 2  # a bad command or bad input (flags, data, run directory): nothing was written
EXIT_RUN_DIRECTORY = EXIT_BAD_INPUT  # a run directory that cannot be used, a dataset that is not there
EXIT_RESUME = (
    1  # an error during the run (an evaluation error not about the loss, a full disk): fix it, run again
)
EXIT_EVALUATION = EXIT_RESUME
EXIT_NO_RESULT = 3  # the search finished, but no candidate passed: no best loss to report


FULL = (errno.ENOSPC, errno.EDQUOT)  # a full disk, a full quota


def flag_given(name: str) -> bool:
    return flags.FLAGS[name].present


def fail(message: str, status: int) -> None:
    """Ends the launcher with one line on stderr and `status` (no traceback)."""
    prog = os.path.basename(sys.argv[0]) or "lossevo"
    print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
    sys.exit(status)


def user_errors(main):
    """Wraps a launcher's `main`: a usage error, a bad run directory or a missing dataset
    ends with one line and exit status 2; an evaluation error that is not about the loss,
    or a full disk, with status 1 and a note that the run resumes once it is fixed."""

    @functools.wraps(main)
    def wrapped(argv):
        from lossevo.data.sources import DatasetUnavailableError
        from lossevo.search.types import EvaluationError
        from lossevo.store.errors import RunDirectoryError

        try:
            return main(argv)
        except app.UsageError as e:  # the message first and alone, not after the flags' help
            fail(f"{e} (see --help)", EXIT_BAD_INPUT)
        except (RunDirectoryError, DatasetUnavailableError) as e:
            fail(str(e), EXIT_RUN_DIRECTORY)
        except EvaluationError as e:
            fail(
                f"an evaluation failed with an error that is not about the loss, so every candidate would: "
                f"{e}. Nothing was recorded for it; fix the cause and run the same command again to resume.",
                EXIT_EVALUATION,
            )
        except OSError as e:
            if e.errno not in FULL:
                raise
            where = f" writing {e.filename}" if e.filename else ""
            fail(f"no space left on the device{where} ({e.strerror}): free some space, then run the same "
                 "command again to resume; everything finished so far is kept", EXIT_RESUME)  # fmt: skip

    return wrapped


def parse_flags(argv: list[str]) -> list[str]:
    """absl's flag parsing, a bad flag ending in one line and exit status 2 (absl prints the
    message after its usage text, with status 1). `--help` works as in absl."""
    try:
        return flags.FLAGS(argv)
    except flags.Error as e:
        fail(f"{e} (see --help)", EXIT_BAD_INPUT)
        raise  # unreachable: fail exits


def run(main) -> None:
    """`app.run` with `user_errors` and `parse_flags`. TensorFlow's start-up lines are kept
    off the terminal in this process and its workers (`lossevo._quiet`; set
    LOSSEVO_QUIET_TF=0 to see them) and its C++ logs below errors (TF_CPP_MIN_LOG_LEVEL=2),
    unless the environment says otherwise."""
    os.environ.setdefault("LOSSEVO_QUIET_TF", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app.run(user_errors(main), flags_parser=parse_flags)
