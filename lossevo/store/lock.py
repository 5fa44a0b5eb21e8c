"""One run per run directory: an exclusive lock held for the whole run.

    with RunLock("runs/search"):
        ...  # write the journal, the population, the figures

The lock is `fcntl.flock` on `DIR/.lock`, which also records the holder's PID. The kernel
drops it when the holder exits, however it exits (a SIGKILL included), so a crash never
leaves a stale lock. A second process on the same directory fails at once with
`RunDirectoryBusy`, naming the holder's PID. Within one process the lock is re-entrant (a
launcher and the search loop it calls both take it).
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading

from lossevo.store.errors import RunDirectoryBusy, RunDirectoryError

LOCK_FILE = ".lock"
_held: dict[str, tuple[int, int]] = {}  # real path of the directory -> (fd, depth)
_guard = threading.Lock()


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 64).decode(errors="replace").strip()
    except OSError:
        return "?"
    return text or "?"


class RunLock:
    """An exclusive, re-entrant (per process) lock on a run directory.

    Raises (on entry):
      RunDirectoryBusy: another process holds the directory; the message names its PID.
      RunDirectoryError: the directory cannot be created or written (read-only, not a
        directory, no permission), in one line.
    """

    def __init__(self, workdir: str):
        self.workdir = workdir
        self._key: str | None = None

    def acquire(self) -> RunLock:
        try:
            os.makedirs(self.workdir, exist_ok=True)
        except OSError as e:
            raise RunDirectoryError(
                f"{self.workdir}: cannot create the run directory ({e.strerror})"
            ) from None
        if not os.path.isdir(self.workdir):
            raise RunDirectoryError(f"{self.workdir}: not a directory")
        key = os.path.realpath(self.workdir)
        with _guard:
            if key in _held:
                fd, depth = _held[key]
                _held[key] = (fd, depth + 1)
                self._key = key
                return self
            path = os.path.join(self.workdir, LOCK_FILE)
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as e:
                raise RunDirectoryError(
                    f"{self.workdir}: the run directory is not writable ({e.strerror}: {path})"
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                holder = _holder(fd)
                os.close(fd)
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise RunDirectoryBusy(
                        f"{self.workdir} is in use by another run (pid {holder}); wait for it to end, "
                        "or give this run another directory"
                    ) from None
                raise RunDirectoryError(f"{self.workdir}: cannot lock {path} ({e.strerror})") from None
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            _held[key] = (fd, 1)
            self._key = key
        return self

    def release(self) -> None:
        if self._key is None:
            return
        with _guard:
            fd, depth = _held[self._key]
            if depth > 1:
                _held[self._key] = (fd, depth - 1)
            else:
                del _held[self._key]
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        self._key = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
