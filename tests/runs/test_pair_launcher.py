"""Paper 003's pair fitness (wins against CE, mean improvement) from the launcher, on two
small offline datasets: CE's baselines are trained once, kept in the run directory, and a
search killed after its baselines resumes without training them again."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lossevo.fitness.pair import decode_pair

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
SIZE = 16


def _dataset(path, seed, contrast):
    """Two classes a ConvNet can tell apart (bright and dark), `contrast` apart."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", 96), ("val", 32), ("test", 8)):
        labels = np.arange(n) % 2
        base = 128 + contrast * (labels[:, None, None, None] - 0.5)
        arrays[f"x_{split}"] = np.clip(base + rng.normal(0, 90, (n, SIZE, SIZE, 3)), 0, 255).astype(np.uint8)
        arrays[f"y_{split}"] = labels.astype(np.int64)
    np.savez(path, **arrays)
    return path


def _cmd(workdir, a, b):
    return [sys.executable, os.path.join(ROOT, "experiments", "evolve.py"), f"--workdir={workdir}",
            "--representation=tree", "--config=small_tree", "--fitness=convnet_standard", "--scale=0.02",
            "--threshold_scale=0", "--surrogate_batch=16", "--population=2", "--iterations=1", "--seed=5",
            "--dataset=npz", f"--data_path={a}", f"--pair_data=npz:{b}"]  # fmt: skip


def _finished(workdir):
    path = os.path.join(workdir, "journal.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [r for r in map(json.loads, f) if r["type"] == "finished"]


@pytest.mark.launcher
def test_pair_fitness_trains_ce_once_and_resumes_after_a_kill(tmp_path):
    a, b = _dataset(tmp_path / "a.npz", 0, 12), _dataset(tmp_path / "b.npz", 1, 6)
    run = tmp_path / "run"
    baselines = run / "ce_baselines.json"
    proc = subprocess.Popen(
        _cmd(run, a, b), env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.time() + 600
    while not _finished(run) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.5)
    assert proc.poll() is None, proc.stdout.read()[-3000:]  # still running: killed part-way
    proc.send_signal(signal.SIGKILL)
    first_output = proc.communicate()[0]
    assert first_output.count("training convnet_standard with cross-entropy") == 2
    stored = json.loads(baselines.read_text())["baselines"]
    assert sorted(e["dataset"] for e in stored.values()) == ["npz", "npz"]
    before = (baselines.read_bytes(), baselines.stat().st_mtime_ns)
    done_before = len(_finished(run))

    out = subprocess.run(_cmd(run, a, b), env=ENV, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "with cross-entropy" not in out.stdout  # nothing trained again
    assert out.stdout.count(f"from {baselines}") == 2
    assert (baselines.read_bytes(), baselines.stat().st_mtime_ns) == before

    finished = _finished(run)
    assert len({r["candidate"] for r in finished}) == len(finished) >= done_before + 1 >= 2  # none twice
    assert "1 iterations" in out.stdout and (run / "population.jsonl").exists()
    ce = {dict(json.loads(k)["dataset_kwargs"])["path"]: e["accuracy"] for k, e in stored.items()}
    ce = [ce[str(a)], ce[str(b)]]  # in the datasets' order
    header = json.loads((run / "journal.jsonl").read_text().splitlines()[0])
    assert header["config"]["extra"]["objective"] == "ce_pair"
    assert header["config"]["extra"]["pair_data"][0]["path"] == str(b)
    for r in finished:
        if r["status"] != "ok":
            continue
        info = r["info"]
        assert r["fitness_name"] == "ce_pair(convnet_standard@npz,convnet_standard@npz)"
        assert info["wins"] == sum(acc > c for acc, c in zip(info["accuracies"], ce, strict=True))
        assert decode_pair(r["fitness"])[0] == info["wins"]
    best = json.loads((run / "best.json").read_text())
    assert best["fitness"] == max(r["fitness"] for r in finished if r["status"] == "ok")
