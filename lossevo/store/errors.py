"""The run directory's errors: every reader and writer of a run directory raises these.

This module imports nothing from lossevo (the store is the bottom floor); `lossevo.search`
and `lossevo.search.types` re-export them.
"""

from __future__ import annotations


class RunDirectoryError(RuntimeError):
    """A run directory that cannot be used as it is; the message is one line that says why."""


class RunDirectoryBusy(RunDirectoryError):
    """Another process holds the run directory."""


class CorruptJournalError(RunDirectoryError):
    """A journal that cannot be read or does not belong to this run; the message names the
    file (and line)."""
