"""Deprecated: moved to `lossevo.search.ray_executor`."""

import warnings

from lossevo.search.ray_executor import RayExecutor

warnings.warn("lossevo.evolution.ray_executor moved to lossevo.search.ray_executor", DeprecationWarning,
              stacklevel=2)  # fmt: skip

__all__ = ["RayExecutor"]
