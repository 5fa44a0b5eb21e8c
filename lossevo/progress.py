"""Progress for long runs: a tqdm bar with an ETA on a terminal, plain lines in a log.

    with Progress(total=1000, desc="init") as progress:
        for ...:
            progress.line("init candidate 3 fitness 0.41 (ok)")   # a line either way
            progress.advance()

On a terminal (`stream.isatty()`) the lines are written above a tqdm bar that shows the
count, the rate and the time left; otherwise (a log file, a pipe, CI) only the lines are
written, flushed one by one. Imports nothing else from lossevo.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from tqdm import tqdm


def is_terminal(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stdout
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """Lines, and on a terminal a bar of `total` steps (see module doc).

    Args:
      total: steps expected (None: unknown).
      desc: the bar's label.
      stream: where to write (default stdout).
      bar: force the bar on or off (default: on a terminal only).
      initial: steps already done (a resumed run).
    """

    def __init__(
        self,
        total: int | None,
        desc: str = "",
        stream: TextIO | None = None,
        bar: bool | None = None,
        initial: int = 0,
    ):
        self.stream = stream or sys.stdout
        self.show_bar = is_terminal(self.stream) if bar is None else bar
        self._bar = (
            tqdm(total=total, desc=desc, initial=initial, file=self.stream, dynamic_ncols=True, leave=False)
            if self.show_bar
            else None
        )

    def line(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def step(self, text: str, log: Any = True) -> None:
        """One unit done: `text` is printed (`log` True), handed to `log` (a callable) or
        dropped (anything else), then the bar advances."""
        if log is True:
            self.line(text)
        elif callable(log):
            log(text)
        self.advance()

    def advance(self, n: int = 1, **postfix) -> None:
        if self._bar is not None:
            self._bar.update(n)
            if postfix:
                self._bar.set_postfix(postfix, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
