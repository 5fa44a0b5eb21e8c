"""evaluate / eliminate / correlate / figures launchers at smoke sizes, reading results
back from run directories; bad flags and bad run directories."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def _run(script, *args, timeout=900):
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, "experiments", f"{script}.py"), *args],
        env=ENV, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.fixture(scope="module")
def stub_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("search")
    out = _run("evolve", f"--workdir={run}", "--fitness=stub", "--initial_fitness=stub", "--population=5",
               "--initial_size=10", "--tournament=3", "--iterations=8")  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return run


@pytest.mark.launcher
def test_figures_replay_a_finished_run(stub_run, tmp_path):
    ce = tmp_path / "ce.jsonl"
    ce.write_text("\n".join(json.dumps({"loss": "cross_entropy", "run": i, "test_accuracy": 0.5 + i / 100})
                            for i in range(3)) + "\n")  # fmt: skip
    out = _run(
        "figures", f"--run_dir={stub_run}", f"--out={tmp_path / 'fig'}", "--top=2", f"--ce_results={ce}"
    )
    assert out.returncode == 0, out.stderr[-2000:]
    names = os.listdir(tmp_path / "fig")
    assert {"progress.png", "phenotypes.png", "phenotypes_raw.png"} <= set(names)
    assert sum(n.startswith("surface_diff_") for n in names) == 2


@pytest.mark.launcher
def test_evaluate_table_and_resume(tmp_path):
    args = [f"--workdir={tmp_path}", "--small", "--losses=cross_entropy,a2", "--runs=2", "--steps=20"]
    out = _run("evaluate", *args)
    assert out.returncode == 0, out.stderr[-2000:]
    results = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert sorted((r["loss"], r["run"]) for r in results) == [
        ("a2", 0),
        ("a2", 1),
        ("cross_entropy", 0),
        ("cross_entropy", 1),
    ]
    table = (tmp_path / "table.txt").read_text()
    assert "cross_entropy" in table and "a2" in table and "±" in table and "mean ± std (acc. %)" in table
    assert f"results in {tmp_path}/: results.jsonl (every run), table.txt" in out.stdout
    again = _run("evaluate", *args)  # everything done: nothing retrained, same table
    assert again.returncode == 0 and "run 0" not in again.stdout
    assert (tmp_path / "table.txt").read_text() == table


@pytest.mark.launcher
def test_eliminate_on_a_run_directory(stub_run, tmp_path):
    out = _run("eliminate", f"--run_dir={stub_run}", f"--workdir={tmp_path}", "--small", "--scale=0.05")
    assert out.returncode == 0, out.stderr[-2000:]
    survivors = [json.loads(line) for line in (tmp_path / "survivors.jsonl").read_text().splitlines()]
    # Round 2 trains twice more with the same recipe: scored by the mean of 1 + 2 runs.
    assert len(survivors) == 2 and all(len(s["runs"]) == 3 for s in survivors)
    lines = out.stdout.splitlines()
    header = lines.index(
        next(line for line in lines if line.startswith("survivors after 2 rounds, best first"))
    )
    assert lines[header + 1].split() == ["rank", "score", "runs", "hash", "formula"]
    for rank, (line, s) in enumerate(zip(lines[header + 2 : header + 4], survivors, strict=True), start=1):
        assert line.split()[:4] == [str(rank), f"{s['score']:.4f}", "3", s["hash"]]  # rounded to 4 places
    assert f"results in {tmp_path}/: elimination.jsonl (every run), survivors.jsonl" in out.stdout
    rounds = [json.loads(line) for line in (tmp_path / "elimination.jsonl").read_text().splitlines()]
    assert len(rounds) == 4 + 2 * 2


@pytest.mark.parametrize(
    "script,args,message",
    [
        ("evaluate", ["--workdir=/tmp/x", "--losses=nope"], "unknown loss 'nope'"),
        ("evaluate", ["--workdir=/tmp/x", "--recipe=nope"], "unknown recipe"),
        ("evaluate", ["--workdir=/tmp/x", "--losses=a2"], "--baseline"),
        ("eliminate", ["--run_dir=/tmp/x", "--workdir=/tmp/y", "--protocol=999"], "protocol"),
        (
            "correlate",
            ["--workdir=/tmp/x", "--surrogate=nope"],
            "unknown surrogate 'nope'; known: convnet_standard",
        ),
        ("figures", [], "run_dir"),
    ],
)
@pytest.mark.launcher
def test_bad_flags(script, args, message):
    out = _run(script, *args, timeout=300)
    assert out.returncode != 0 and message in out.stderr and "Traceback" not in out.stderr


def test_not_a_run_directory_names_the_file(tmp_path):
    out = _run("figures", f"--run_dir={tmp_path}", timeout=300)
    assert out.returncode != 0 and "journal.jsonl: no journal here" in out.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (["--code_setting=base"], "--code_setting needs --protocol=code"),
        (["--protocol=code", "--code_setting=base", "--recipe=convnet_standard"], "not both"),
    ],
)
@pytest.mark.launcher
def test_code_setting_is_a_usage_error_outside_the_code_protocol(tmp_path, args, message):
    out = _run("evaluate", f"--workdir={tmp_path / 'run'}", *args, timeout=300)
    # a usage error: one line, status 2, nothing written
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "run").exists()
