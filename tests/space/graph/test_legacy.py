"""Reading the authors' pickles: genomes come out, nothing else runs."""

import pickle
import sys

import numpy as np
import pytest

from lossevo.losses import catalog
from lossevo.space.graph import GenomeError, legacy


def _ce_loss(mod, flip=True):
    """Cross-entropy as the authors stored it: h0 = ln(ŷ); root = mul(y, h0)."""
    loss = mod.Loss()
    adj = np.zeros((9, 9))
    adj[4, 1] = 1  # h0 <- ŷ
    adj[5, 0] = 1  # h1 <- y (inactive)
    adj[6, 2], adj[6, 3] = 1, 2  # h2 <- (1, -1) (inactive)
    adj[7, 4] = 1  # h3 <- h0 (inactive)
    adj[8, 0], adj[8, 4] = 1, 2  # root <- (y, h0)
    loss.adj = adj
    loss.nodes = [mod.Node(0, 1, 3, 0), mod.Node(0, 0, 0, 1), mod.Node(1, 5, 4, 2), mod.Node(0, 13, 6, 3)]
    loss.root = mod.Node(1, 22, 2, 4)
    loss.flip, loss.age, loss.label_smoothing = flip, 3, 0.0
    loss.msg = "(y)*(ln(|yhat|))"
    loss.phenotype = np.linspace(0, 1, 1000, dtype=np.float32)
    loss.hist = {"val_accuracy": [np.float64(0.5), np.float64(0.6)]}
    return loss


def test_reads_a_list_of_losses(authors, tmp_path):
    path = tmp_path / "final_4_losses"
    path.write_bytes(pickle.dumps([_ce_loss(authors), _ce_loss(authors, flip=False)], protocol=2))
    genomes = legacy.load_pickle(path)
    assert genomes[0] == catalog.CROSS_ENTROPY
    assert genomes[1] == catalog.CROSS_ENTROPY.replace(flip=False)
    # Dormant ops and inactive nodes come across too.
    assert genomes[0].nodes[0].alt_op == "max" and genomes[0].nodes[2].op == "min"  # binary op 4


def test_reads_a_pickled_run_object(authors):
    algo = authors.GeneticAlgorithmRegularized()
    algo.gen = np.asarray([_ce_loss(authors)], dtype=object)
    algo.fitness = np.array([0.4])
    for protocol in (2, 4, 5):
        assert legacy.loads_pickle(pickle.dumps(algo, protocol=protocol)) == [catalog.CROSS_ENTROPY]


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("touch /tmp/lossevo_pwned",))


def test_refuses_other_globals_without_running_them(tmp_path, authors):
    import os

    marker = "/tmp/lossevo_pwned"
    if os.path.exists(marker):
        os.remove(marker)
    data = pickle.dumps([_ce_loss(authors), _Evil()])
    with pytest.raises(legacy.LegacyPickleError, match=r"refusing to load global (posix|os)\.system"):
        legacy.loads_pickle(data)
    assert not os.path.exists(marker)
    with pytest.raises(legacy.LegacyPickleError, match=r"builtins\.eval"):
        legacy.loads_pickle(pickle.dumps(eval))


def test_not_a_loss_and_garbage():
    with pytest.raises(legacy.LegacyPickleError, match="expected Loss objects"):
        legacy.loads_pickle(pickle.dumps({"a": 1}))
    with pytest.raises(legacy.LegacyPickleError, match="could not read the pickle"):
        legacy.loads_pickle(b"not a pickle")


def test_from_fields_and_its_errors():
    adj = np.zeros((9, 9))
    adj[4, 1] = 1
    adj[5, 0] = adj[6, 0] = adj[7, 0] = 1
    adj[8, 0], adj[8, 4] = 1, 2
    g = legacy.from_fields(adj, [0, 0, 0, 0, 1], [1, 0, 0, 0, 0], [0, 0, 0, 0, 2], True)
    assert g == catalog.CROSS_ENTROPY
    with pytest.raises(GenomeError, match="unary_ops\\[0\\]"):
        legacy.from_fields(adj, [0, 0, 0, 0, 1], [27, 0, 0, 0, 0], [0] * 5, True)
    with pytest.raises(GenomeError, match="adjacency\\[8\\]"):
        legacy.from_fields(adj, [0, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0] * 5, True)
    with pytest.raises(GenomeError, match="9x9"):
        legacy.from_fields(np.zeros((8, 8)), [0] * 5, [0] * 5, [0] * 5, True)


_FORGED = r"""
import pickle, sys
import numpy as np
from numpy._core.numeric import _frombuffer
from lossevo.space.graph import legacy

# An object dtype with its reference-holding flags cleared: NumPy would read the 8 bytes
# below as a PyObject pointer. Only allow-listed globals are used.
dd = np.dtype("O", False, True)
dd.__setstate__((3, "|", None, None, None, -1, -1, 32))

class Forged:
    def __reduce__(self):
        return (_frombuffer, ((0x4141414141414141).to_bytes(8, "little"), dd, (1,), "C"))

try:
    legacy.loads_pickle(pickle.dumps(Forged(), protocol=2))
except legacy.LegacyPickleError as e:
    print("refused:", e)
    sys.exit(0)
print("not refused")
sys.exit(1)
"""


def test_forged_object_pointer_is_refused_not_dereferenced():
    import subprocess

    # In a subprocess: a regression would segfault the interpreter, not just fail.
    out = subprocess.run([sys.executable, "-c", _FORGED], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, (out.returncode, out.stdout, out.stderr[-2000:])
    assert "refused:" in out.stdout and "object" in out.stdout


def test_malformed_records_raise_the_library_error(authors):
    bad = _ce_loss(authors)
    bad.nodes = 5
    with pytest.raises(legacy.LegacyPickleError):
        legacy.loads_pickle(pickle.dumps(bad))
    bad = _ce_loss(authors)
    bad.root.un = "x"
    with pytest.raises(GenomeError, match=r"unary_ops\[4\]"):
        legacy.loads_pickle(pickle.dumps(bad))
    cyclic = [_ce_loss(authors)]
    cyclic.append(cyclic)
    assert legacy.loads_pickle(pickle.dumps(cyclic)) == [catalog.CROSS_ENTROPY]
    adj = np.zeros((9, 9))
    adj[4, 1] = 7
    with pytest.raises(GenomeError, match="entries must be 0, 1"):
        legacy.from_fields(adj, [0] * 5, [0] * 5, [0] * 5, True)
    with pytest.raises(GenomeError, match=r"arities\[0\]: expected an integer"):
        legacy.from_fields(np.zeros((9, 9)), [1.5, 0, 0, 0, 0], [0] * 5, [0] * 5, True)
