"""Losses named the way a user names them on a command line: a registry name
(`neuroloss1`), a genome JSON file (any representation), or `run:DIR:K`, the best K losses of
a search's run directory. Each becomes a factory of a fresh Keras loss."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import keras

from lossevo import losses
from lossevo.runs.rundir import best_candidates
from lossevo.space.errors import GenomeError
from lossevo.space.registry import genome_from_json


def resolve_losses(specs: Sequence[str]) -> dict[str, Callable[[], keras.losses.Loss]]:
    """name -> loss factory, in the order given. Raises `ValueError` naming the bad spec (an
    unknown loss, a malformed genome file or `run:` spec); a bad run directory raises
    `CorruptJournalError`."""
    out: dict[str, Callable[[], keras.losses.Loss]] = {}
    for spec in specs:
        if spec.startswith("run:"):
            try:
                _, run_dir, k = spec.split(":")
                count = int(k)
            except ValueError:
                raise ValueError(f"{spec!r}: expected run:DIR:K (K losses of a run directory)") from None
            for h, (genome, _) in best_candidates(run_dir, count).items():
                out[f"run_{h}"] = lambda g=genome: losses.EvolvedLoss(g)
        elif os.path.exists(spec):
            try:
                with open(spec) as f:
                    genome = genome_from_json(f.read())
            except GenomeError as e:
                raise ValueError(f"{spec}: {e}") from None
            out[os.path.basename(spec)] = lambda g=genome: losses.EvolvedLoss(g)
        else:
            losses.get(spec)  # ValueError listing the known names
            out[spec] = lambda s=spec: losses.get(s)
    return out
