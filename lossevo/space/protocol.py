"""What every genome representation provides, and what its search space provides.

Losses, training, fitness and the search speak only these protocols; the graph and tree
representations (`lossevo.space.graph`, `lossevo.space.tree`) implement them, and a third
one (a user's own) registers itself with `lossevo.space.register` and needs no edit
anywhere else. This module imports nothing else from lossevo.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

Backend = Literal["tf", "np"]


@runtime_checkable
class Genome(Protocol):
    """A loss genome: an immutable value with a stable hash, JSON, per-example values on
    TensorFlow and NumPy, and renderings.

    `per_example(y, y_hat, backend)` is the loss of each example (the last axis, classes,
    reduced; label smoothing already applied to `y`); it computes in the inputs' float32.
    """

    kind: str  # the registry key, also stored in the JSON as "kind"

    @property
    def hash_hex(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...

    def to_json(self, indent: int | None = None) -> str: ...

    def per_example(self, y: Any, y_hat: Any, backend: Backend = "tf") -> Any: ...

    def to_text(self) -> str: ...

    def to_paper(self) -> str: ...

    def to_latex(self) -> str: ...

    def to_sympy(self, simplify: bool = False, eps: Any = None) -> Any: ...


class Mutant(Protocol):
    """A search space's mutant: the genome and what the space keeps with it (the graph
    space: the binary phenotype its integrity check stored, for the similarity test)."""

    genome: Genome
    stored: Any


@runtime_checkable
class SearchSpace(Protocol):
    """Makes genomes of one kind: random ones, mutants, and (where the space has it)
    children of two parents.

    `mutate(parent, rng, population)` returns a mutant or None when none was found;
    `population` is the current members (`genome`, `stored`) for the space's similarity
    rule. `vary(parent, partner, rng)` returns `(child, changed)`: the genetic-programming
    engine's crossover and mutations in one step.
    """

    kind: str

    def sample(self, n: int, rng: Any) -> list[Genome]: ...

    def mutate(self, parent: Genome, rng: Any, population: Sequence[Any]) -> Any | None: ...
