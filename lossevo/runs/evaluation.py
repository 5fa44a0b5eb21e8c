"""The final evaluation as one value and one resumable runner: what `experiments/evaluate.py`
runs (docs/evaluating.md).

    study = EvaluationStudy.resolve(reproduce="002_table4", small=True)
    text = run_evaluation(study, lossevo.data.DataSpec("cifar10"), "runs/table4")

`resolve` holds the rules of a command's options: a named reproduction
(`analysis.reproduce`) fixes the recipe, losses, runs, protocol and table unless they are
given; the authors' "code" protocol runs `CODE_RUNS` times and takes one of
`CODE_SETTINGS` instead of a recipe; a smoke run (`small`) runs twice at smoke sizes and is
not compared with the papers' figures. Every finished run is appended to `results.jsonl`;
the table goes to `table.txt`.
"""

from __future__ import annotations

import dataclasses
import os

from lossevo.analysis import published
from lossevo.analysis.evaluation import CODE_RUNS, CODE_SETTINGS, FINAL_PROTOCOLS, evaluate_losses
from lossevo.analysis.reproduce import get_reproduction, report
from lossevo.data.spec import DataSpec
from lossevo.runs.losses import resolve_losses
from lossevo.store.lock import RunLock
from lossevo.training import recipes
from lossevo.training.smoke import smoke_recipe

DEFAULT_LOSSES = ("cross_entropy", "neuroloss1", "a2")
SMOKE_RUNS = 2


@dataclasses.dataclass(frozen=True)
class EvaluationStudy:
    """A final evaluation: `losses` (names, genome files, `run:DIR:K`) trained `runs` times
    by `recipe` under `protocol`, compared with `baseline` and, unless a smoke run, with the
    published `table` (rows picked by `filters`). `model` and `steps` override the recipe's."""

    recipe: str = "convnet_standard"
    losses: tuple[str, ...] = DEFAULT_LOSSES
    runs: int = 5
    protocol: str = "holdout"
    baseline: str = "cross_entropy"
    table: str | None = None
    filters: tuple[tuple[str, object], ...] = ()
    model: str | None = None
    steps: int | None = None
    small: bool = False

    @classmethod
    def resolve(cls, *, reproduce: str | None = None, recipe: str | None = None,
                losses: tuple[str, ...] | list[str] | None = None, runs: int | None = None,
                protocol: str | None = None, code_setting: str | None = None, table: str | None = None,
                small: bool = False, **rest) -> EvaluationStudy:  # fmt: skip
        """The study a command names; None means "not given". Raises `ValueError`."""
        filters: tuple = ()
        if runs is None and small:
            runs = SMOKE_RUNS
        if reproduce is not None:
            rep = get_reproduction(reproduce)
            recipe, losses, protocol = recipe or rep.recipe, losses or rep.losses, protocol or rep.protocol
            runs, table, filters = runs or rep.runs, table or rep.table, rep.filters
        protocol = protocol or "holdout"
        if code_setting is not None:
            if protocol != "code":
                raise ValueError("--code_setting needs --protocol=code")
            if recipe is not None:
                raise ValueError("--code_setting picks the recipe: give --recipe or --code_setting, not both")
            if code_setting not in CODE_SETTINGS:
                raise ValueError(f"unknown code setting {code_setting!r}; known: {', '.join(CODE_SETTINGS)}")
            recipe = CODE_SETTINGS[code_setting]
        if runs is None:
            runs = CODE_RUNS if protocol == "code" else cls.runs
        study = cls(recipe or cls.recipe, tuple(losses or DEFAULT_LOSSES), runs, protocol, table=table,
                    filters=tuple(filters), small=small, **rest)  # fmt: skip
        return study.validate()

    def validate(self) -> EvaluationStudy:
        if self.protocol not in FINAL_PROTOCOLS:
            raise ValueError(f"unknown protocol {self.protocol!r}; known: {', '.join(FINAL_PROTOCOLS)}")
        if self.table is not None and self.table not in published.TABLES:
            raise ValueError(f"--paper_table {self.table!r}: known tables are {', '.join(published.TABLES)}")
        if self.runs < 1:
            raise ValueError(f"runs must be at least 1, got {self.runs}")
        self.training_recipe()
        if self.baseline not in self.loss_factories():
            raise ValueError(f"--baseline {self.baseline!r} must be one of --losses")
        return self

    def training_recipe(self) -> recipes.Recipe:
        try:
            recipe = recipes.get(self.recipe)
        except ValueError as e:
            raise ValueError(f"--recipe: {e}") from None
        return smoke_recipe(recipe) if self.small else recipe

    def loss_factories(self) -> dict:
        try:
            return resolve_losses(self.losses)
        except ValueError as e:
            raise ValueError(f"--losses: {e}") from None


def run_evaluation(study: EvaluationStudy, data: DataSpec, workdir: str) -> str:
    """Runs (or resumes) `study` on `data` in `workdir` (locked): `results.jsonl` (every
    run) and `table.txt` (the returned table, with the published comparison)."""
    recipe = study.training_recipe()
    with RunLock(workdir):
        results = evaluate_losses(study.loss_factories(), data.load, recipe, study.runs,
                                  os.path.join(workdir, "results.jsonl"), model=study.model, steps=study.steps,
                                  protocol=study.protocol)  # fmt: skip
        table = None if study.small else study.table
        text = report(results, study.baseline, table, dict(study.filters), data.name)
        if study.small:
            compared = f" (table {study.table})" if study.table else ""
            text = (f"Smoke run (--small: {recipe.steps} steps at batch {recipe.batch_size}); not compared with "
                    f"the papers' figures{compared}.\n{text}")  # fmt: skip
        with open(os.path.join(workdir, "table.txt"), "w") as f:
            f.write(text + "\n")
    return text
