"""A search as one value: the engine's configuration, the data, and how candidates train.

`SearchSetup` is what a named configuration (`lossevo.configs.get("paper_002")`) returns and
what a launcher's flags override; `validate` checks all of it before anything is written,
and `journal_config` is what the run's journal header records, so a run directory can
only be resumed by the same search.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lossevo.data.pipelines import technique_names
from lossevo.data.spec import DataSpec
from lossevo.fitness.pair import PairFactory
from lossevo.fitness.plans import PAIRINGS, canonical_name
from lossevo.fitness.stub import StubFactory
from lossevo.fitness.surrogates import SurrogateFactory
from lossevo.search import engines
from lossevo.search.config import SearchConfig
from lossevo.space import registry

STUB = "stub"
OBJECTIVES = ("accuracy", "ce_pair")


@dataclasses.dataclass(frozen=True)
class SearchSetup:
    """Everything that decides a search's results.

    Attributes:
      search: the engine's configuration (sizes, seed, representation, fitness names).
      data: the dataset the surrogates train on.
      scale: multiply every training step count (smoke runs).
      threshold_scale: multiply the early-stopping thresholds (smoke runs).
      surrogate_batch: override the surrogates' batch size (smoke runs on a CPU).
      augmentation: override the surrogates' augmentation technique.
      batched_k: train K candidates at once (population-batched evaluation); 0: one at a time.
      stub_delay, stub_hang: the stub fitness's seconds per evaluation, and per "hung" one.
      stub_fail_while: the stub fitness raises an error not about the loss while this file
        exists (tests of stopping and resuming).
      objective: "accuracy" (the surrogate's validation accuracy on `data`) or "ce_pair"
        (paper 003's fifth experiment: wins against CE and the mean improvement over
        `data` and `pair_data`, `lossevo.fitness.pair`; CE's baselines are trained once
        per run directory).
      pair_data: the datasets after `data` of a "ce_pair" objective.
      description: what the setup is.
    """

    search: SearchConfig
    data: DataSpec
    scale: float = 1.0
    threshold_scale: float = 1.0
    surrogate_batch: int | None = None
    augmentation: str | None = None
    batched_k: int = 0
    stub_delay: float = 0.0
    stub_hang: float = 0.0
    stub_fail_while: str | None = None
    objective: str = "accuracy"
    pair_data: tuple[DataSpec, ...] = ()
    description: str = ""

    def replace(self, **changes: Any) -> SearchSetup:
        """A copy with top-level fields or `SearchConfig` fields (by their names) changed."""
        search_fields = {f.name for f in dataclasses.fields(SearchConfig)}
        search = {k: v for k, v in changes.items() if k in search_fields}
        rest = {k: v for k, v in changes.items() if k not in search_fields}
        return dataclasses.replace(self, search=dataclasses.replace(self.search, **search), **rest)

    def override(
        self, *, pairing: str | None = None, flip_rule: str | None = None, **changes: Any
    ) -> SearchSetup:
        """`replace` with the rules a command's overrides follow:

        - `pairing` names a published (initial fitness, fitness) pair (`fitness.PAIRINGS`);
          a fitness given by name wins over it;
        - `flip_rule` sets the search space's option of that name;
        - `pair_data` implies the "ce_pair" objective, and an "accuracy" objective given
          alone drops the setup's pair data;
        - a field its engine links to another follows it when only that one is given
          (`engines.linked_changes`: the GP engine's generation 0 is its population);
        - `batched_k` raises `batch_size` to at least K (K candidates are asked at once).
        """
        if pairing is not None:
            if pairing not in PAIRINGS:
                raise ValueError(f"unknown pairing {pairing!r}; known: {', '.join(PAIRINGS)}")
            changes = {**dict(zip(("initial_fitness", "fitness"), PAIRINGS[pairing], strict=True)), **changes}
        if flip_rule is not None:
            changes["space"] = {**changes.get("space", self.search.space), "flip_rule": flip_rule}
        if "pair_data" in changes:
            changes["pair_data"] = tuple(changes["pair_data"])
            changes.setdefault("objective", "ce_pair")
        elif changes.get("objective") == "accuracy":
            changes["pair_data"] = ()
        if "seeds" in changes:
            changes["seeds"] = tuple(changes["seeds"])
        representation = changes.get("representation", self.search.representation)
        probe = dataclasses.replace(self.search, representation=representation)
        changes = engines.linked_changes(probe, changes)
        if changes.get("batched_k"):
            changes["batch_size"] = max(
                changes["batched_k"], changes.get("batch_size", self.search.batch_size)
            )
        return self.replace(**changes)

    def validate(self) -> SearchSetup:
        """Raises `ValueError` (or `DatasetUnavailableError`) naming the first bad field."""
        self.search.validate()
        for name in self.fitness_names():
            if name != STUB:
                canonical_name(name)
        if self.scale <= 0 or self.threshold_scale < 0:
            raise ValueError(f"scale must be positive and threshold_scale non-negative, got {self.scale}, "
                             f"{self.threshold_scale}")  # fmt: skip
        if self.surrogate_batch is not None and self.surrogate_batch < 1:
            raise ValueError(f"surrogate_batch must be positive, got {self.surrogate_batch}")
        if self.augmentation is not None and self.augmentation not in technique_names():
            raise ValueError(
                f"unknown augmentation {self.augmentation!r}; known: {', '.join(technique_names())}"
            )
        if self.batched_k < 0 or self.stub_delay < 0 or self.stub_hang < 0:
            raise ValueError("batched_k, stub_delay and stub_hang must be non-negative")
        if self.batched_k and not registry.get(self.search.representation).batched:
            raise ValueError(
                f"batched_k trains graph genomes only (the ones the interpreted loss encodes), not "
                f"{self.search.representation} genomes; use 0"
            )
        if self.batched_k and self.search.batch_size < self.batched_k:
            raise ValueError(
                f"batch_size ({self.search.batch_size}) must be at least batched_k ({self.batched_k})"
            )
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}")
        if self.pair_data and self.objective != "ce_pair":
            raise ValueError("pair_data (--pair_data) names the further datasets of objective 'ce_pair'")
        if self.objective == "ce_pair" and STUB in self.fitness_names():
            raise ValueError(
                "objective 'ce_pair' compares trained surrogates with CE; the stub fitness trains none"
            )
        if any(name != STUB for name in self.fitness_names()):
            for spec in self.datasets():
                spec.validate()
        return self

    def datasets(self) -> tuple[DataSpec, ...]:
        """The datasets the fitness trains on: `data`, then a "ce_pair" objective's others."""
        return (self.data, *self.pair_data)

    def fitness_names(self) -> tuple[str, ...]:
        """The fitness functions the search evaluates with, in stage order: the names in the
        fields its engine's stages use (`engines.fitness_fields`), the first stage's first."""
        return tuple(getattr(self.search, field) for field in engines.fitness_fields(self.search))

    def journal_config(self) -> SearchConfig:
        """The `SearchConfig` a journal records: the engine's, with the fitness settings in
        `extra` (the dataset by name and source, not by where tensorflow-datasets keeps it)."""
        extra = {"dataset": self.data.name, "data": _data_json(self.data), "scale": self.scale,
                 "threshold_scale": self.threshold_scale, "augmentation": self.augmentation,
                 "surrogate_batch": self.surrogate_batch}  # fmt: skip
        if self.batched_k:
            extra["batched_k"] = self.batched_k
        if self.objective != "accuracy":  # absent by default: run directories of earlier builds resume
            extra["objective"] = self.objective
            extra["pair_data"] = [_data_json(d) for d in self.pair_data]
        return dataclasses.replace(self.search, extra={**self.search.extra, **extra})

    def factory(
        self, name: str, ce_accuracies: tuple[float, ...] | None = None
    ) -> StubFactory | SurrogateFactory | PairFactory:
        """The picklable factory of the fitness `name` (a surrogate or "stub"); for the
        "ce_pair" objective, CE's accuracy on each of `datasets()` (`lossevo.runs.baselines`)."""
        if name == STUB:
            return StubFactory(STUB, self.stub_delay, self.stub_hang, fail_while=self.stub_fail_while)
        if self.objective == "ce_pair":
            if ce_accuracies is None or len(ce_accuracies) != len(self.datasets()):
                raise ValueError("objective 'ce_pair' needs CE's validation accuracy on each dataset")
            return PairFactory(self.dataset_factories(name), tuple(float(a) for a in ce_accuracies))
        return self.dataset_factories(name)[0]

    def dataset_factories(self, name: str) -> tuple[SurrogateFactory, ...]:
        """The surrogate `name` on each of `datasets()`."""
        return tuple(
            SurrogateFactory.make(
                name, spec.name, spec.kwargs(), scale=self.scale, augmentation=self.augmentation,
                threshold_scale=self.threshold_scale, batched_k=self.batched_k, batch_size=self.surrogate_batch,
            )
            for spec in self.datasets()
        )  # fmt: skip


def _data_json(spec: DataSpec) -> dict[str, Any]:
    """A dataset as a journal header records it (by name and source, not where tfds keeps it)."""
    data = {"name": spec.name, "path": spec.path, "options": dict(spec.options)}
    if spec.image_size is not None:
        data["image_size"] = list(spec.image_size)
    return data
