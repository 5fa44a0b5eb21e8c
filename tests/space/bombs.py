"""Billion-laughs values for the loaders' tests: 41 lists, 2^40 paths (issue 23 item 4)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


def bomb(leaf: Any = 0, depth: int = 40, node: Callable[[Any], Any] = lambda c: [c, c]) -> Any:
    """L0 = leaf; L(k+1) = node(Lk), which holds Lk twice: `depth` levels, 2^depth leaves."""
    value = leaf
    for _ in range(depth):
        value = node(value)
    return value


def outcome_within(seconds: float, call: Callable[[], Any]) -> BaseException | None:
    """What `call()` raised (None if it returned), asserting it ends within `seconds`. The
    call runs in a daemon thread, so a regression fails the test instead of hanging it."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            call()
        except BaseException as e:
            box["error"] = e

    started = time.perf_counter()
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    elapsed = time.perf_counter() - started
    assert not thread.is_alive(), f"still running after {seconds} s"
    assert elapsed < seconds, elapsed
    return box.get("error")
