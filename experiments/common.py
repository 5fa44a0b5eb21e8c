"""What the launchers share: flags defined from a table, and one line with an exit status
for a user's error (`lossevo.runs.exits`). The dataset flags are in `data_flags`. lossevo is
imported inside functions, so a bad flag is reported before TensorFlow loads.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys

from absl import app, flags

EXIT_BAD_INPUT = 2  # lossevo.runs.exits.EXIT_BAD_INPUT, for the flag errors found before lossevo loads
F = flags.FLAGS
DEFINE = {int: flags.DEFINE_integer, float: flags.DEFINE_float, str: flags.DEFINE_string,
          bool: flags.DEFINE_bool, list: flags.DEFINE_list}  # fmt: skip


def define_all(table: dict) -> None:
    """Defines a flag per `name: (type or list of choices, default, lower bound, help)`."""
    for name, (kind, default, lower, text) in table.items():
        if isinstance(kind, list):
            flags.DEFINE_enum(name, default, kind, text)
        else:
            DEFINE[kind](name, default, text, **({} if lower is None else {"lower_bound": lower}))


@contextlib.contextmanager
def as_usage(prefix: str = ""):
    """A `ValueError` in the block (a bad setting, found before anything is written) is a usage error."""
    try:
        yield
    except ValueError as e:
        raise app.UsageError(f"{prefix}{e}") from None


def fail(message: str, status: int) -> None:
    """Ends the launcher with one line on stderr and `status` (no traceback)."""
    prog = os.path.basename(sys.argv[0]) or "lossevo"
    print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
    sys.exit(status)


def user_errors(main):
    """Wraps a launcher's `main`: a usage error, and every error `lossevo.runs.exits` names,
    ends with one line and its exit status; other errors keep their traceback."""

    @functools.wraps(main)
    def wrapped(argv):
        try:
            if len(argv) > 1:
                raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
            return main(argv)
        except app.UsageError as e:  # the message first and alone, not after the flags' help
            fail(f"{e} (see --help)", EXIT_BAD_INPUT)
        except Exception as e:
            from lossevo.runs.exits import user_error

            known = user_error(e)
            if known is None:
                raise
            fail(*known)

    return wrapped


def parse_flags(argv: list[str]) -> list[str]:
    """absl's flag parsing, a bad flag one line with exit status 2 (absl: after its usage, 1)."""
    try:
        return flags.FLAGS(argv)
    except flags.Error as e:
        fail(f"{e} (see --help)", EXIT_BAD_INPUT)
        raise  # unreachable: fail exits


def run(main) -> None:
    """`app.run` with `user_errors` and `parse_flags`; TensorFlow's start-up lines off the
    terminal (`lossevo._quiet`, LOSSEVO_QUIET_TF=0 shows them), its C++ logs below errors."""
    os.environ.setdefault("LOSSEVO_QUIET_TF", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app.run(user_errors(main), flags_parser=parse_flags)
