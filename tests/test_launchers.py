"""The launchers run as a user runs them: as scripts, with absl flags."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def _run(*args):
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, "experiments", "sample_genomes.py"), *args],
        capture_output=True, text=True, env=ENV, timeout=300,
    )  # fmt: skip


@pytest.mark.launcher
def test_sample_genomes_writes_genomes_and_figures(tmp_path):
    out = _run(f"--workdir={tmp_path}", "--num_genomes=5", "--seed=3")
    assert out.returncode == 0, out.stderr
    lines = (tmp_path / "genomes.jsonl").read_text().splitlines()
    assert len(lines) == 5
    from lossevo import Genome

    genomes = [Genome.from_dict(json.loads(line)["genome"]) for line in lines]
    assert all(json.loads(line)["hash"] == g.hash_hex for line, g in zip(lines, genomes, strict=True))
    for name in ("phenotypes.png", "genome_0.png", "named_losses.png"):
        assert (tmp_path / name).stat().st_size > 10_000
    assert "5 valid genomes" in out.stdout
    assert _run(f"--workdir={tmp_path}/b", "--num_genomes=5", "--seed=3").returncode == 0
    assert (tmp_path / "b" / "genomes.jsonl").read_text().splitlines() == lines


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--num_genomes=0"], "0 is not a positive integer"), (["--no_such_flag"], "Unknown command line flag"),
     (["--seed=x"], "--seed"), (["stray"], "unexpected arguments: stray")],
)  # fmt: skip
def test_bad_flags_give_one_line_usage_errors(tmp_path, args, message):
    """A bad command: the message first and alone (not after the flags' help), status 2."""
    out = _run(f"--workdir={tmp_path / 'run'}", *args)
    lines = [
        line for line in out.stderr.splitlines() if line.strip() and not line.startswith(("I0000", "WARNING"))
    ]
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("sample_genomes.py: error: ") and message in lines[0]
    assert lines[0].endswith("(see --help)")
    assert not (tmp_path / "run").exists()
