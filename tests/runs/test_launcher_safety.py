"""What a new user meets first, through `experiments/evolve.py`: one process per run
directory, typos that cost nothing, refused resumes that say why, one-line errors for bad
run directories, configuration errors that stop the search, hung evaluations that are cut."""

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
STUB = ["--fitness=stub", "--initial_fitness=stub", "--population=3", "--initial_size=6", "--tournament=2",
        "--iterations=3"]  # fmt: skip


def evolve(workdir, *args, timeout=600, **kw):
    cmd = [sys.executable, os.path.join(ROOT, "experiments", "evolve.py"), f"--workdir={workdir}", *args]
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=timeout, **kw)


def records(workdir, kind=None):
    with open(os.path.join(workdir, "journal.jsonl")) as f:
        return [r for r in map(json.loads, f) if kind is None or r["type"] == kind]


def one_line_error(out, status):
    lines = [line for line in out.stderr.splitlines() if "error:" in line]
    assert out.returncode == status and len(lines) == 1 and "Traceback" not in out.stderr, out.stderr[-2000:]
    return lines[0]


@pytest.mark.launcher
def test_a_second_process_on_the_directory_stops_at_once(tmp_path):
    cmd = [sys.executable, os.path.join(ROOT, "experiments", "evolve.py"), f"--workdir={tmp_path}", *STUB,
           "--stub_delay=1.0"]  # fmt: skip
    first = subprocess.Popen(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):  # until the first process holds the lock and has started its run
            if (tmp_path / "journal.jsonl").exists():
                break
            time.sleep(0.1)
        start = time.monotonic()
        second = evolve(tmp_path, *STUB, "--stub_delay=1.0")
        line = one_line_error(second, 2)
        assert f"in use by another run (pid {first.pid})" in line
        assert time.monotonic() - start < 60  # at once, not after the first run
    finally:
        _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err[-2000:]
    assert len(records(tmp_path, "run")) == 1
    ids = [r["candidate"] for r in records(tmp_path, "finished")]
    assert len(ids) == len(set(ids))  # one run's evaluations, each once


@pytest.mark.parametrize(
    "typo,message",
    [
        ("--seed_losses=cross_entropy,neurolos1", "unknown loss 'neurolos1'"),
        ("--augmentation=bogus", "unknown augmentation 'bogus'"),
        ("--dataset=npz", "needs a path (--data_path)"),
        ("--data_path=/nowhere/x.npz", "the synthetic dataset takes no --data_path"),
        ("--seed=-3", "-3"),
        ("--stub_delay=-1", "stub_delay"),
    ],
)
@pytest.mark.launcher
def test_a_typo_writes_nothing_and_the_corrected_command_runs(tmp_path, typo, message):
    out = evolve(tmp_path / "run", *STUB, typo)
    assert out.returncode != 0 and message in out.stderr and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert not (tmp_path / "run").exists()  # nothing written
    fixed = evolve(tmp_path / "run", *STUB)
    assert fixed.returncode == 0, fixed.stderr[-2000:]


@pytest.mark.launcher
def test_a_refused_resume_names_the_differing_fields(tmp_path):
    assert evolve(tmp_path, *STUB).returncode == 0
    line = one_line_error(evolve(tmp_path, *STUB, "--population=4", "--seed=9"), 2)
    assert "population_size: journal 3, command 4" in line and "seed: journal 0, command 9" in line


@pytest.mark.launcher
def test_bad_run_directory_states_are_one_line(tmp_path):
    journal_dir = tmp_path / "a"
    (journal_dir / "journal.jsonl").mkdir(parents=True)
    assert "is a directory, not a journal file" in one_line_error(evolve(journal_dir, *STUB), 2)
    assert "the run directory is not writable" in one_line_error(evolve("/proc/self", *STUB), 2)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert "cannot create the run directory" in one_line_error(evolve(a_file, *STUB), 2)
    torn = tmp_path / "b"
    torn.mkdir()
    (torn / "journal.jsonl").write_text(
        '{"type": "run", "schema_version": 1, "config": {}}\nnot json\n{"type": "x"}\n'
    )
    assert "journal.jsonl: line 2 is not a journal record" in one_line_error(evolve(torn, *STUB), 2)


@pytest.mark.launcher
def test_a_configuration_error_stops_after_the_first_evaluation_and_resumes_after_the_fix(tmp_path):
    """An error not about the loss (here the stub's, while a file exists: own data that
    breaks mid-run is now caught before the run starts) stops the search with status 1;
    the same command resumes once it is fixed."""
    broken = tmp_path / "broken"
    broken.write_text("a configuration the user will fix")
    args = [*STUB, f"--stub_fail_while={broken}"]
    run = tmp_path / "run"
    out = evolve(run, *args)
    line = one_line_error(out, 1)
    assert "not about the loss" in line and "run the same command again to resume" in line
    assert len(records(run, "started")) >= 1 and not records(run, "finished")
    assert not (run / "best.json").exists()  # a broken configuration is not a result
    broken.unlink()
    fixed = evolve(run, *args)
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    assert json.loads((run / "best.json").read_text())["fitness"] > 0


@pytest.mark.launcher
def test_a_bad_image_is_named_before_anything_is_written(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    root = tmp_path / "images"
    for split, n in (("train", 4), ("test", 2)):
        for c in ("cats", "dogs"):
            (root / split / c).mkdir(parents=True)
            for i in range(n):
                Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(
                    root / split / c / f"{i}.png"
                )
    (root / "test" / "dogs" / "1.png").write_text("a text file posing as a PNG")
    run = tmp_path / "run"
    out = evolve(run, "--small", "--dataset=image_folder", f"--data_path={root}", "--image_size=16,16")
    line = one_line_error(out, 2)  # bad input: one line, exit 2, nothing written
    assert (
        "--dataset=image_folder: " in line and "test/dogs/1.png: not a readable image (Unknown image" in line
    )
    assert "function_node" not in line  # TensorFlow's op prefix is cut
    assert not run.exists()


@pytest.mark.launcher
def test_own_data_with_a_stray_test_label_is_refused_in_one_line(tmp_path):
    x = np.random.default_rng(0).integers(0, 255, (20, 8, 8, 3), dtype=np.uint8)
    y = np.arange(20) % 2
    path = tmp_path / "mine.npz"
    np.savez(path, x_train=x, y_train=y, x_test=x[:4], y_test=np.array([0, 1, 1000, 1]))
    run = tmp_path / "run"
    line = one_line_error(evolve(run, "--small", "--dataset=npz", f"--data_path={path}"), 2)
    assert "test label 1000 is not a training class (0..1)" in line
    assert not run.exists()


@pytest.mark.launcher
def test_a_hung_evaluation_is_cut_and_the_search_finishes(tmp_path):
    out = evolve(tmp_path, *STUB, "--stub_hang=300", "--eval_timeout=4", "--isolate", timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    timed_out = [
        r for r in records(tmp_path, "finished") if "timed out" in r.get("info", {}).get("reason", "")
    ]
    assert timed_out and all(r["hash"].startswith("1") and r["status"] == "failed" for r in timed_out)
    assert "timed out: the evaluation ran past its time limit of 4 s" in out.stdout


def test_progress_says_why_and_sums_up_each_stage(tmp_path):
    out = evolve(tmp_path, *STUB, "--seed=4")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "(rejected: stub rejection)" in out.stdout or "(failed: stub failure)" in out.stdout
    summary = next(line for line in out.stdout.splitlines() if line.startswith("init stage:"))
    assert "6 evaluated (0 from the cache)" in summary and "passed" in summary and "rejected" in summary
    assert any(line.startswith("rescore stage: 3 evaluated") for line in out.stdout.splitlines())


@pytest.mark.launcher
@pytest.mark.slow
def test_a_fast_stub_never_times_out_with_a_fresh_worker_per_evaluation(tmp_path):
    out = evolve(tmp_path, *STUB, "--initial_size=4", "--iterations=1", "--stub_delay=0.05", "--eval_timeout=3",
                 "--isolate", "--recycle_every=1")  # five evaluations, each in a fresh worker  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    finished = records(tmp_path, "finished")
    assert len(finished) >= 5 and not [
        r for r in finished if "timed out" in r.get("info", {}).get("reason", "")
    ]
    assert len({r["info"].get("worker_pid") for r in finished if not r.get("cached")}) >= 5


@pytest.mark.launcher
def test_a_time_limit_without_a_worker_process_is_a_usage_error(tmp_path):
    line = one_line_error(evolve(tmp_path / "run", *STUB, "--eval_timeout=3"), 2)
    assert "needs evaluations in a worker process" in line and "--isolate" in line and "(see --help)" in line
    assert not (tmp_path / "run").exists()
