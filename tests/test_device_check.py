"""benchmarks/device_check.py runs every section at its CPU size and writes one JSON."""

import json
import os
import subprocess
import sys

import pytest

from lossevo.models.wide_layers import grouped_conv_fast

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.launcher
def test_the_device_check_runs_tiny_on_a_cpu(tmp_path):
    out = tmp_path / "device_check.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "device_check.py"), "--tiny",
                           f"--out={out}"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    sections = ("ops_xla", "wide_isolation", "wide_equivalence", "rates", "mixed_precision", "notebook_04")
    for name in sections:
        assert "error" not in report[name], report[name]
    assert report["ops_xla"]["ops"] == 44 and report["ops_xla"]["worst_rel_diff"] < 1e-4
    for form in ("grouped", "patches"):  # both wide convolution forms, measured against each other on a GPU
        isolation = report["wide_isolation"][form]
        assert isolation["form"] == form and isolation["inactive_unchanged"]
        assert report["rates"]["by_config"][f"convnet_standard@2/{form}"]["cand_h"] > 0
    # TensorFlow's CPU grouped convolution lets a NaN candidate reach the others (the CPU's
    # default is "split"); the patches form isolates it on any device, cuDNN's on a GPU.
    for form in ("patches", "grouped") if grouped_conv_fast() else ("patches",):
        assert report["wide_isolation"][form]["slot0_finite"]
        assert report["wide_isolation"][form]["nonfinite"] == [False, False, True]
    assert report["rates"]["by_config"]["convnet_standard@2/fastest"] in ("grouped", "patches")
    assert report["wide_equivalence"]["max_weight_diff"] < 3e-2
    assert report["mixed_precision"]["loss_finite"]
