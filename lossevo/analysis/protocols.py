"""The papers' elimination protocols (docs/reference.md §7) as data: rounds, protocols,
the seed of each run and the recipe each round trains.

A protocol is a list of rounds: keep the best `keep` candidates by the ranking so far,
train each `runs` times with a recipe (its first `num_phases` progressive phases, or
`steps` steps), score by the mean (`lossevo.analysis.elimination` runs them).

How a round trains (`round_recipe`):
- progressive rounds (002) train phases 1..k of the recipe, `steps_per_phase` each, under
  the recipe's one schedule (`WarmupCosineDecay(64000, 6400)`) cut off where the round
  ends, never rescaled to the round's length; each phase stops on the recipe's
  `phase_stop` (`EpochCallback(0.45, epoch=40)`) and the next phase still runs;
- a round with `steps` (000's 96,000-step retrain of its surrogate) keeps the recipe's
  warm-up and stretches the decay to the new length.
Every run of a loss gets its own seed (`seeds.elimination_run_seed`: from the protocol seed, the round and
the run), the same for every loss in that round and run.

A run whose loss diverged (`Protocol.diverged`, one of `DIVERGED`):
- "best" (every protocol here): it scores the best validation accuracy it reached, as the
  authors' `progressive_test` ranks (no `TerminateOnNaN`, `np.max(val_accuracy)` over all
  phases), so a loss that diverges late keeps its earlier best and can survive. Paper 000
  says nothing on diverged runs; its protocol takes the same reading, the one rule the
  authors' code applies to every run it scores (docs/reference.md §6–7);
- "fail": it scores NaN, which the ranking drops (a loss whose every run diverged ranks
  last): lossevo's earlier behaviour, kept as an option.
"""

from __future__ import annotations

import dataclasses

from lossevo.data.progressive import PHASE_TABLES
from lossevo.training import recipes as recipes_lib
from lossevo.training.smoke import SMOKE_BATCH, SMOKE_SCALE


@dataclasses.dataclass(frozen=True)
class Round:
    """One elimination round.

    Attributes:
      keep: candidates entering the round (the best by the ranking so far).
      recipe: the training recipe.
      runs: runs per candidate (0: only keep the best `keep`, train nothing).
      num_phases: progressive recipes: train phases 1..num_phases, schedule unchanged.
      steps: non-progressive recipes: train this many steps, the recipe's warm-up kept
        and its decay stretched to them.
    """

    keep: int
    recipe: str
    runs: int = 1
    num_phases: int | None = None
    steps: int | None = None

    @property
    def training(self) -> tuple[str, int | None, int | None]:
        """What a run of this round trains; consecutive rounds that train the same pool
        their runs (paper 000's WRN rounds: mean of 2, then of 3 runs)."""
        return self.recipe, self.num_phases, self.steps


# How an elimination scores a run whose loss diverged (module doc).
DIVERGED = ("best", "fail")


@dataclasses.dataclass(frozen=True)
class Protocol:
    """An elimination protocol.

    Attributes:
      name: registry key.
      rounds: the rounds, in order.
      batches: the initial ranking is split into this many contiguous batches, each
        eliminated on its own (the code's two batches of 75); the survivors are their union.
      scale: multiply every recipe's steps by this (smoke runs).
      batch_size: every recipe's batch size instead of its own (smoke runs; None: the
        recipe's).
      diverged: how a diverged run scores, one of `DIVERGED` (module doc).
      description: where it comes from.
    """

    name: str
    rounds: tuple[Round, ...]
    batches: int = 1
    scale: float = 1.0
    batch_size: int | None = None
    diverged: str = "best"
    description: str = ""

    def __post_init__(self):
        if self.diverged not in DIVERGED:
            raise ValueError(f"diverged must be one of {', '.join(DIVERGED)}, got {self.diverged!r}")

    @property
    def size(self) -> int:
        """Candidates the protocol starts from."""
        return self.rounds[0].keep * self.batches

    def scaled(self, scale: float) -> Protocol:
        return dataclasses.replace(self, scale=self.scale * scale)


_EFF = "effnetv2s_progressive"
PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in (
        Protocol(
            "002",
            (Round(150, _EFF, num_phases=1), Round(50, _EFF, num_phases=2), Round(25, _EFF, num_phases=3),
             Round(10, _EFF, num_phases=4)),
            description="paper 002 §3.9: best 150 → phase 1 (16k) → 50 → phases 1-2 (32k) → 25 → 1-3 (48k) "
            "→ 10 → all 4 (64k)",
        ),
        Protocol(
            "002_code",
            (Round(75, _EFF, num_phases=1), Round(25, _EFF, num_phases=2), Round(12, _EFF, num_phases=3),
             Round(6, _EFF, num_phases=4), Round(4, _EFF, runs=0)),
            batches=2,
            description="the code's loss_projection.py: the best 150 in two batches of 75; each: phase 1 → "
            "best 25 on phases 1-2 → best 12 on 1-3 → best 6 on all four → keep 4",
        ),
        Protocol(
            "000",
            (Round(100, "resnet9v2_6m_surrogate", steps=96000), Round(24, "wideresnet_000"),
             Round(12, "wideresnet_000"), Round(6, "wideresnet_000"), Round(3, "wideresnet_000", runs=0)),
            description="paper 000 §3.2: best 100 → surrogate 192 epochs (96k) → best 24 → WRN-28-10 → best 12 "
            "→ again → best 6 by the mean of 2 WRN runs → again → best 3 by the mean of 3",
        ),
    )
}  # fmt: skip


def smoke_protocol(diverged: str = "best") -> Protocol:
    """The smoke run of an elimination (`eliminate --small`): 4 candidates on the ConvNet
    surrogate, then the best 2 twice, at smoke sizes (`lossevo.training.smoke`)."""
    rounds = (Round(4, "convnet_standard"), Round(2, "convnet_standard", runs=2))
    return Protocol("small", rounds, scale=SMOKE_SCALE, batch_size=SMOKE_BATCH, diverged=diverged,
                    description=smoke_protocol.__doc__.split("\n")[0])  # fmt: skip


def get_protocol(name: str) -> Protocol:
    if name not in PROTOCOLS:
        raise ValueError(f"unknown elimination protocol {name!r}; known: {', '.join(PROTOCOLS)}")
    return PROTOCOLS[name]


def round_recipe(
    rnd: Round, augmentation: str | None = None, scale: float = 1.0, batch_size: int | None = None
) -> recipes_lib.Recipe:
    """The recipe a round trains (see module doc)."""
    recipe = recipes_lib.get(rnd.recipe)
    if augmentation is not None:
        recipe = dataclasses.replace(recipe, augmentation=augmentation)
    if scale != 1 or batch_size is not None:
        recipe = recipes_lib.scaled(recipe, max(10, round(recipe.steps * scale)), batch_size)
    if rnd.num_phases is not None:
        if recipe.progressive is None:
            raise ValueError(
                f"round trains {rnd.num_phases} phases of {rnd.recipe!r}, which is not progressive"
            )
        per_phase = recipe.steps_per_phase or recipe.steps // len(PHASE_TABLES[recipe.progressive])
        phased = dataclasses.replace(recipe, num_phases=rnd.num_phases)
        recipe = recipes_lib.truncated(phased, per_phase * rnd.num_phases)
    if rnd.steps is not None:
        recipe = recipes_lib.extended(recipe, max(10, round(rnd.steps * scale)))
    return recipe
