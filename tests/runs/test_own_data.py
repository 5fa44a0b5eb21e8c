"""Every launcher runs on the user's own images: a `.npz` file and an image folder that the
test writes, named by `--dataset` and `--data_path`."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
SIZE = 16


def launch(script, *args, timeout=900):
    cmd = [sys.executable, os.path.join(ROOT, "experiments", f"{script}.py"), *args]
    out = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out


def _images(rng, n, label):
    """Images a ConvNet can tell apart: class 1 bright, class 0 dark, plus noise."""
    base = 60 + 130 * label
    return np.clip(base + rng.normal(0, 25, (n, SIZE, SIZE, 3)), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module", params=["npz", "image_folder"])
def own_data(request, tmp_path_factory):
    from PIL import Image

    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp(request.param)
    splits = {"train": 24, "test": 6}
    if request.param == "npz":
        arrays = {}
        for split, n in splits.items():
            labels = np.arange(n) % 2
            arrays[f"x_{split}"] = np.concatenate([_images(rng, 1, int(c)) for c in labels])
            arrays[f"y_{split}"] = labels.astype(np.int64)
        np.savez(root / "mine.npz", **arrays)
        return ["--dataset=npz", f"--data_path={root / 'mine.npz'}"]
    for split, n in splits.items():
        for c in (0, 1):
            folder = root / "images" / split / f"class_{c}"
            folder.mkdir(parents=True)
            for i, image in enumerate(_images(rng, n // 2, c)):
                Image.fromarray(image).save(folder / f"{i}.png")
    return ["--dataset=image_folder", f"--data_path={root / 'images'}", f"--image_size={SIZE},{SIZE}"]


@pytest.mark.launcher
def test_evolve_then_eliminate(own_data, tmp_path):
    run = tmp_path / "search"
    launch("evolve", f"--workdir={run}", "--small", *own_data, "--initial_size=3", "--population=2",
           "--iterations=1", "--scale=0.002", "--threshold_scale=0")  # fmt: skip
    header = json.loads((run / "journal.jsonl").read_text().splitlines()[0])
    assert header["config"]["extra"]["data"]["name"] == own_data[0].split("=")[1]
    assert (run / "best.json").exists()
    out = launch("eliminate", f"--run_dir={run}", f"--workdir={tmp_path / 'elim'}", "--small", "--scale=0.05",
                 *own_data)  # fmt: skip
    assert (tmp_path / "elim" / "survivors.jsonl").read_text().strip() and "round 2" in out.stdout


# evolve and eliminate run on both formats; evaluate and correlate on one each (the loaders
# are the same for every launcher: DataSpec, tested on both in tests/data)
@pytest.mark.parametrize("own_data", ["image_folder"], indirect=True)
@pytest.mark.launcher
def test_evaluate(own_data, tmp_path):
    out = launch("evaluate", f"--workdir={tmp_path}", "--small", *own_data, "--losses=cross_entropy,a2",
                 "--runs=2", "--steps=4")  # fmt: skip
    assert "cross_entropy" in (tmp_path / "table.txt").read_text() and "±" in out.stdout


@pytest.mark.parametrize("own_data", ["npz"], indirect=True)
@pytest.mark.launcher
def test_correlate(own_data, tmp_path):
    """`correlate --small` (its preset: 6 losses, base and all, best 4) on your own images."""
    out = launch("correlate", f"--workdir={tmp_path}", "--small", *own_data, "--scale=0.002")
    result = json.loads((tmp_path / "correlation.json").read_text())
    assert len(result["clusters"]) == 6 and "base|all" in result["kendall_all"]
    lines = out.stdout.splitlines()
    i = lines.index("Kendall's tau between two augmentations' rankings of the 6 losses (-1..1):")
    assert lines[i + 1].split() == ["pair", "all", "best", "4"]
    assert lines[i + 2].split() == ["base|all", f"{result['kendall_all']['base|all']:+.3f}",
                                    f"{result['kendall_best_4']['base|all']:+.3f}"]  # fmt: skip
    assert f"results in {tmp_path}/: scores.jsonl" in out.stdout
    assert (tmp_path / "scatter.png").exists()
