"""experiments/evolve.py as a user runs it: SIGKILL and resume, bad flags, bad run dirs,
and a small real search."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
SCRIPT = os.path.join(ROOT, "experiments", "evolve.py")
STUB = ["--fitness=stub", "--initial_fitness=stub", "--population=6", "--initial_size=14", "--tournament=3",
        "--iterations=25", "--stub_delay=0.05", "--seed=11"]  # fmt: skip


def _cmd(workdir, *args):
    return [sys.executable, SCRIPT, f"--workdir={workdir}", *args]


def _finished(workdir):
    out = []
    with open(os.path.join(workdir, "journal.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if r["type"] == "finished":
                out.append((r["candidate"], r["hash"], r["fitness"], r["status"]))
    return out


def _lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


@pytest.mark.launcher
def test_sigkill_at_random_points_then_resume_equals_uninterrupted(tmp_path):
    ref = tmp_path / "ref"
    done = subprocess.run(_cmd(ref, *STUB), env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    # Kill points by the run's progress (lines of the journal), not by the clock, so that a
    # slow start-up on a busy machine does not move them: four distinct points through the
    # run, each a random moment into the evaluation that follows its journal line.
    rng = random.Random(0)
    total = _lines(ref / "journal.jsonl")
    points = sorted(rng.sample(range(8, total - 8, 3), 4))
    run = tmp_path / "killed"
    kills = 0
    for point in points:
        proc = subprocess.Popen(_cmd(run, *STUB), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while proc.poll() is None and _lines(run / "journal.jsonl") < point and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.05))  # evaluations take 0.05 s each
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        else:
            assert proc.returncode == 0, proc.stderr.read()[-2000:]
            break
    final = subprocess.run(_cmd(run, *STUB), env=ENV, capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr[-2000:]
    assert kills >= 2
    assert _finished(run) == _finished(ref)
    assert (run / "population.jsonl").read_text() == (ref / "population.jsonl").read_text()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--population=0"], "population"),
        (["--population=50", "--initial_size=10"], "cannot exceed"),
        (["--fitness=resnet50"], "unknown surrogate 'resnet50'; known: convnet_standard"),
        (["--dataset=imagenet"], "unknown dataset 'imagenet'; known datasets:"),
        (["--representation=tree", "--batched_k=4"], "graph genomes only"),
        (["--executor=ray", "--batched_k=4"], "one candidate per Ray task"),
        (["--no_such_flag"], "no_such_flag"),
        (["--pair_data=nope"], "--pair_data=nope: unknown dataset 'nope'"),
        (["--objective=ce_pair", "--fitness=stub"], "the stub fitness trains none"),
    ],
)
@pytest.mark.launcher
def test_bad_flags_are_usage_errors(tmp_path, args, message):
    out = subprocess.run(_cmd(tmp_path / "w", *args), env=ENV, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and message in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_workdir_flag():
    out = subprocess.run([sys.executable, SCRIPT], env=ENV, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and "workdir" in out.stderr


def test_corrupt_run_directory_names_the_file(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "journal.jsonl").write_text('{"type": "run", "schema_version": 1}\nnot json\n{"type": "x"}\n')
    out = subprocess.run(_cmd(run, *STUB), env=ENV, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and "journal.jsonl: line 2" in out.stderr


@pytest.mark.launcher
def test_small_real_search_beats_a_random_genome(tmp_path):
    run = tmp_path / "real"
    args = ["--small", "--population=4", "--initial_size=8", "--iterations=2", "--synthetic_train=1500",
            "--batched_k=4", "--scale=0.05"]  # four at a time, as one wide ConvNet  # fmt: skip
    out = subprocess.run(_cmd(run, *args), env=ENV, capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, out.stderr[-3000:]
    for name in ("journal.jsonl", "population.jsonl", "best.json", "progress.png", "best_phenotypes.png"):
        assert (run / name).exists()
    assert any(f.startswith("events") for f in os.listdir(run / "tb"))
    best = json.loads((run / "best.json").read_text())["fitness"]
    records = [json.loads(line) for line in (run / "journal.jsonl").read_text().splitlines()[1:]]
    random_init = [r["fitness"] or 0.0 for r in records if r["type"] == "finished" and r["candidate"] < 8]
    assert best > sorted(random_init)[len(random_init) // 2]  # better than the median random genome
    assert best > 0.2  # well above chance (0.1) on the synthetic set
    evaluated = [r for r in records if r["type"] == "finished" and not r.get("cached")]
    assert all(r["info"]["worker_pid"] > 0 for r in evaluated)  # isolated in a worker by default
    header = json.loads((run / "journal.jsonl").read_text().splitlines()[0])
    assert header["config"]["batch_size"] == 4  # --batched_k asks K candidates at once
    init = [r["info"]["worker_pid"] for r in evaluated if r["stage"] == "init"]
    assert len(init) == 8 and len(set(init)) == 1  # K candidates per task, in one worker


def test_tree_search_with_the_stub_fitness(tmp_path):
    run = tmp_path / "tree"
    args = ["--representation=tree", "--fitness=stub", "--objective=accuracy", "--population=4", "--iterations=3",
            "--seed=3"]  # fmt: skip
    out = subprocess.run(_cmd(run, *args), env=ENV, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    best = json.loads((run / "best.json").read_text())
    assert best["genome"]["kind"] == "tree" and "y" in best["formula"]
    records = [json.loads(line) for line in (run / "journal.jsonl").read_text().splitlines()]
    assert records[0]["config"]["representation"] == "tree"
    assert {r["stage"] for r in records if r["type"] == "finished"} == {"initial", "evolve"}
    assert (run / "best_phenotypes.png").stat().st_size > 0  # any kind draws through the protocol


@pytest.mark.launcher
@pytest.mark.ray
def test_ray_executor_from_the_launcher(tmp_path):
    pytest.importorskip("ray")
    run = tmp_path / "ray"
    args = [*STUB[:2], "--population=2", "--initial_size=2", "--tournament=2", "--iterations=1",
            "--executor=ray", "--max_in_flight=2"]  # fmt: skip
    out = subprocess.run(_cmd(run, *args), env=ENV, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    records = [json.loads(line) for line in (run / "journal.jsonl").read_text().splitlines()]
    evaluated = [r for r in records if r["type"] == "finished" and not r.get("cached")]
    assert all("worker_pid" in r["info"] for r in evaluated), [r["info"] for r in evaluated]
    pids = [r["info"]["worker_pid"] for r in evaluated]
    assert len(evaluated) >= 3 and len(set(pids)) == len(pids)  # a fresh Ray worker process per task
    assert "1 iterations" in out.stdout


@pytest.mark.launcher
def test_best_is_the_best_ever_even_after_it_aged_out(tmp_path):
    """Seed 5's best stub fitness ages out of a population of 3 (checked below): best.json,
    the final line and `best_candidates` still name it."""
    from lossevo.runs import best_candidates

    run = tmp_path / "aged"
    args = ["--fitness=stub", "--initial_fitness=stub", "--population=3", "--initial_size=6", "--tournament=2",
            "--iterations=40", "--seed=5"]  # fmt: skip
    out = subprocess.run(_cmd(run, *args), env=ENV, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    records = [json.loads(line) for line in (run / "journal.jsonl").read_text().splitlines()[1:]]
    main = [
        r for r in records if r["type"] == "finished" and r["fitness"] is not None and r["stage"] != "init"
    ]
    top = max(main, key=lambda r: r["fitness"])
    population = [json.loads(line) for line in (run / "population.jsonl").read_text().splitlines()]
    assert top["hash"] not in {m["hash"] for m in population}  # the premise: the best aged out
    best = json.loads((run / "best.json").read_text())
    assert (best["fitness"], best["hash"]) == (top["fitness"], top["hash"])
    assert best["final_population_best"]["fitness"] == population[0]["fitness"] < top["fitness"]
    assert f"best fitness {top['fitness']:.4f} (the best ever found)" in out.stdout
    assert "the final population's best" in out.stdout
    ((h, (_, fitness)),) = best_candidates(str(run), 1).items()
    assert (h, fitness) == (top["hash"], top["fitness"])


@pytest.mark.launcher
def test_a_search_in_which_nothing_passed_writes_no_best(tmp_path):
    run = tmp_path / "none"
    # The stub ranks 4 random genomes; the best 2 are trained and rejected (every early-stopping
    # threshold above 1); no iterations.
    args = ["--small", "--initial_fitness=stub", "--initial_size=4", "--population=2", "--iterations=0",
            "--scale=0.002", "--threshold_scale=1000"]  # fmt: skip
    out = subprocess.run(_cmd(run, *args), env=ENV, capture_output=True, text=True, timeout=900)
    lines = [line for line in out.stderr.splitlines() if "error:" in line]
    assert out.returncode == 3 and len(lines) == 1 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert "no candidate passed" in lines[0]
    assert not (run / "best.json").exists() and (run / "journal.jsonl").exists()
