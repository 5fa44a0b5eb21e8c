"""`import lossevo` alone is enough to load a model trained and saved with lossevo."""

import importlib.metadata
import os
import subprocess
import sys
import textwrap

import pytest

import lossevo
from lossevo import data, training

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


@pytest.mark.slow
def test_saved_model_reloads_after_importing_only_lossevo(tmp_path):
    ds = data.load("synthetic", num_train=64, num_validation=32, num_test=8)
    # resnet9v2_6m has VariableDropout; the recipe's optimizer carries a WarmupCosineDecay
    result = training.train(
        "resnet9v2_small", "neuroloss1", ds, "convnet_standard", steps=2, steps_per_epoch=2,
        evaluate_test=False, model_kwargs={"dropout": 0.2},
    )  # fmt: skip
    path = tmp_path / "m.keras"
    result.model.save(path)
    code = textwrap.dedent(f"""
        import keras
        import lossevo
        model = keras.models.load_model({str(path)!r})
        print(type(model.loss).__name__, type(model.optimizer.learning_rate).__name__)
        print(sorted({{type(layer).__name__ for layer in model.layers}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "VariableDropout" in out.stdout


def test_installed_version_is_the_package_version():
    """One version: setup.py reads lossevo/version.py, so pip and `lossevo.__version__` agree."""
    assert importlib.metadata.version("lossevo") == lossevo.__version__
