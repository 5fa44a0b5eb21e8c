"""A third genome representation defined only here (TaylorGLO-like polynomials in ŷ − y),
used everywhere with no change to library code: Keras loss, the search (killed with SIGKILL
and resumed), the run's outputs, its replay and its figures."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import sympy as sp
import tensorflow as tf

import lossevo
from lossevo import space
from lossevo.fitness import HashFitness
from lossevo.losses.evolved import evolved_loss_np
from lossevo.runs import load_run, write_outputs, write_run_figures
from lossevo.search import SearchConfig, read_journal, run_search

KIND = "poly"
ROOT = pathlib.Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True)
class PolyGenome:
    """loss = Σ_c Σ_k a_k (ŷ_c − y_c)^(k+1): a polynomial in the error, without a constant."""

    coefficients: tuple[float, ...]
    kind: str = KIND

    @property
    def hash_hex(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def to_dict(self):
        return {"schema_version": 1, "kind": KIND, "coefficients": list(self.coefficients)}

    def to_json(self, indent=None):
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    @classmethod
    def from_dict(cls, data):
        values = data.get("coefficients")
        if not isinstance(values, list) or not values or not all(isinstance(v, int | float) for v in values):
            raise space.GenomeError("coefficients", "expected a non-empty list of numbers")
        return cls(tuple(float(v) for v in values))

    def per_example(self, y, y_hat, backend="tf"):
        lib = tf if backend == "tf" else np
        error = y_hat - y
        terms = sum(np.float32(a) * error ** (k + 1) for k, a in enumerate(self.coefficients))
        return lib.reduce_sum(terms, axis=-1) if backend == "tf" else np.sum(terms, axis=-1, dtype=np.float32)

    def to_sympy(self, simplify=False, eps=None):
        y, y_hat = sp.symbols("y y_hat")
        expr = sum(sp.Float(a, 4) * (y_hat - y) ** (k + 1) for k, a in enumerate(self.coefficients))
        return sp.simplify(expr) if simplify else expr

    def to_text(self):
        return " + ".join(f"{a:.3g}·(ŷ−y)^{k + 1}" for k, a in enumerate(self.coefficients))

    def to_paper(self):
        return f"1/n Σ_i ({self.to_text()})"

    def to_latex(self):
        return sp.latex(self.to_sympy())


@dataclasses.dataclass(frozen=True)
class PolyMutant:
    genome: PolyGenome
    stored: None = None


@dataclasses.dataclass(frozen=True)
class PolySpace:
    degree: int = 3
    kind: str = KIND

    def sample(self, n, rng):
        return [PolyGenome(tuple(np.round(rng.normal(size=self.degree), 3).tolist())) for _ in range(n)]

    def mutate(self, parent, rng, population):
        values = list(parent.coefficients)
        values[int(rng.integers(len(values)))] = round(float(rng.normal()), 3)
        child = PolyGenome(tuple(values))
        return None if child == parent else PolyMutant(child)


POLY = space.Representation(KIND, PolyGenome.from_dict, lambda config: PolySpace(**config.space),
                            engine="regularized", description="polynomials in the error")  # fmt: skip


def config(seed=4):
    return SearchConfig(seed=seed, population_size=4, initial_size=8, tournament_size=2, iterations=10,
                        representation=KIND, initial_fitness="stub_init", fitness="stub")  # fmt: skip


def search(workdir, delay=0.0):
    return run_search(str(workdir), config(), HashFitness("stub_init", delay), HashFitness("stub", delay))


@pytest.fixture
def poly():
    space.register(POLY)
    yield POLY
    space.unregister(KIND)


def test_a_user_representation_is_a_keras_loss(poly):
    genome = PolyGenome((0.0, 1.0))  # Σ (ŷ − y)²: the squared error
    loss = lossevo.EvolvedLoss(genome)
    y, y_hat = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32), np.array([[0.2, 0.8], [0.5, 0.5]], np.float32)
    assert float(loss(y, y_hat)) == pytest.approx((0.08 + 0.5) / 2)
    assert evolved_loss_np(genome.to_json(), y, y_hat) == pytest.approx([0.08, 0.5])
    again = lossevo.EvolvedLoss.from_config(json.loads(json.dumps(loss.get_config())))
    assert again.genome == genome  # decoded through the registry by its kind
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss=loss)
    history = model.fit(np.ones((8, 3)), np.tile(y, (4, 1)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_a_user_representation_needs_registering():
    with pytest.raises(space.GenomeError, match="unknown genome kind 'poly'"):
        space.genome_from_dict({"kind": KIND, "coefficients": [1.0]})
    with pytest.raises(ValueError, match="unknown genome kind 'poly'"):
        config().validate()


def test_its_errors_name_the_field(poly):
    with pytest.raises(space.GenomeError, match="coefficients"):
        space.genome_from_dict({"kind": KIND, "coefficients": "x"})


def killed_then_resumed(workdir):
    """Runs the search in a child process, kills it with SIGKILL part-way, then resumes it
    here. Returns the finished evaluations journaled before the kill."""
    script = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
              "from tests.space import test_third_representation as t; "
              f"t.space.register(t.POLY); t.search({str(workdir)!r}, delay=0.3)")  # fmt: skip
    child = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    journal = workdir / "journal.jsonl"
    deadline = time.time() + 300
    finished = 0
    while finished < 10 and time.time() < deadline and child.poll() is None:
        time.sleep(0.2)
        if journal.exists():
            finished = journal.read_text().count('"type":"finished"')
    assert child.poll() is None, child.stderr.read()[-2000:]
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    before = sum(r["type"] == "finished" for r in read_journal(str(journal))[0])
    search(workdir)
    return before


@pytest.mark.slow
def test_a_user_representation_searches_resumes_and_replays(poly, tmp_path):
    whole = search(tmp_path / "whole")
    before = killed_then_resumed(tmp_path / "killed")
    resumed = search(tmp_path / "killed")  # a finished run: replayed, nothing evaluated
    whole_records = read_journal(str(tmp_path / "whole" / "journal.jsonl"))[0]
    assert 10 <= before < sum(r["type"] == "finished" for r in whole_records)  # killed part-way
    assert [m.genome for m in resumed.population] == [m.genome for m in whole.population]
    assert resumed.history == whole.history
    records = read_journal(str(tmp_path / "killed" / "journal.jsonl"))[0]
    evaluated = [r["candidate"] for r in records if r["type"] == "finished"]
    assert len(evaluated) == len(set(evaluated))  # no evaluation ran twice across the kill

    best = write_outputs(str(tmp_path / "killed"), resumed)
    assert best["formula"].startswith("1/n Σ_i (") and "(ŷ−y)^3" in best["formula"]
    assert best["genome"]["kind"] == KIND
    run = load_run(str(tmp_path / "killed"))  # replay, read-only
    assert [m.genome for m in run.engine.population] == [m.genome for m in whole.population]
    written = write_run_figures(str(tmp_path / "killed"), str(tmp_path / "figures"), top=2)
    assert {"progress.png", "phenotypes.png"} <= set(written)
    assert all((tmp_path / "figures" / name).stat().st_size > 1000 for name in written)
