"""The Colab notebooks: each runs top to bottom on CPU with its size knob at "ci", is stored
without outputs, and is linked from the README with an "Open in Colab" badge.

Each notebook is executed by nbclient in a fresh kernel of this interpreter (a kernelspec
written for `sys.executable`, so no registered `python3` kernel of another environment is
picked up), in a temporary working directory, with `LOSSEVO_NOTEBOOK_SIZE=ci`.
"""

import collections
import json
import os
import re
import resource
import sys
import time

import nbformat
import pytest

pytestmark = pytest.mark.notebook

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK_DIR = os.path.join(ROOT, "notebooks")
NOTEBOOKS = sorted(f for f in os.listdir(NOTEBOOK_DIR) if f.endswith(".ipynb"))
EXPECTED = ["01_quickstart.ipynb", "02_search.ipynb", "03_reproduce.ipynb", "04_accelerators.ipynb"]
# Seconds one notebook (and one cell) may take in CI mode; measured on 2 CPU cores: 8-42 s each,
# up to 84 s when other jobs load the cores.
NOTEBOOK_BUDGET_S = 240
METADATA_KEYS = {"kernelspec", "language_info", "accelerator", "colab"}
COLAB = re.compile(
    r"\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]"
    r"\(https://colab\.research\.google\.com/github/([\w.-]+)/([\w.-]+)/blob/main/notebooks/([\w.-]+\.ipynb)\)"
)


def _read(name):
    return nbformat.read(os.path.join(NOTEBOOK_DIR, name), as_version=4)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _repo_constant(nb):
    match = re.search(r'LOSSEVO_REPO = "https://github\.com/([\w.-]+)/([\w.-]+)"', _code(nb)[0].source)
    assert match, "the first code cell must define LOSSEVO_REPO"
    return match.groups()


def test_the_four_notebooks_exist():
    assert NOTEBOOKS == EXPECTED


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_without_outputs(name):
    nb = _read(name)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        assert not cell.get("metadata"), f"cell {i} has metadata {cell.get('metadata')}"
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {i} has outputs"
            assert cell.execution_count is None, f"cell {i} has an execution count"
    assert set(nb.metadata) <= METADATA_KEYS, f"extra notebook metadata: {set(nb.metadata) - METADATA_KEYS}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_installs_imports_lossevo_and_has_a_size_knob(name):
    nb = _read(name)
    code = _code(nb)
    first = code[0].source
    assert 'find_spec("lossevo") is None' in first and "git+{LOSSEVO_REPO}" in first
    source = "\n".join(c.source for c in code)
    assert re.search(r"^(import lossevo|from lossevo[\w.]* import)", source, re.M)
    knob = re.search(r'^SIZE = "(\w+)"  # "ci" \| "small" \| "paper"$', source, re.M)
    assert knob and knob.group(1) == "small", "the knob defaults to the CPU-friendly size"
    assert 'SIZE = os.environ.get("LOSSEVO_NOTEBOOK_SIZE", SIZE)' in source
    assert _repo_constant(nb) == _repo_constant(_read(NOTEBOOKS[0])), "one LOSSEVO_REPO for all notebooks"


def test_readme_links_every_notebook_with_a_colab_badge():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        links = COLAB.findall(f.read())
    linked = {nb for _, _, nb in links}
    missing = [nb for nb in NOTEBOOKS if nb not in linked]
    assert not missing, f"README.md lacks an Open-in-Colab badge for {missing}"
    assert not linked - set(NOTEBOOKS), (
        f"README.md links notebooks that do not exist: {linked - set(NOTEBOOKS)}"
    )
    repo = _repo_constant(_read(NOTEBOOKS[0]))
    assert {(owner, name) for owner, name, _ in links} == {repo}, "badges must point at LOSSEVO_REPO"


# -- execution --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory):
    """A kernelspec for this interpreter, with the size knob turned down and the checkout
    importable (so the install cell never reaches for the network)."""
    root = tmp_path_factory.mktemp("kernels")
    spec = root / "lossevo-ci"
    spec.mkdir()
    pythonpath = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "lossevo CI",
                "language": "python",
                "env": {"LOSSEVO_NOTEBOOK_SIZE": "ci", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": pythonpath},
            }
        )
    )
    return str(root)


def _child_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the kernel counts once it has exited
    return usage.ru_utime + usage.ru_stime


def _execute(name, kernel_dir, workdir):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = _read(name)
    spec_manager = KernelSpecManager(kernel_dirs=[kernel_dir], ensure_native_kernel=False)
    km = KernelManager(kernel_name="lossevo-ci", kernel_spec_manager=spec_manager)
    client = NotebookClient(
        nb, km=km, timeout=NOTEBOOK_BUDGET_S, resources={"metadata": {"path": str(workdir)}}
    )
    start, cpu = time.perf_counter(), _child_cpu()
    client.execute(cleanup_kc=True)  # shut the kernel down: the client does not own `km`
    seconds = time.perf_counter() - start
    print(f"{name}: {seconds:.1f} s wall, {_child_cpu() - cpu:.1f} s CPU in the kernel")
    if os.environ.get("LOSSEVO_SAVE_EXECUTED"):  # a folder to keep the executed notebooks in
        nbformat.write(nb, os.path.join(os.environ["LOSSEVO_SAVE_EXECUTED"], name))
    assert seconds < NOTEBOOK_BUDGET_S, f"{name} took {seconds:.0f} s in CI mode"
    return nb


def _outputs(nb):
    return [out for cell in _code(nb) for out in cell.outputs]


def _text(nb):
    return "".join(out.get("text", "") for out in _outputs(nb) if out.output_type == "stream")


def _images(nb):
    return sum("image/png" in out.get("data", {}) for out in _outputs(nb))


def _check_quickstart(nb, workdir):
    import keras

    # `import lossevo` alone does not register VariableDropout (models) or the LR schedules (training).
    from lossevo import losses, models, training  # noqa: F401

    model = keras.models.load_model(workdir / "quickstart_model.keras")
    assert isinstance(model.loss, losses.InverseBesselLogarithm)
    assert _images(nb) >= 4  # augmentations, two phenotype plots, the genome
    assert "quickstart: all checks passed" in _text(nb)


def _check_search(nb, workdir):
    from lossevo.search import read_journal

    records, _ = read_journal(str(workdir / "runs" / "search_ci" / "journal.jsonl"))
    config = records[0]["config"]
    started = collections.Counter(r["candidate"] for r in records if r["type"] == "started")
    finished = collections.Counter(r["candidate"] for r in records if r["type"] == "finished")
    assert set(started) <= set(finished) and max(finished.values()) == 1  # nothing evaluated twice
    assert max(started.values()) == 1  # nothing started again after the interruption
    stages = collections.Counter(r["stage"] for r in records if r["type"] == "finished")
    assert stages["init"] == config["initial_size"] and stages["rescore"] == config["population_size"]
    assert stages["evolve"] >= config["iterations"] - 1  # an iteration may find no valid mutant
    text = _text(nb)
    assert "-- interrupted --" in text and f"/{config['iterations']}" in text
    assert _images(nb) >= 3
    assert "search: all checks passed" in text


def _check_reproduce(nb, workdir):
    out = workdir / "runs" / "reproduce_ci"
    table = (out / "table.txt").read_text().splitlines()
    assert table[0].split()[:2] == ["loss", "n"] and len(table) >= 4  # CE, references, survivors
    assert any(line.startswith("cross_entropy ") for line in table)
    elimination = [json.loads(line) for line in (out / "elimination.jsonl").read_text().splitlines()]
    assert {r["round"] for r in elimination} == {0, 1}
    assert len(list(out.glob("surface_*.png"))) == 2
    assert _images(nb) >= 3
    assert "reproduce: all checks passed" in _text(nb)


def _check_accelerators(nb, workdir):
    import tensorflow as tf

    summary = json.loads((workdir / "accelerator.json").read_text())
    expected = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    assert summary["accelerator"] == expected
    if expected == "CPU":
        assert summary["policy"] == "float32" and summary["compute_dtypes"] == ["float32"]
    assert "accelerators: all checks passed" in _text(nb)


CHECKS = {
    "01_quickstart.ipynb": _check_quickstart,
    "02_search.ipynb": _check_search,
    "03_reproduce.ipynb": _check_reproduce,
    "04_accelerators.ipynb": _check_accelerators,
}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_top_to_bottom_in_ci_mode(name, kernel_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("LOSSEVO_NOTEBOOK_POLICY", raising=False)
    monkeypatch.delenv("LOSSEVO_RUN_DIR", raising=False)
    nb = _execute(name, kernel_dir, tmp_path)
    assert "size: ci" in _text(nb), "the kernel did not see LOSSEVO_NOTEBOOK_SIZE=ci"
    CHECKS[name](nb, tmp_path)


def test_accelerators_notebook_under_mixed_float16(kernel_dir, tmp_path, monkeypatch):
    """The GPU path's policy, forced on CPU: float16 layers, loss scaling, and the evolved
    loss still computed in float32 (the notebook's own checks assert the last two)."""
    monkeypatch.setenv("LOSSEVO_NOTEBOOK_POLICY", "mixed_float16")  # the kernel inherits it
    nb = _execute("04_accelerators.ipynb", kernel_dir, tmp_path)
    summary = json.loads((tmp_path / "accelerator.json").read_text())
    assert summary["policy"] == "mixed_float16" and summary["compute_dtypes"] == ["float16"]
    assert "LossScaleOptimizer" in _text(nb)
    assert "accelerators: all checks passed" in _text(nb)
