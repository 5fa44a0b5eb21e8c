"""The surrogate fitness functions, evaluated K candidates at a time (issue 7).

`BatchedSurrogateFitness` has the interface and the rules of `SurrogateFitness` (same
stages, budgets, `scale`, thresholds, NaN = failed, fitness = best validation accuracy)
but trains the candidates of an `evaluate` call through a `PopulationTrainer`: K copies of
the surrogate model in one compiled step, each trained only by its own loss. A copy whose
candidate is finished, early-stopped or failed is skipped (no compute, no update) and
taken by the next queued candidate at the next epoch boundary. One trainer per stage is
built on first use and kept, so later batches of candidates never re-trace.

With `data="candidate"` (the default) every copy draws the training stream `train()`
draws for its seed, so a candidate's result is that of `SurrogateFitness` for the same
seed: identical with `TF_ENABLE_ONEDNN_OPTS=0`, equal up to float rounding with oneDNN's
fused CPU kernels (tested). `data="shared"` feeds all copies one stream (one pipeline for
K candidates); results then depend on the batch a candidate was evaluated in.
"""

from __future__ import annotations

from collections.abc import Sequence

from lossevo.data.sources import ImageDataset
from lossevo.evolution.types import EvaluationError, FitnessResult, error_text
from lossevo.fitness.rules import judge_stage
from lossevo.fitness.surrogates import fitness_name, get_spec, plan_stages, stage_info
from lossevo.genome.genome import Genome
from lossevo.training.population import PopulationTrainer, train_population


class BatchedSurrogateFitness:
    """A named surrogate (see `surrogates.SURROGATES`) evaluated K candidates at a time.

    Args:
      name: a key of `SURROGATES` (every entry has non-progressive stages; the convnet and
        the two-stage resnet_rand_aug surrogates are tested against `SurrogateFitness`).
      dataset: from `lossevo.data.load`.
      population: K, the copies trained at once.
      scale: multiply step counts by this (1.0: the papers' budgets).
      augmentation: override the recipes' technique.
      jit_compile: XLA for the compiled steps ("auto": only with an accelerator).
      threshold_scale: multiply the early-stopping thresholds.
      batch_size: override every stage's batch size (smoke runs).
      data: "candidate" (each copy its own seed's stream) or "shared" (one stream).
      shuffle_buffer: training shuffle buffer (None: each stage's recipe's, as `train()`).
    """

    def __init__(
        self,
        name: str,
        dataset: ImageDataset,
        population: int = 8,
        scale: float = 1.0,
        augmentation: str | None = None,
        jit_compile: bool | str = "auto",
        threshold_scale: float = 1.0,
        data: str = "candidate",
        shuffle_buffer: int | None = None,
        batch_size: int | None = None,
    ):
        if data not in ("candidate", "shared"):
            raise ValueError(f"data must be 'candidate' or 'shared', got {data!r}")
        self.spec = get_spec(name)
        base = fitness_name(self.spec.name, augmentation)
        # Same name as SurrogateFitness when results are the same function of (genome, seed).
        self.name = base if data == "candidate" else f"{base}+shared_data"
        self.dataset, self.population, self.scale = dataset, population, scale
        self.augmentation, self.jit_compile = augmentation, jit_compile
        self.threshold_scale, self.data, self.shuffle_buffer = threshold_scale, data, shuffle_buffer
        self.plans = plan_stages(self.spec, scale, threshold_scale, augmentation, batch_size)
        self.trainers: dict[int, PopulationTrainer] = {}

    def trainer(self, index: int) -> PopulationTrainer:
        """The (cached) population trainer of stage `index`."""
        if index not in self.trainers:
            plan = self.plans[index]
            self.trainers[index] = PopulationTrainer(
                plan.model, self.dataset.num_classes, plan.recipe, self.population,
                jit_compile=self.jit_compile, image_size=self.dataset.image_size,
            )  # fmt: skip
        return self.trainers[index]

    def evaluate(self, genomes: Sequence[Genome], seeds: Sequence[int]) -> list[FitnessResult]:
        if len(genomes) != len(seeds):
            raise ValueError(f"{len(genomes)} genomes but {len(seeds)} seeds")
        for g in genomes:
            if not isinstance(g, Genome):
                raise TypeError(f"BatchedSurrogateFitness trains graph genomes only (its interpreted loss), "
                                f"got {type(g).__name__}; use SurrogateFitness")  # fmt: skip
        results: list[FitnessResult | None] = [None] * len(genomes)
        infos: list[dict] = [{"stages": []} for _ in genomes]
        best: dict[int, float | None] = {}
        alive = list(range(len(genomes)))
        for index, plan in enumerate(self.plans):
            if not alive:
                break
            try:
                runs = train_population(
                    self.trainer(index), self.dataset, [genomes[i] for i in alive],
                    [seeds[i] % (2**31) for i in alive], steps=plan.steps,
                    steps_per_epoch=plan.steps_per_epoch, stop_threshold=plan.threshold,
                    stop_epoch=plan.stop_epoch, data=self.data, shuffle_buffer=self.shuffle_buffer,
                )  # fmt: skip
            except Exception as e:  # not about one loss: the configuration, the pipeline, a bug
                raise EvaluationError(error_text(e)) from e
            survivors = []
            for i, run in zip(alive, runs, strict=True):
                verdict = judge_stage(
                    run.history, plan.threshold, plan.stage.rejects, plan.steps_trained(run.history)
                )
                infos[i]["stages"].append(stage_info(plan, run.history, verdict))
                if verdict.passed:
                    best[i] = verdict.fitness
                    survivors.append(i)
                else:
                    results[i] = FitnessResult(None, verdict.status, {**infos[i], "reason": verdict.reason})
            alive = survivors
        for i in alive:
            results[i] = FitnessResult(float(best[i]), "ok", infos[i])
        return results  # type: ignore[return-value]
