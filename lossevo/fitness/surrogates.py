"""The papers' surrogates evaluated on a dataset: `SurrogateFitness` trains each candidate
through every stage of its plan (`plans`), one at a time or K at once (`batched_k`), and
judges each stage by the one stage rule (`rules.judge_stage`); `SurrogateFactory` builds one
from plain values in a worker process.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any

from lossevo.data.sources import ImageDataset, load
from lossevo.data.splits import RandomSplits
from lossevo.fitness.plans import StagePlan, canonical_name, fitness_name, get_spec, plan_stages
from lossevo.fitness.rules import StageVerdict, judge_stage, mean_verdict
from lossevo.search.types import EvaluationError, FitnessResult, GenomeLike, error_text
from lossevo.seeds import training_run_seed
from lossevo.training.trainer import make_trainer


def stage_info(plan: StagePlan, history: dict[str, list[float]], verdict) -> dict[str, Any]:
    """What the journal keeps of a stage (of a run of it)."""
    return {"model": plan.model, "steps": plan.steps, "epochs": len(history.get("loss", [])),
            "best_val_accuracy": verdict.fitness, "status": verdict.status,
            "max_train_accuracy": max(history.get("accuracy", [0.0]) or [0.0]),
            "nonfinite": verdict.nonfinite}  # fmt: skip


class SurrogateFitness:
    """A named surrogate evaluated on a dataset (see `plans.SURROGATES`).

    Args:
      name: a key of `SURROGATES` (or an alias).
      dataset: from `lossevo.data.load` (CIFAR-10 in the papers; "synthetic" offline).
      scale: multiply step counts by this (1.0: the papers' budgets).
      augmentation: override the recipe's technique (paper 000's five surrogates).
      jit_compile: XLA ("auto": only with an accelerator).
      threshold_scale: multiply the early-stopping thresholds (they are calibrated for
        the papers' budgets; a scaled-down smoke run learns less by its checkpoints).
      batch_size: override every stage's batch size (smoke runs on a CPU).
      batched_k: train K candidates at once (0: one at a time), genomes the interpreted
        loss encodes (graphs): one wide network where the stage's model has a wide form,
        else K copies in one compiled step (`form`: "auto", "wide", "copies").
      data: with `batched_k`: "auto" (the split in memory where the stream is the same
        for every seed, else "candidate"), "resident", "candidate" (each candidate the
        stream of its seed: results equal training alone) or "shared" (one stream; named
        `...+shared_data`).
      shuffle_buffer: override the recipes' shuffle buffer.

    An exception while training is not about the loss (a NaN or a rejection is a result):
    it is raised as `EvaluationError`, which stops the search.
    """

    def __init__(
        self,
        name: str,
        dataset: ImageDataset,
        scale: float = 1.0,
        augmentation: str | None = None,
        jit_compile: bool | str = "auto",
        threshold_scale: float = 1.0,
        batch_size: int | None = None,
        batched_k: int = 0,
        data: str = "auto",
        shuffle_buffer: int | None = None,
        form: str = "auto",
    ):
        self.spec = get_spec(name)
        per_run = [st for st in self.spec.stages if st.per_candidate]
        if batched_k and per_run:
            raise ValueError(
                f"surrogate {self.spec.name!r} trains each candidate on splits and runs of its own; "
                "train it one candidate at a time (batched_k=0)"
            )
        self.splits = RandomSplits(dataset) if per_run else None
        shared = "+shared_data" if batched_k and data == "shared" else ""
        self.name = fitness_name(self.spec.name, augmentation) + shared
        self.dataset, self.scale, self.batched_k = dataset, scale, batched_k
        self.augmentation, self.jit_compile = augmentation, jit_compile
        self.threshold_scale = threshold_scale
        self.plans = plan_stages(self.spec, scale, threshold_scale, augmentation, batch_size, dataset.name)
        self.trainers = [
            make_trainer(plan.model, dataset.num_classes, plan.recipe, batched_k, jit_compile, dataset.image_size,
                         data, shuffle_buffer, form)
            for plan in self.plans
        ]  # fmt: skip

    def evaluate(self, genomes: Sequence[GenomeLike], seeds: Sequence[int]) -> list[FitnessResult]:
        if len(genomes) != len(seeds):
            raise ValueError(f"{len(genomes)} genomes but {len(seeds)} seeds")
        results: list[FitnessResult | None] = [None] * len(genomes)
        infos: list[dict] = [{"stages": []} for _ in genomes]
        best: dict[int, float] = {}
        alive = list(range(len(genomes)))
        try:
            for plan, trainer in zip(self.plans, self.trainers, strict=True):
                if not alive:
                    break
                outcomes = self._run_stage(
                    plan, trainer, [genomes[i] for i in alive], [seeds[i] for i in alive]
                )
                survivors = []
                for i, (verdict, runs_info) in zip(alive, outcomes, strict=True):
                    infos[i]["stages"].extend(runs_info)
                    if verdict.passed:
                        best[i] = verdict.fitness
                        survivors.append(i)
                    else:
                        results[i] = FitnessResult(
                            None, verdict.status, {**infos[i], "reason": verdict.reason}
                        )
                alive = survivors
        except Exception as e:  # not about the loss: a NaN or a rejection is a result, not an error
            raise EvaluationError(error_text(e)) from e
        for i in alive:
            results[i] = FitnessResult(float(best[i]), "ok", infos[i])
        return results  # type: ignore[return-value]

    def _run_stage(self, plan: StagePlan, trainer: Any, genomes: list, seeds: list[int]
                   ) -> list[tuple[StageVerdict, list[dict[str, Any]]]]:  # fmt: skip
        """Each candidate's verdict on a stage, and what the journal keeps of its runs."""
        stop = None if plan.stop_epoch is None else (plan.threshold, plan.stop_epoch)
        stage = plan.stage

        def judged(run) -> StageVerdict:
            return judge_stage(run.history, plan.threshold, stage.rejects, plan.steps_trained(run.history),
                               stage.measure)  # fmt: skip

        if not stage.per_candidate:  # every candidate on the same data, at once
            runs = trainer.run(self.dataset, genomes, [s % (2**31) for s in seeds],
                               steps_per_epoch=plan.steps_per_epoch, stop=stop)  # fmt: skip
            return [(v, [stage_info(plan, r.history, v)]) for r, v in ((r, judged(r)) for r in runs)]
        out = []
        for genome, seed in zip(genomes, seeds, strict=True):
            verdicts, infos = [], []
            for r in range(stage.runs):
                seed_r = training_run_seed(seed, r)
                data = self.splits.draw(seed_r) if stage.split == "random" else self.dataset
                (run,) = trainer.run(
                    data, [genome], [seed_r], steps_per_epoch=plan.steps_per_epoch, stop=stop
                )
                verdicts.append(judged(run))
                infos.append({**stage_info(plan, run.history, verdicts[-1]), "run": r, "seed": seed_r})
                if not verdicts[-1].passed:
                    break
            out.append((mean_verdict(verdicts), infos))
        return out

    def evaluate_one(self, genome: GenomeLike, seed: int) -> FitnessResult:
        return self.evaluate([genome], [seed])[0]


@functools.lru_cache(maxsize=4)
def _load_cached(name: str, kwargs: tuple[tuple[str, Any], ...]) -> ImageDataset:
    """One dataset object per process for factories that name the same dataset (the
    initial and main fitness of a search)."""
    return load(name, **dict(kwargs))


@dataclasses.dataclass(frozen=True)
class SurrogateFactory:
    """Builds a `SurrogateFitness` from plain values: picklable and hashable, so a worker
    process (`lossevo.fitness.IsolatedFitness`) can build it, dataset included.

    `dataset_kwargs` are `lossevo.data.load` keyword arguments as sorted (key, value) pairs;
    `SurrogateFactory.make(...)` takes them as a dict.
    """

    surrogate: str
    dataset: str
    dataset_kwargs: tuple[tuple[str, Any], ...] = ()
    scale: float = 1.0
    augmentation: str | None = None
    jit_compile: bool | str = "auto"
    threshold_scale: float = 1.0
    batched_k: int = 0  # K > 0: a `SurrogateFitness` training K candidates at once
    batch_size: int | None = None  # override every stage's batch (smoke runs)

    @classmethod
    def make(cls, surrogate: str, dataset: str, dataset_kwargs: dict[str, Any] | None = None,
             **kwargs: Any) -> SurrogateFactory:  # fmt: skip
        return cls(
            canonical_name(surrogate), dataset, tuple(sorted((dataset_kwargs or {}).items())), **kwargs
        )

    @property
    def name(self) -> str:
        return fitness_name(canonical_name(self.surrogate), self.augmentation)

    def time_limit(self, candidates: int) -> float:
        """Seconds a task of `candidates` may run before it counts as hung: ten minutes plus
        two seconds per planned training step (the papers' 8,000-step surrogates take
        minutes on a GPU; a CPU smoke run of 800 steps about 20 s)."""
        plans = plan_stages(get_spec(self.surrogate), self.scale, self.threshold_scale, self.augmentation,
                            dataset=self.dataset)  # fmt: skip
        return 600.0 + 2.0 * sum(p.steps * p.stage.runs for p in plans) * candidates

    def __call__(self) -> SurrogateFitness:
        dataset = _load_cached(self.dataset, self.dataset_kwargs)
        return SurrogateFitness(self.surrogate, dataset, self.scale, self.augmentation, self.jit_compile,
                                self.threshold_scale, self.batch_size, self.batched_k)  # fmt: skip
