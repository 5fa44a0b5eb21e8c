"""A journal is checked as it is read (`journal.JournalCheck`): a `started` record's genome
must hash to its hash, a `finished` record must carry its candidate's hash, a cache hit must
copy an earlier evaluation. An edited journal is refused, naming its file and line, by the
resume, the replay and every reader of its genomes (`best_candidates`, `run:DIR:K`); an
unedited one (of this build or the first) resumes and replays as before."""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

from lossevo import fitness
from lossevo.runs import best_candidates, load_run
from lossevo.runs.losses import resolve_losses
from lossevo.search import CorruptJournalError, RunDirectoryError, SearchConfig, read_journal, run_search
from lossevo.space import genome_from_dict

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = pathlib.Path(__file__).parent / "fixtures"
CFG = SearchConfig(seed=4, population_size=5, initial_size=10, tournament_size=3, iterations=15,
                   initial_fitness="stub", fitness="stub", batch_size=2)  # fmt: skip
TREE = SearchConfig(seed=3, population_size=6, initial_size=6, iterations=5, batch_size=4,
                    initial_fitness="stub", fitness="stub", representation="tree")  # fmt: skip


def _search(workdir, config=CFG):
    return run_search(str(workdir), config, fitness.HashFitness(), fitness.HashFitness())


def _records(path):
    return [json.loads(line) for line in pathlib.Path(path).read_text().splitlines()]


def _finished(path):
    records, _ = read_journal(str(path))
    return [
        (r["candidate"], r["hash"], r["fitness"], r["status"]) for r in records if r["type"] == "finished"
    ]


def _edit_best_genome(run_dir):
    """Gives the `started` record of the run's best loss (what `run:DIR:1` hands out)
    another candidate's valid genome of another hash, keeping its hash and valid JSON.
    Returns (journal path, line number, candidate, the new genome's hash, the kept hash)."""
    path = pathlib.Path(run_dir) / "journal.jsonl"
    (best,) = best_candidates(str(run_dir), 1)
    records = _records(path)
    i = next(i for i, r in enumerate(records) if r["type"] == "started" and r["hash"] == best)
    other = next(r["genome"] for r in records if r["type"] == "started" and r["hash"] != best)
    assert genome_from_dict(other).hash_hex != best  # a valid genome, of another loss
    records[i]["genome"] = other
    path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records))
    return path, i + 1, records[i]["candidate"], genome_from_dict(other).hash_hex, best


def _rewrite(path, records):
    """The journal written back with `records` (edited in the test)."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def _message(path, line, candidate, actual, journaled):
    return re.escape(f"{path}: line {line}: the genome of candidate {candidate} hashes to {actual}, "
                     f"not to its journaled hash {journaled}; the journal was edited or damaged")  # fmt: skip


def test_resuming_a_journal_with_an_edited_genome_is_refused_naming_the_file_and_line(tmp_path):
    _search(tmp_path / "full")
    path, line, candidate, actual, journaled = _edit_best_genome(tmp_path / "full")
    run = tmp_path / "run"  # killed after the edited record: the resume has candidates to run
    run.mkdir()
    lines = path.read_text().splitlines(keepends=True)
    (run / "journal.jsonl").write_text("".join(lines[: line + 6]))
    before = (run / "journal.jsonl").read_bytes()
    with pytest.raises(RunDirectoryError, match=_message(run / "journal.jsonl", line, candidate, actual,
                                                         journaled)) as error:  # fmt: skip
        _search(run)
    assert isinstance(error.value, CorruptJournalError) and "\n" not in str(error.value)
    assert (run / "journal.jsonl").read_bytes() == before  # nothing written, nothing trained
    with pytest.raises(CorruptJournalError, match=_message(path, line, candidate, actual, journaled)):
        _search(tmp_path / "full")  # the finished run too


@pytest.mark.parametrize(
    "read",
    [
        lambda run_dir: resolve_losses([f"run:{run_dir}:1"]),  # experiments/evaluate.py --losses
        lambda run_dir: best_candidates(str(run_dir), 3),  # eliminate.py, figures, outputs
        lambda run_dir: load_run(str(run_dir)),  # the replay: figures, progress
        lambda run_dir: read_journal(str(pathlib.Path(run_dir) / "journal.jsonl")),
    ],
    ids=["resolve_losses", "best_candidates", "load_run", "read_journal"],
)
def test_every_reader_of_a_run_directory_refuses_an_edited_genome(tmp_path, read):
    _search(tmp_path / "run")
    path, line, candidate, actual, journaled = _edit_best_genome(tmp_path / "run")
    with pytest.raises(CorruptJournalError, match=_message(path, line, candidate, actual, journaled)):
        read(tmp_path / "run")


def test_a_tree_journal_with_an_edited_genome_is_refused(tmp_path):
    _search(tmp_path / "gp", TREE)
    started = [r for r in _records(tmp_path / "gp" / "journal.jsonl") if r["type"] == "started"]
    assert {genome_from_dict(r["genome"]).kind for r in started} == {"tree"}
    path, line, candidate, actual, journaled = _edit_best_genome(tmp_path / "gp")
    message = _message(path, line, candidate, actual, journaled)
    with pytest.raises(CorruptJournalError, match=message):
        resolve_losses([f"run:{tmp_path / 'gp'}:1"])
    with pytest.raises(CorruptJournalError, match=message):
        _search(tmp_path / "gp", TREE)


def test_a_genome_that_cannot_be_decoded_is_refused(tmp_path):
    _search(tmp_path / "run")
    path = tmp_path / "run" / "journal.jsonl"
    records = _records(path)
    i = next(i for i, r in enumerate(records) if r["type"] == "started")
    records[i]["genome"]["nodes"]["root"]["op"] = "no_such_op"
    _rewrite(path, records)
    with pytest.raises(CorruptJournalError, match=re.escape(f"{path}: line {i + 1}: the genome of candidate "
                                                            f"{records[i]['candidate']} cannot be read (nodes.root.op")):  # fmt: skip
        best_candidates(str(tmp_path / "run"), 1)


def test_a_finished_record_with_another_hash_is_refused(tmp_path):
    _search(tmp_path / "run")
    path = tmp_path / "run" / "journal.jsonl"
    records = _records(path)
    started = {r["candidate"]: r["hash"] for r in records if r["type"] == "started"}
    i = next(i for i, r in enumerate(records) if r["type"] == "finished" and r["fitness"] is not None
             and not r.get("cached"))  # fmt: skip
    candidate = records[i]["candidate"]
    other = next(h for h in started.values() if h != records[i]["hash"])
    records[i]["hash"] = other  # another loss's hash: best_candidates would credit it with this fitness
    _rewrite(path, records)
    with pytest.raises(CorruptJournalError, match=re.escape(f"{path}: line {i + 1}: candidate {candidate} "
                                                            f"finished as {other} but was started as {started[candidate]}")):  # fmt: skip
        best_candidates(str(tmp_path / "run"), 3)


@pytest.mark.parametrize(
    "kind,edit,message",
    [
        ("finished", lambda r: r.update(fitness="high"), "a finished record's 'fitness' is 'high', not a number or null"),
        ("finished", lambda r: r.pop("candidate"), "a finished record without 'candidate'"),
        ("started", lambda r: r.update(seed=True), "a started record's 'seed' is True, not an integer"),
        ("started", lambda r: r.update(genome=["x"] * 500), "a started record's 'genome' is ['x', 'x', "),
        ("ask", lambda r: r.update(n="2"), "an ask record's 'n' is '2', not an integer"),
    ],
)  # fmt: skip
def test_a_valid_json_line_with_wrong_types_is_refused_naming_file_and_line(tmp_path, kind, edit, message):
    _search(tmp_path / "run")
    path = tmp_path / "run" / "journal.jsonl"
    records = _records(path)
    i = next(i for i, r in enumerate(records) if r["type"] == kind and r.get("fitness", 0) is not None)
    edit(records[i])
    _rewrite(path, records)
    for read in (lambda: _search(tmp_path / "run"), lambda: best_candidates(str(tmp_path / "run"), 1)):
        with pytest.raises(CorruptJournalError, match=re.escape(f"{path}: line {i + 1}: {message}")) as e:
            read()
        assert len(str(e.value)) < 300  # the bad value is quoted, bounded


def test_a_cache_hit_that_copies_no_evaluation_is_refused(tmp_path):
    _search(tmp_path / "run")
    path = tmp_path / "run" / "journal.jsonl"
    records = _records(path)
    i = next(i for i, r in enumerate(records) if r.get("cached"))
    records[i]["fitness"] = 0.999
    _rewrite(path, records)
    with pytest.raises(CorruptJournalError, match=re.escape(f"{path}: line {i + 1}: the cached result of "
                                                            f"candidate {records[i]['candidate']}")):  # fmt: skip
        _search(tmp_path / "run")


def test_a_foreign_journal_whose_records_agree_is_still_refused_by_the_replay(tmp_path):
    _search(tmp_path / "ours")
    _search(tmp_path / "theirs", SearchConfig(**{**CFG.__dict__, "seed": 5}))
    ours, theirs = (_records(tmp_path / d / "journal.jsonl") for d in ("ours", "theirs"))
    (tmp_path / "theirs" / "journal.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in [ours[0], *theirs[1:]])
    )
    read_journal(str(tmp_path / "theirs" / "journal.jsonl"))  # each record agrees with the others
    with pytest.raises(CorruptJournalError, match="does not belong to this code/config"):
        _search(tmp_path / "theirs")


def test_an_unedited_journal_resumes_and_replays_exactly_as_before(tmp_path):
    full = _search(tmp_path / "full")
    reference = _finished(tmp_path / "full" / "journal.jsonl")
    loaded = load_run(str(tmp_path / "full"))
    assert [m.genome for m in loaded.engine.population] == [m.genome for m in full.population]
    assert loaded.engine.history == full.history
    best = best_candidates(str(tmp_path / "full"), 3)
    assert len(best) == 3 and all(g.hash_hex == h for h, (g, _) in best.items())
    assert list(resolve_losses([f"run:{tmp_path / 'full'}:2"])) == [f"run_{h}" for h in list(best)[:2]]
    data = (tmp_path / "full" / "journal.jsonl").read_bytes()
    for keep in (4, 25):
        run = tmp_path / f"k{keep}"
        run.mkdir()
        (run / "journal.jsonl").write_bytes(b"\n".join(data.split(b"\n")[:keep]) + b"\n")
        resumed = _search(run)
        assert _finished(run / "journal.jsonl") == reference
        assert [m.genome for m in resumed.population] == [m.genome for m in full.population]
        assert resumed.history == full.history


@pytest.mark.parametrize("name", ["v1_graph_sync", "v1_graph_steady", "v1_tree"])
def test_journals_of_the_first_build_pass_the_check(name, tmp_path):
    shutil.copytree(FIXTURES / name, tmp_path / name)
    records, _ = read_journal(str(tmp_path / name / "journal.jsonl"))
    assert records[0]["schema_version"] == 1 and any(r.get("cached") for r in records)
    best = best_candidates(str(tmp_path / name), 3)
    assert best and all(g.hash_hex == h for h, (g, _) in best.items())


@pytest.mark.launcher
def test_launchers_end_on_an_edited_journal_with_one_line_naming_the_file_and_line(tmp_path):
    _search(tmp_path / "run")
    path, line, *_ = _edit_best_genome(tmp_path / "run")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    commands = {  # small sizes: a launcher that reads the journal without the check ends soon too
        "evaluate.py": [f"--workdir={tmp_path / 'eval'}", f"--losses=cross_entropy,run:{tmp_path / 'run'}:1",
                        "--small"],
        "evolve.py": [f"--workdir={tmp_path / 'run'}", "--fitness=stub", "--initial_fitness=stub",
                      "--population=3", "--initial_size=6", "--tournament=2", "--iterations=3"],
    }  # fmt: skip
    for script, args in commands.items():
        cmd = [sys.executable, str(ROOT / "experiments" / script), *args]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        errors = [text for text in out.stderr.splitlines() if "error:" in text]
        assert out.returncode == 2 and len(errors) == 1 and "Traceback" not in out.stderr, out.stderr[-2000:]
        assert f"{path}: line {line}: the genome of candidate" in errors[0], errors[0]
