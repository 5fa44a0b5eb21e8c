"""experiments/evolve.py under faults, as a user meets them: a full disk mid-run (one line,
exit status 1, then an exact resume), output paths taken by the wrong kind of file and Ray
missing (one line, exit status 2, nothing written). The faults are injected by a wrapper
that patches lossevo, then runs the launcher as `python experiments/evolve.py` would."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
STUB = ["--fitness=stub", "--initial_fitness=stub", "--population=6", "--initial_size=14", "--tournament=3",
        "--iterations=12", "--seed=11"]  # fmt: skip
WRAPPER = r"""
import errno, os, runpy, sys
root, fault, *argv = sys.argv[1:]
if fault.startswith("full_after="):  # the disk fills after this many journal records
    from lossevo.store import jsonl
    append, written = jsonl.JsonlWriter.append, [0]
    def full(self, record):
        written[0] += 1
        if written[0] > int(fault.split("=")[1]):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.path)
        return append(self, record)
    jsonl.JsonlWriter.append = full
elif fault == "no_ray":
    sys.modules["ray"] = None  # `import ray` fails, as where it is not installed
sys.path.insert(0, os.path.join(root, "experiments"))
sys.argv = [os.path.join(root, "experiments", "evolve.py"), *argv]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _evolve(workdir, *args, fault="none"):
    cmd = [sys.executable, "-c", WRAPPER, ROOT, fault, f"--workdir={workdir}", *STUB, *args]
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=300)


def _error_lines(out):
    lines = [line for line in out.stderr.splitlines() if "evolve.py: error:" in line or "Traceback" in line]
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    return lines


def _finished(workdir):
    with open(os.path.join(workdir, "journal.jsonl")) as f:
        return [
            (r["candidate"], r["hash"], r["fitness"]) for r in map(json.loads, f) if r["type"] == "finished"
        ]


@pytest.mark.launcher
@pytest.mark.slow
def test_a_full_disk_is_one_line_with_status_1_and_the_resume_is_exact(tmp_path):
    ref = _evolve(tmp_path / "ref")
    assert ref.returncode == 0, ref.stderr[-2000:]
    full = _evolve(tmp_path / "run", fault="full_after=20")
    (line,) = _error_lines(full)
    assert full.returncode == 1
    assert "no space left on the device writing" in line and "run the same command again to resume" in line
    assert len(_finished(tmp_path / "run")) < len(_finished(tmp_path / "ref"))
    again = _evolve(tmp_path / "run")
    assert again.returncode == 0, again.stderr[-2000:]
    assert _finished(tmp_path / "run") == _finished(tmp_path / "ref")
    assert (tmp_path / "run" / "population.jsonl").read_text() == (
        tmp_path / "ref" / "population.jsonl"
    ).read_text()


@pytest.mark.parametrize(
    "taken,make,message",
    [
        ("best.json", os.mkdir, "best.json is not a file"),
        ("population.jsonl", os.mkdir, "population.jsonl is not a file"),
        ("progress.png", os.mkdir, "progress.png is not a file"),
        ("tb", lambda p: open(p, "w").close(), "tb is not a directory"),
    ],
)
@pytest.mark.launcher
def test_an_output_path_of_the_wrong_kind_is_refused_before_the_search(tmp_path, taken, make, message):
    run = tmp_path / "run"
    run.mkdir()
    make(str(run / taken))
    out = _evolve(run)
    (line,) = _error_lines(out)
    assert out.returncode == 2 and message in line and "move it away" in line
    assert sorted(os.listdir(run)) == [taken]  # no journal, no lock: the search never started


@pytest.mark.launcher
def test_the_ray_executor_without_ray_is_a_usage_error_before_anything_is_written(tmp_path):
    out = _evolve(tmp_path / "run", "--executor=ray", fault="no_ray")
    (line,) = _error_lines(out)
    assert out.returncode == 2 and "needs Ray, which is not installed" in line and "lossevo[ray]" in line
    assert line.endswith("(see --help)")
    assert not (tmp_path / "run").exists()
