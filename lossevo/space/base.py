"""What the papers' two genome classes share: the protocol's methods, delegated to each
representation's own `evaluate` and `formula` modules, and the JSON text around
`to_dict`/`from_dict`. A representation of one's own may use it or not: only the protocol
(`lossevo.space.protocol.Genome`) is required."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any, ClassVar

from lossevo.space.envelope import parse_json


class ModuleGenome:
    """Mixin: `per_example` from `_evaluate.per_example(genome, y, y_hat, backend)` and the
    renderings from `_formula.to_text/to_paper/to_latex/to_sympy(genome)`; subclasses set
    the two modules and implement `to_dict` and `from_dict`."""

    _evaluate: ClassVar[ModuleType]
    _formula: ClassVar[ModuleType]

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes):
        return cls.from_dict(parse_json(text))  # type: ignore[attr-defined]

    def per_example(self, y, y_hat, backend: str = "tf"):
        """Per-example loss (the last axis, classes, reduced), on TF or NumPy."""
        return self._evaluate.per_example(self, y, y_hat, backend)

    def to_text(self) -> str:
        return self._formula.to_text(self)

    def to_paper(self) -> str:
        return self._formula.to_paper(self)

    def to_latex(self) -> str:
        return self._formula.to_latex(self)

    def to_sympy(self, simplify: bool = False, eps: Any = None):
        return self._formula.to_sympy(self, simplify=simplify, eps=eps)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_text()!r}, hash={self.hash_hex})"  # type: ignore[attr-defined]
