"""Deprecated module paths of lossevo's first build, kept for one release: each old package
is a shim whose names resolve, with a `DeprecationWarning`, to where they moved."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping
from typing import Any


def resolver(old: str, moved: Mapping[str, str], notes: Mapping[str, str] | None = None):
    """A module `__getattr__` for the shim `old`: `moved` maps a name to "module" (the name
    is an attribute of it) or "module:" (the name is that module itself); `notes` replaces
    the warning's "moved to ..." for a name."""

    def __getattr__(name: str) -> Any:
        if name not in moved:
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        target = moved[name]
        where = (notes or {}).get(name) or f"moved to {target.rstrip(':')}"
        warnings.warn(f"{old}.{name} {where}; the old path goes in the next release", DeprecationWarning,
                      stacklevel=2)  # fmt: skip
        if target.endswith(":"):
            return importlib.import_module(target[:-1])
        return getattr(importlib.import_module(target), name)

    return __getattr__
