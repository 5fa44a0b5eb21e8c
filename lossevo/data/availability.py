"""Whether a tensorflow-datasets dataset can be had here, decided in seconds before a run
starts: a dataset prepared in its `data_dir` is; one that is not needs its download hosts
(the URLs of the builder's own checksums file, through the proxy the environment names),
and a host that does not answer within `timeout` seconds means it cannot be had. Without
this check tensorflow-datasets retries an unreachable download for minutes (219 s for
CIFAR-10, measured offline) before it fails, after the run directory was written.

    problem = tfds_problem("cifar10", data_dir=None)  # None: available (or cannot tell)
"""

from __future__ import annotations

import socket
import threading
import urllib.parse
import urllib.request

from absl import logging as absl_logging

PORTS = {"http": 80, "https": 443}


def reachable(url: str, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to `url`'s host (or to the proxy the environment names for
    it, `urllib.request.getproxies`) opens within `timeout` seconds, name lookup included."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "", parts.port or PORTS.get(parts.scheme, 443)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(host):
        target = urllib.parse.urlsplit(proxy if "//" in proxy else f"//{proxy}")
        host, port = target.hostname or "", target.port or 80
    opened: list[bool] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            opened.append(True)
        except OSError:
            pass

    worker = threading.Thread(target=connect, daemon=True)  # a name lookup has no timeout of its own
    worker.start()
    worker.join(timeout)
    return bool(opened)


def download_hosts(urls: list[str]) -> list[str]:
    """One URL per distinct scheme, host and port, in first-seen order."""
    seen: dict[tuple[str, str | None, int | None], str] = {}
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        seen.setdefault((parts.scheme, parts.hostname, parts.port), url)
    return list(seen.values())


def unreachable_hosts(urls: list[str], timeout: float = 3.0) -> list[str]:
    """The hosts of `urls` that `reachable` refuses, probed at once (so within `timeout`)."""
    probes = download_hosts(urls)
    results: dict[str, bool] = {}
    threads = [threading.Thread(target=lambda u=u: results.__setitem__(u, reachable(u, timeout)), daemon=True)
               for u in probes]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 1)
    return [urllib.parse.urlsplit(u).hostname or u for u in probes if not results.get(u)]


def tfds_problem(tfds_name: str, data_dir: str | None, timeout: float = 3.0) -> str | None:
    """None when the dataset is prepared in `data_dir` or its download hosts answer (or it
    names none to probe); otherwise what is wrong, in one sentence."""
    import tensorflow_datasets as tfds

    verbosity = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.ERROR)  # not "Variant folder ... has no dataset_info.json"
    try:
        builder = tfds.builder(tfds_name, data_dir=data_dir)
        prepared = builder.is_prepared()
    finally:
        absl_logging.set_verbosity(verbosity)
    if prepared:
        return None
    hosts = unreachable_hosts(list(builder.url_infos or {}), timeout)
    if not hosts:
        return None
    return (f"it is not prepared in {data_dir or '~/tensorflow_datasets'}, and its download host "
            f"{', '.join(hosts)} cannot be reached (tried for {timeout:g} s; offline?)")  # fmt: skip
