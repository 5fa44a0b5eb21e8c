"""A tensorflow-datasets dataset's availability is decided in seconds, before a run starts:
prepared in its data_dir, or its download hosts answer (directly or through the proxy the
environment names); the launcher refuses an unavailable one with one line, status 2, and
no run directory."""

import contextlib
import os
import socket
import subprocess
import sys
import time

import pytest
import tensorflow_datasets as tfds

from lossevo import data
from lossevo.data.availability import download_hosts, reachable, tfds_problem, unreachable_hosts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@contextlib.contextmanager
def _listening():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def _closed_port():
    with _listening() as port:
        pass
    return port  # nothing listens there any more: connections are refused at once


def test_reachable_opens_a_connection_or_says_no_within_its_timeout(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with _listening() as port:
        assert reachable(f"http://127.0.0.1:{port}/file.tgz", 2)
    start = time.monotonic()
    assert not reachable(f"https://127.0.0.1:{_closed_port()}/x", 2)
    assert not reachable("https://no-such-host.invalid/x", 2)
    assert time.monotonic() - start < 4.5


def test_reachable_goes_through_the_environments_proxy(monkeypatch):
    with _listening() as port:
        monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")
        assert reachable("https://no-such-host.invalid/cifar.tgz", 2)  # the proxy answers for it
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{_closed_port()}")
    with _listening() as port:
        assert not reachable(f"https://localhost.invalid:{port}/x", 2)


def test_download_hosts_probe_each_host_once():
    urls = ["https://a.example/1", "https://a.example/2", "http://a.example/3", "https://b.example:8443/4"]
    assert download_hosts(urls) == ["https://a.example/1", "http://a.example/3", "https://b.example:8443/4"]
    closed = _closed_port()
    assert unreachable_hosts([f"http://127.0.0.1:{closed}/a", f"http://127.0.0.1:{closed}/b"], 1) == [
        "127.0.0.1"
    ]


def test_a_prepared_dataset_is_available_without_a_network(tmp_path, monkeypatch):
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{_closed_port()}")
    tfds.testing.DummyMnist(data_dir=str(tmp_path)).download_and_prepare()
    assert tfds_problem("dummy_mnist", str(tmp_path)) is None
    problem = tfds_problem("cifar10", str(tmp_path), timeout=1)
    assert problem.startswith(f"it is not prepared in {tmp_path}, and its download host www.cs.toronto.edu")


def test_a_dataset_spec_that_cannot_be_had_fails_in_seconds(tmp_path, monkeypatch):
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{_closed_port()}")
    start = time.monotonic()
    with pytest.raises(data.DatasetUnavailableError, match="not available offline") as e:
        data.DataSpec("cifar100", data_dir=str(tmp_path)).validate()
    assert time.monotonic() - start < 10
    assert "tfds.load('cifar100'" in str(e.value) and "cannot be reached" in str(e.value)


@pytest.mark.launcher
def test_the_launcher_refuses_an_offline_dataset_in_seconds_writing_nothing(tmp_path):
    closed = f"http://127.0.0.1:{_closed_port()}"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "https_proxy": closed, "http_proxy": closed}
    (tmp_path / "tfds").mkdir()
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "experiments", "evolve.py"), f"--workdir={tmp_path / 'run'}",
         "--dataset=cifar10", f"--data_dir={tmp_path / 'tfds'}"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert time.monotonic() - start < 60  # the search's 219 s of retries never start
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr[-2000:]
    (line,) = [line for line in out.stderr.splitlines() if "error:" in line]
    assert "dataset 'cifar10' is not available offline" in line and "cannot be reached" in line
    assert not (tmp_path / "run").exists() and os.listdir(tmp_path / "tfds") == []
