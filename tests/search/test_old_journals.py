"""Journals of lossevo's first build (schema 1) still load, replay, draw and resume.

The fixtures were written by the first build's two loops and its GP search with stub
fitness (`HashFitness`): `v1_graph_sync` (seed 3, batches of 2), `v1_graph_steady` (the
steady-state loop on three threads, seed 5) and `v1_tree` (seed 3). Each holds the
journal and the `population.jsonl` that build wrote at the end.
"""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest

from lossevo.fitness import HashFitness
from lossevo.runs import load_run, write_run_figures
from lossevo.search import LocalExecutor, SearchConfig, ThreadExecutor, read_journal, run_search

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
KINDS = ("v1_graph_sync", "v1_graph_steady", "v1_tree")


def copy(name: str, tmp_path: pathlib.Path) -> pathlib.Path:
    run = tmp_path / name
    shutil.copytree(FIXTURES / name, run)
    return run


def population(engine) -> list[tuple[int, float, int, str]]:
    members = sorted(engine.population, key=lambda m: (-m.fitness, m.candidate_id))
    return [(m.candidate_id, m.fitness, m.age, m.genome.hash_hex[:16]) for m in members]


def written_population(run: pathlib.Path) -> list[tuple[int, float, int, str]]:
    rows = [json.loads(line) for line in (run / "population.jsonl").read_text().splitlines()]
    rows.sort(key=lambda r: (-r["fitness"], r["candidate"]))
    return [(r["candidate"], r["fitness"], r["age"], r["hash"][:16]) for r in rows]


def finished(run: pathlib.Path) -> list[dict]:
    records, _ = read_journal(str(run / "journal.jsonl"))
    return [r for r in records if r["type"] == "finished"]


def resume(run: pathlib.Path, executor=None):
    header = json.loads((run / "journal.jsonl").read_text().splitlines()[0])
    config = SearchConfig.from_json(header["config"], header["schema_version"])
    initial, main = HashFitness(config.initial_fitness), HashFitness(config.fitness)
    return run_search(str(run), config, initial, main, executor or LocalExecutor(config.batch_size))


@pytest.mark.parametrize("name", KINDS)
def test_a_v1_run_replays_to_the_population_it_wrote(name, tmp_path):
    run = copy(name, tmp_path)
    loaded = load_run(str(run))
    assert loaded.finished
    assert population(loaded.engine) == written_population(run)
    assert (run / "journal.jsonl").read_bytes() == (
        FIXTURES / name / "journal.jsonl"
    ).read_bytes()  # read-only
    written = write_run_figures(str(run), str(tmp_path / "figures"), top=2)
    assert "progress.png" in written and len(written) == 3 + 2 * 2
    assert all((tmp_path / "figures" / f).stat().st_size > 0 for f in written)


@pytest.mark.parametrize("name", KINDS)
def test_resuming_a_finished_v1_run_evaluates_nothing_and_upgrades_it(name, tmp_path):
    run = copy(name, tmp_path)
    before = finished(run)
    engine = resume(run)
    assert population(engine) == written_population(run)
    after = finished(run)
    assert [(r["candidate"], r["fitness"]) for r in after] == [(r["candidate"], r["fitness"]) for r in before]
    header = json.loads((run / "journal.jsonl").read_text().splitlines()[0])
    assert header["schema_version"] == 2
    assert population(load_run(str(run)).engine) == written_population(run)  # the upgrade replays too
    resume(run)  # and resumes again as schema 2, still evaluating nothing
    assert len(finished(run)) == len(before)


def truncate(run: pathlib.Path, keep_finished: int) -> None:
    """Cuts the journal after its `keep_finished`-th result, mid-line (a crash)."""
    lines = (run / "journal.jsonl").read_text().splitlines(keepends=True)
    kept, seen = [], 0
    for line in lines:
        kept.append(line)
        seen += json.loads(line)["type"] == "finished"
        if seen == keep_finished:
            break
    following = lines[len(kept)] if len(kept) < len(lines) else ""
    (run / "journal.jsonl").write_text("".join(kept) + following[: len(following) // 2])


@pytest.mark.parametrize("name", ("v1_graph_sync", "v1_tree"))
def test_a_crashed_v1_run_resumes_to_the_same_population(name, tmp_path):
    run = copy(name, tmp_path)
    total = len(finished(run))
    truncate(run, total // 2)
    engine = resume(run)
    assert population(engine) == written_population(run)
    done = finished(run)
    assert len(done) == total
    assert len({r["candidate"] for r in done}) == len(done)  # nothing evaluated twice


def test_a_crashed_v1_steady_state_run_resumes_on_threads(tmp_path):
    run = copy("v1_graph_steady", tmp_path)
    truncate(run, 9)
    with ThreadExecutor(3) as ex:
        engine = resume(run, ex)
    assert engine.done and len(engine.population) == 4
    done = finished(run)
    assert len({r["candidate"] for r in done}) == len(done)
    assert population(load_run(str(run)).engine) == population(engine)


def config(seed: int, batch_size: int = 1) -> SearchConfig:
    return SearchConfig(seed=seed, population_size=4, initial_size=8, tournament_size=3, iterations=6,
                        batch_size=batch_size, initial_fitness="stub_init", fitness="stub")  # fmt: skip


@pytest.mark.parametrize("how", ("threads", "batches"))
def test_steady_state_and_batched_runs_replay_draw_and_resume(how, tmp_path):
    run = tmp_path / how
    cfg = config(7, batch_size=3 if how == "batches" else 1)
    fitness = HashFitness("stub_init"), HashFitness("stub")
    if how == "threads":
        with ThreadExecutor(3) as ex:
            engine = run_search(str(run), cfg, *fitness, ex)
    else:
        engine = run_search(str(run), cfg, *fitness)
    assert population(load_run(str(run)).engine) == population(engine)
    assert write_run_figures(str(run), str(tmp_path / "figures"), top=2)
    count = len(finished(run))
    again = run_search(str(run), cfg, *fitness)  # resumed by the one loop, whatever ran it
    assert population(again) == population(engine) and len(finished(run)) == count
