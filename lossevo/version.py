"""lossevo's version (one place; `lossevo.__version__` reads it)."""

__version__ = "0.2.0"
