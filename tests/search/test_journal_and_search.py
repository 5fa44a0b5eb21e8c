"""Journal durability, replay-based resume, the fitness cache, and bad run directories."""

import json
import os

import pytest

from lossevo import fitness
from lossevo.search import CorruptJournalError, SearchConfig, read_journal, run_search

CFG = SearchConfig(seed=4, population_size=5, initial_size=10, tournament_size=3, iterations=15,
                   initial_fitness="stub", fitness="stub", batch_size=2)  # fmt: skip


def _search(workdir, config=CFG):
    return run_search(str(workdir), config, fitness.HashFitness(), fitness.HashFitness())


def _finished(path):
    records, _ = read_journal(str(path))
    return [
        (r["candidate"], r["hash"], r["fitness"], r["status"]) for r in records if r["type"] == "finished"
    ]


def test_truncating_the_last_record_at_any_byte_keeps_every_earlier_record(tmp_path):
    _search(tmp_path / "run")
    path = tmp_path / "run" / "journal.jsonl"
    data = path.read_bytes()
    lines = data.split(b"\n")[:-1]
    intact = len(lines) - 1
    start = len(data) - len(lines[-1]) - 1
    for cut in range(start, len(data)):  # every byte of the last record, newline included
        torn = tmp_path / "torn.jsonl"
        torn.write_bytes(data[:cut])
        records, good = read_journal(str(torn))
        assert len(records) == intact and good == start
    assert len(read_journal(str(path))[0]) == intact + 1


def test_corrupt_line_names_the_file_and_line(tmp_path):
    _search(tmp_path / "run")
    path = tmp_path / "run" / "journal.jsonl"
    lines = path.read_text().splitlines()
    lines[3] = lines[3][:10]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CorruptJournalError, match=r"journal\.jsonl: line 4 is not a journal record"):
        _search(tmp_path / "run")


def test_other_configuration_in_the_same_directory_is_refused(tmp_path):
    _search(tmp_path / "run")
    other = SearchConfig(**{**CFG.__dict__, "seed": 5, "population_size": 3})
    with pytest.raises(CorruptJournalError, match=r"another configuration \(population_size: journal \d+, "
                       r"command 3; seed: journal \d+, command 5\)"):  # fmt: skip
        _search(tmp_path / "run", other)


def test_resume_after_a_kill_equals_an_uninterrupted_run(tmp_path):
    full = _search(tmp_path / "full")
    reference = _finished(tmp_path / "full" / "journal.jsonl")
    # Simulate kills: keep only the first k records (the last one torn mid-line), resume.
    data = (tmp_path / "full" / "journal.jsonl").read_bytes()
    for keep in (3, 17, 40):
        cut = len(b"\n".join(data.split(b"\n")[:keep])) + 7
        run_dir = tmp_path / f"k{keep}"
        run_dir.mkdir()
        (run_dir / "journal.jsonl").write_bytes(data[:cut])
        resumed = _search(run_dir)
        assert _finished(run_dir / "journal.jsonl") == reference
        assert [m.genome for m in resumed.population] == [m.genome for m in full.population]
        assert resumed.history == full.history


def test_cache_reuses_results_for_the_same_loss(tmp_path):
    _search(tmp_path / "run")
    records, _ = read_journal(str(tmp_path / "run" / "journal.jsonl"))
    finished = [r for r in records if r["type"] == "finished"]
    started = {r["candidate"] for r in records if r["type"] == "started"}
    cached = [r for r in finished if r.get("cached")]
    # The rescore stage meets the init stage's genomes again under the same stub fitness.
    assert len(cached) >= 5 and all(r["candidate"] not in started for r in cached)
    first = {(r["fitness_name"], r["hash"]): r["fitness"] for r in finished if not r.get("cached")}
    assert all(first[(r["fitness_name"], r["hash"])] == r["fitness"] for r in cached)


def test_on_result_sees_every_new_finished_record_of_every_stage(tmp_path):
    seen = []
    run_search(str(tmp_path), CFG, fitness.HashFitness(), fitness.HashFitness(), on_result=seen.append)
    records, _ = read_journal(str(tmp_path / "journal.jsonl"))
    assert seen == [r for r in records if r["type"] == "finished"]
    assert {r["stage"] for r in seen} == {"init", "rescore", "evolve"}
    again = []
    run_search(str(tmp_path), CFG, fitness.HashFitness(), fitness.HashFitness(), on_result=again.append)
    assert again == []  # a replay journals nothing new


def test_header_records_versions_and_config(tmp_path):
    _search(tmp_path / "run")
    header = json.loads((tmp_path / "run" / "journal.jsonl").read_text().splitlines()[0])
    assert header["type"] == "run" and header["schema_version"] == 2
    assert {"lossevo", "tensorflow", "keras", "numpy"} <= set(header["versions"])
    assert header["config"]["seed"] == 4
    started = [json.loads(line) for line in (tmp_path / "run" / "journal.jsonl").read_text().splitlines()
               if '"started"' in line]  # fmt: skip
    assert all({"genome", "hash", "seed", "stage"} <= set(r) for r in started)
    assert os.path.getsize(tmp_path / "run" / "journal.jsonl") > 0


def test_one_fitness_object_for_both_stages_evaluates_each_candidate_once(tmp_path):
    shared = fitness.HashFitness()
    calls = []
    evaluate = shared.evaluate
    shared.evaluate = lambda genomes, seeds: calls.extend(seeds) or evaluate(genomes, seeds)
    run_search(str(tmp_path / "run"), CFG, shared, shared)
    records, _ = read_journal(str(tmp_path / "run" / "journal.jsonl"))
    finished = [r["candidate"] for r in records if r["type"] == "finished"]
    assert len(finished) == len(set(finished))  # one result per candidate
    assert len(calls) == len(set(calls))  # no candidate evaluated twice
    assert all(r["stage"] in ("init", "rescore", "evolve") for r in records if r["type"] == "finished")
