"""Progressive RandAugment (paper 002, Tables 12–13; docs/reference.md §8): phases that raise the image
size, the model's top dropout and the RandAugment magnitude together.

    schedule = ProgressiveSchedule.from_table("cifar", steps_per_phase=16000)
    for phase in schedule:
        train_ds = phase_pipeline(ds.train, phase, ds.num_classes, batch_size=64, seed=0)
        ...  # set the model's dropout to phase.dropout, train phase.steps steps
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import tensorflow as tf

from lossevo.data.pipelines import AugmentConfig, make_pipeline
from lossevo.seeds import phase_seed


@dataclasses.dataclass(frozen=True)
class Phase:
    image_size: int
    dropout: float
    magnitude: float


# The papers' phase tables, as data.
PHASE_TABLES: dict[str, tuple[Phase, ...]] = {
    "cifar": (Phase(128, 0.1, 5), Phase(160, 0.2, 8), Phase(192, 0.3, 12), Phase(224, 0.4, 15)),
    "large": (Phase(128, 0.1, 5), Phase(186, 0.17, 8), Phase(244, 0.24, 12), Phase(300, 0.30, 15)),
}


@dataclasses.dataclass(frozen=True)
class ScheduledPhase:
    """A phase with its place in the run: steps `[start_step, end_step)`."""

    index: int
    start_step: int
    end_step: int
    image_size: int
    dropout: float
    magnitude: float

    @property
    def steps(self) -> int:
        return self.end_step - self.start_step


@dataclasses.dataclass(frozen=True)
class ProgressiveSchedule:
    """Phases of `steps_per_phase` steps each."""

    phases: tuple[Phase, ...]
    steps_per_phase: int

    def __post_init__(self):
        if not self.phases:
            raise ValueError("a progressive schedule needs at least one phase")
        if self.steps_per_phase <= 0:
            raise ValueError(f"steps_per_phase must be positive, got {self.steps_per_phase}")

    @classmethod
    def from_table(
        cls, table: str, steps_per_phase: int, num_phases: int | None = None
    ) -> ProgressiveSchedule:
        """The papers' table (`"cifar"` or `"large"`), optionally only its first phases
        (the elimination protocol trains phases 1, 1–2, 1–3, then all four)."""
        if table not in PHASE_TABLES:
            raise ValueError(f"unknown phase table {table!r}; known: {', '.join(PHASE_TABLES)}")
        phases = PHASE_TABLES[table]
        return cls(phases[: num_phases or len(phases)], steps_per_phase)

    @property
    def total_steps(self) -> int:
        return self.steps_per_phase * len(self.phases)

    def __len__(self) -> int:
        return len(self.phases)

    def __iter__(self) -> Iterator[ScheduledPhase]:
        for i, p in enumerate(self.phases):
            start = i * self.steps_per_phase
            yield ScheduledPhase(i, start, start + self.steps_per_phase, p.image_size, p.dropout, p.magnitude)

    def phase_at(self, step: int) -> ScheduledPhase:
        """The phase in effect at a global step (the last phase past the end)."""
        index = min(max(step, 0) // self.steps_per_phase, len(self.phases) - 1)
        return list(self)[index]


def phase_pipeline(
    dataset: tf.data.Dataset,
    phase: ScheduledPhase | Phase,
    num_classes: int,
    batch_size: int,
    seed: int = 0,
    config: AugmentConfig | None = None,
    **kwargs,
) -> tf.data.Dataset:
    """The training pipeline of one phase: resize to the phase's size, RandAugment at its
    magnitude (the authors' `RandomProcessImage`), normalise."""
    config = dataclasses.replace(
        config or AugmentConfig(),
        image_size=(phase.image_size, phase.image_size),
        randaug_magnitude=float(phase.magnitude),
    )
    seed = phase_seed(seed, getattr(phase, "index", 0))
    return make_pipeline(dataset, "randaug_only", num_classes, batch_size, seed, True, config, **kwargs)
