"""One interface for training candidates: `make_trainer(...).run(dataset, genomes, seeds)`
trains each candidate's loss by a recipe and returns its per-epoch history.

- `SoloTrainer`: one candidate after another through `train()` (any model, recipe and
  genome representation; progressive recipes too).
- `BatchedTrainer`: K candidates at once (genomes the interpreted loss encodes), as one
  wide network (`WidePopulation`, the surrogates' models) or K copies (`PopulationTrainer`):
  a queue refills a slot at the next epoch boundary once its candidate finishes, is
  stopped or fails; the compiled steps are traced once per trainer.

Both stop a candidate at the end of an epoch with 0-based index `>= stop[1]` whose training
accuracy is below `stop[0]` (the code's `EpochCallback`) or whose loss turned NaN/Inf, and
validate after every epoch. The stage rule that reads the histories is `fitness.rules`.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from lossevo.data.sources import ImageDataset
from lossevo.losses.evolved import EvolvedLoss
from lossevo.training.callbacks import StopBelow
from lossevo.training.inputs import ResidentStream, eval_stream, resident_reason, train_stream
from lossevo.training.population import PopulationTrainer
from lossevo.training.recipes import Recipe
from lossevo.training.solo import train
from lossevo.training.wide import WidePopulation, wide_support

DATA_MODES = ("auto", "resident", "candidate", "shared")
FORMS = ("auto", "wide", "copies")


@dataclasses.dataclass
class CandidateRun:
    """One candidate's training: per-epoch `loss`, `accuracy` (train, the running mean Keras
    logs) and `val_accuracy`; whether the stop rule fired or the loss went NaN/Inf; the
    final weights when asked for."""

    history: dict[str, list[float]]
    stopped: bool = False
    nonfinite: bool = False
    weights: list[np.ndarray] | None = None

    @property
    def best_val_accuracy(self) -> float | None:
        val = [v for v in self.history.get("val_accuracy", []) if np.isfinite(v)]
        return max(val) if val else None


class SoloTrainer:
    """Trains candidates one at a time with `train()` (`shuffle_buffer` None: the recipe's)."""

    def __init__(self, model: str, recipe: Recipe, jit_compile: bool | str = "auto",
                 shuffle_buffer: int | None = None):  # fmt: skip
        self.model, self.recipe, self.jit_compile = model, recipe, jit_compile
        self.shuffle_buffer = shuffle_buffer

    def run(self, dataset: ImageDataset, genomes: Sequence[Any], seeds: Sequence[int], *, steps_per_epoch: int,
            stop: tuple[float, int] | None = None) -> list[CandidateRun]:  # fmt: skip
        runs = []
        for genome, seed in zip(genomes, seeds, strict=True):
            stopper = None if stop is None else StopBelow(*stop)
            try:
                result = train(self.model, EvolvedLoss(genome), dataset, self.recipe, steps_per_epoch=steps_per_epoch,
                               seed=int(seed) % (2**31), callbacks=[stopper] if stopper else [], evaluate_test=False,
                               jit_compile=self.jit_compile, shuffle_buffer=self.shuffle_buffer)  # fmt: skip
                runs.append(CandidateRun(result.history, bool(stopper and stopper.stopped), result.diverged))
                del result
            finally:
                keras.backend.clear_session()  # models built in a loop otherwise pile up (it runs gc too)
        return runs


@dataclasses.dataclass
class _Slot:
    index: int
    iterator: Any
    epoch: int = 0
    position: int = 0  # steps trained (the resident stream's position)


class BatchedTrainer:
    """Trains candidates K at a time (the population is built on first use).

    Args:
      form: "wide" (one `WidePopulation` network: grouped convolutions, one optimizer),
        "copies" (a `PopulationTrainer` of K model copies), or "auto": wide where the model
        and recipe have a wide form (`wide_support`), else copies.
      data: "resident": the split held in memory and gathered per candidate at its own
        step, exact for streams that neither shuffle nor augment (`ResidentStream`);
        "candidate": each slot draws the stream its seed's solo run would (results equal
        solo training); "shared": one stream feeds all slots (cheaper input; a candidate's
        batches then depend on when it entered the queue); "auto": resident where exact,
        else candidate.
    """

    def __init__(self, model: str, num_classes: int, recipe: Recipe, population: int, jit_compile: bool | str = "auto",
                 image_size: tuple[int, int] | None = None, data: str = "auto",
                 shuffle_buffer: int | None = None, form: str = "auto", wide_form: str | None = None):  # fmt: skip
        if data not in DATA_MODES:
            raise ValueError(f"data must be one of {', '.join(DATA_MODES)}, got {data!r}")
        if form not in FORMS:
            raise ValueError(f"form must be one of {', '.join(FORMS)}, got {form!r}")
        if recipe.plateau is not None:
            raise ValueError(
                f"recipe {recipe.name!r} lowers its learning rate on plateaus of each candidate's validation "
                "accuracy; population training has one schedule per step count: train it one candidate at a time"
            )
        if recipe.batch_per_pass:
            raise ValueError(
                f"recipe {recipe.name!r} batches each pass on its own (a partial batch ends every pass), so "
                "candidates at different steps see batches of different sizes: train it one candidate at a time"
            )
        wide_reason = wide_support(model, recipe)
        if form == "wide" and wide_reason:
            raise ValueError(wide_reason)
        self.form = "wide" if form != "copies" and wide_reason is None else "copies"
        stream_reason = resident_reason(recipe, shuffle_buffer)
        if data == "resident" and stream_reason:
            raise ValueError(f"data='resident' needs one stream for every seed: {stream_reason}")
        self.data = ("resident" if stream_reason is None else "candidate") if data == "auto" else data
        self.recipe, self.shuffle_buffer = recipe, shuffle_buffer
        self._args = (model, num_classes, recipe, population)
        self._kwargs = {"jit_compile": jit_compile, "image_size": image_size}
        if wide_form is not None:  # the wide model's convolution form (`models.wide_layers.FORMS`)
            if self.form != "wide":
                raise ValueError(
                    f"wide_form={wide_form!r} is for a wide population; this one trains K copies"
                )
            self._kwargs["form"] = wide_form
        self._population: PopulationTrainer | WidePopulation | None = None
        self._resident: tuple[Any, ResidentStream] | None = None

    @property
    def population(self) -> PopulationTrainer | WidePopulation:
        if self._population is None:
            kind = WidePopulation if self.form == "wide" else PopulationTrainer
            self._population = kind(*self._args, **self._kwargs)
        return self._population

    def _stream(self, dataset: ImageDataset, seed: int):
        return iter(train_stream(dataset, self.recipe, int(seed), self.shuffle_buffer))

    def _resident_stream(self, dataset: ImageDataset) -> ResidentStream:
        if self._resident is None or self._resident[0] is not dataset:
            self._resident = (dataset, ResidentStream(dataset, self.recipe))
        return self._resident[1]

    def _step_batches(self, dataset: ImageDataset, slots: list[_Slot | None], shared: Any) -> tuple[Any, Any]:
        """The step's inputs: `[1, B, ...]` when every slot sees the same batch, else
        `[K, B, ...]` (an empty slot gets a copy of another's batch; it is not trained)."""
        if shared is not None:
            xb, yb = next(shared)
            return xb[None], yb[None]
        if self.data == "resident":
            stream = self._resident_stream(dataset)
            positions = [slot.position for slot in slots if slot is not None]
            if len(set(positions)) == 1:
                return stream.batches(positions[:1])
            return stream.batches([slot.position if slot is not None else positions[0] for slot in slots])
        batches = [next(slot.iterator) if slot is not None else None for slot in slots]
        first = next(b for b in batches if b is not None)
        batches = [b if b is not None else first for b in batches]
        return tf.stack([b[0] for b in batches]), tf.stack([b[1] for b in batches])

    def run(self, dataset: ImageDataset, genomes: Sequence[Any], seeds: Sequence[int], *, steps_per_epoch: int,
            stop: tuple[float, int] | None = None, keep_weights: bool = False) -> list[CandidateRun]:  # fmt: skip
        if len(genomes) != len(seeds):
            raise ValueError(f"{len(genomes)} genomes but {len(seeds)} seeds")
        trainer, steps = self.population, self.recipe.steps
        per_epoch, epochs = min(steps_per_epoch, steps), max(1, math.ceil(steps / steps_per_epoch))
        val_ds = eval_stream(dataset.validation, dataset.num_classes, self.recipe)
        runs: list[CandidateRun | None] = [None] * len(genomes)
        queue = collections.deque(range(len(genomes)))
        slots: list[_Slot | None] = [None] * trainer.population
        shared = None
        if self.data == "shared" and genomes:
            keras.utils.set_random_seed(int(seeds[0]))
            shared = self._stream(dataset, seeds[0])
        own_streams = self.data == "candidate"
        while queue or any(s is not None for s in slots):
            for s in range(trainer.population):
                if slots[s] is None and queue:
                    i = queue.popleft()
                    trainer.assign(s, genomes[i], int(seeds[i]))
                    slots[s] = _Slot(i, self._stream(dataset, seeds[i]) if own_streams else None)
                    runs[i] = CandidateRun({"loss": [], "accuracy": [], "val_accuracy": []})
            trainer.epoch_metrics(reset=True)
            for _ in range(per_epoch):
                trainer.train_step(*self._step_batches(dataset, slots, shared))
                for slot in slots:
                    if slot is not None:
                        slot.position += 1
            metrics = trainer.epoch_metrics()
            # A copy that turned NaN/Inf this epoch is validated too, as `train()` validates the
            # epoch its loss went non-finite in (the stage rule takes the best epoch).
            mask = [slot is not None for slot in slots]
            val = trainer.evaluate(val_ds, mask) if any(mask) else np.full(trainer.population, np.nan)
            for s, slot in enumerate(slots):
                if slot is None:
                    continue
                run = runs[slot.index]
                slot.epoch += 1
                for key, value in (("loss", metrics["loss"][s]), ("accuracy", metrics["accuracy"][s]),
                                   ("val_accuracy", val[s])):  # fmt: skip
                    run.history[key].append(float(value))
                if metrics["nonfinite"][s]:
                    run.nonfinite = True
                elif stop is not None and slot.epoch - 1 >= stop[1] and metrics["accuracy"][s] < stop[0]:
                    run.stopped = True
                elif slot.epoch < epochs:
                    continue
                if keep_weights:
                    run.weights = trainer.slot_weights(s)
                trainer.deactivate(s)
                slots[s] = None
        return runs


def make_trainer(model: str, num_classes: int, recipe: Recipe, population: int = 0, jit_compile: bool | str = "auto",
                 image_size: tuple[int, int] | None = None, data: str = "auto", shuffle_buffer: int | None = None,
                 form: str = "auto", wide_form: str | None = None) -> SoloTrainer | BatchedTrainer:  # fmt: skip
    """A trainer of `recipe` (trained for its `steps`): one candidate at a time
    (`population` 0) or K at once (`BatchedTrainer`: `form`, `data`, and `wide_form`, the
    wide model's convolutions: None for the device's default)."""
    if population:
        return BatchedTrainer(model, num_classes, recipe, population, jit_compile, image_size, data,
                              shuffle_buffer, form, wide_form)  # fmt: skip
    return SoloTrainer(model, recipe, jit_compile, shuffle_buffer)
