"""The real tensorflow-datasets CIFAR builders prepare offline from tiny fake archives.

The archives are written here in the real CIFAR binary format (`cifar-10-binary.tar.gz`,
`cifar-100-binary.tar.gz`); the builders' download manager is faked the way tfds' own
`tfds.testing.DatasetBuilderTestCase` does it (`mock.patch.multiple` on
`tensorflow_datasets.core.download.DownloadManager`), except that our fake
`download_and_extract` hands the local archive to tfds' real `extract`. Everything else is
the real code path: `tfds.builder`, `DatasetBuilder.code_path` (which needs the
`importlib_resources` module), example generation, and lossevo's `load_tfds`. So a broken
tensorflow-datasets installation fails these tests.

Also: how `load_tfds` reports a broken installation versus a failed download.
"""

import dataclasses
import io
import posixpath
import tarfile
from unittest import mock

import numpy as np
import pytest
import requests
import tensorflow as tf
import tensorflow_datasets as tfds

from lossevo import data
from lossevo.data import sources

CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
TRAIN_PER_FILE = 40  # CIFAR-10 has 5 training files: 200 training images, 20 test images
NUM_TEST = 20


@dataclasses.dataclass
class _Split:
    images: np.ndarray  # uint8 [N, 32, 32, 3]
    labels: np.ndarray  # the fine labels (what lossevo returns)
    coarse: np.ndarray | None = None  # CIFAR-100 only


def _fake_split(rng: np.random.Generator, n: int, num_classes: int, coarse: bool = False) -> _Split:
    images = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    labels = np.arange(n) % num_classes  # every class, in a known pattern
    rng.shuffle(labels)
    return _Split(images, labels.astype(np.int64), labels // 5 if coarse else None)


def _records(split: _Split) -> bytes:
    """The CIFAR binary format: per image, its label byte(s), then 3072 bytes of R, G, B planes."""
    out = bytearray()
    for i, image in enumerate(split.images):
        if split.coarse is not None:
            out.append(int(split.coarse[i]))
        out.append(int(split.labels[i]))
        out += image.transpose(2, 0, 1).tobytes()  # [32, 32, 3] -> 3 planes of 32 x 32, row-major
    return bytes(out)


def _write_tar_gz(path, files: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


def _cifar10_archive(tmp_path) -> tuple[str, _Split, _Split]:
    rng = np.random.default_rng(10)
    batches = [_fake_split(rng, TRAIN_PER_FILE, 10) for _ in range(5)]
    test = _fake_split(rng, NUM_TEST, 10)
    folder = "cifar-10-batches-bin/"
    files = {f"{folder}data_batch_{i + 1}.bin": _records(b) for i, b in enumerate(batches)}
    files[f"{folder}test_batch.bin"] = _records(test)
    files[f"{folder}batches.meta.txt"] = ("\n".join(CIFAR10_NAMES) + "\n\n").encode()  # as the real file
    path = tmp_path / "cifar-10-binary.tar.gz"
    _write_tar_gz(path, files)
    train = _Split(np.concatenate([b.images for b in batches]), np.concatenate([b.labels for b in batches]))
    return str(path), train, test


def _cifar100_archive(tmp_path) -> tuple[str, _Split, _Split]:
    rng = np.random.default_rng(100)
    train = _fake_split(rng, 5 * TRAIN_PER_FILE, 100, coarse=True)
    test = _fake_split(rng, NUM_TEST, 100, coarse=True)
    folder = "cifar-100-binary/"
    files = {
        f"{folder}train.bin": _records(train),
        f"{folder}test.bin": _records(test),
        f"{folder}coarse_label_names.txt": "\n".join(f"superclass_{i:02d}" for i in range(20)).encode(),
        f"{folder}fine_label_names.txt": "\n".join(f"class_{i:03d}" for i in range(100)).encode(),
    }
    path = tmp_path / "cifar-100-binary.tar.gz"
    _write_tar_gz(path, files)
    return str(path), train, test


def _fake_download_manager(archives: dict[str, str]):
    """Patch tfds' `DownloadManager` as `tfds.testing.DatasetBuilderTestCase` does: `download_and_extract`
    returns the extraction (by tfds' real extractor) of the local archive named like the URL's file;
    a plain `download` fails, so nothing reaches the network."""

    def download_and_extract(self, url_or_urls):
        def local(url):
            name = posixpath.basename(str(getattr(url, "url", url)))
            assert name in archives, f"unexpected download {url}"
            return archives[name]

        return self.extract(tf.nest.map_structure(local, url_or_urls))

    def download(self, url_or_urls):
        raise AssertionError(f"unexpected download {url_or_urls}")

    return mock.patch.multiple(
        "tensorflow_datasets.core.download.DownloadManager",
        download_and_extract=download_and_extract,
        download=download,
    )


def _no_download():
    def refuse(self, url_or_urls):
        raise AssertionError(f"the prepared dataset was downloaded again: {url_or_urls}")

    return mock.patch.multiple(
        "tensorflow_datasets.core.download.DownloadManager", download_and_extract=refuse, download=refuse
    )


def _pairs(ds: tf.data.Dataset, in_order: bool = False) -> list[tuple[bytes, int]]:
    out = []
    for image, label in ds:
        assert image.dtype == tf.uint8 and image.shape == (32, 32, 3) and label.dtype == tf.int64
        out.append((image.numpy().tobytes(), int(label)))
    return out if in_order else sorted(out)


def _in_order(split: _Split) -> list[tuple[bytes, int]]:
    return [(image.tobytes(), int(label)) for image, label in zip(split.images, split.labels, strict=True)]


def _golden(split: _Split) -> list[tuple[bytes, int]]:
    return sorted(
        (image.tobytes(), int(label)) for image, label in zip(split.images, split.labels, strict=True)
    )


@pytest.mark.parametrize(
    "name,make_archive,num_classes",
    [("cifar10", _cifar10_archive, 10), ("cifar100", _cifar100_archive, 100)],
)
def test_real_cifar_builder_prepares_offline(tmp_path, monkeypatch, name, make_archive, num_classes):
    archive, train, test = make_archive(tmp_path)
    data_dir = str(tmp_path / "tfds")
    source = sources.TFDS_SOURCES[name]

    with _fake_download_manager({posixpath.basename(archive): archive}):
        ds = data.load(name, data_dir=data_dir)  # download_and_prepare through lossevo
    assert ds.num_classes == num_classes and ds.image_size == (32, 32) == source.image_size
    n_train = len(train.labels)
    got_train, got_val = _pairs(ds.train, in_order=True), _pairs(ds.validation, in_order=True)
    assert (len(got_train), len(got_val)) == (round(0.9 * n_train), round(0.1 * n_train))
    # The authors' split: the files' own order (tfds stores a shuffled one), first 90% / last 10%.
    assert got_train + got_val == _in_order(train)
    assert _pairs(ds.test) == _golden(test)

    builder = tfds.builder(name, data_dir=data_dir)  # the prepared copy, as tfds sees it
    assert builder.info.splits["train"].num_examples == n_train
    assert builder.info.splits["test"].num_examples == len(test.labels)
    assert builder.info.features["label"].names[:2] == (
        CIFAR10_NAMES[:2] if name == "cifar10" else ["class_000", "class_001"]
    )
    if name == "cifar100":  # the first label byte is the coarse label
        coarse = sorted(
            (ex["image"].numpy().tobytes(), int(ex["coarse_label"]))
            for ex in builder.as_dataset(split="test")
        )
        assert coarse == sorted(
            (image.tobytes(), int(c)) for image, c in zip(test.images, test.coarse, strict=True)
        )
    # Prepared: loading again finds it, with download allowed or not, and downloads nothing.
    with _no_download():
        for download in (True, False):
            again = data.load(name, data_dir=data_dir, download=download)
            assert _pairs(again.test) == _golden(test) and again.num_classes == num_classes


def _failing_builder(error: Exception):
    class Builder:
        data_dir = "/nowhere"

        def download_and_prepare(self):
            raise error

    return lambda *args, **kwargs: Builder()


def test_missing_module_is_reported_as_a_broken_installation(monkeypatch):
    error = ModuleNotFoundError("No module named 'importlib_resources'", name="importlib_resources")
    monkeypatch.setattr(tfds, "builder", _failing_builder(error))
    with pytest.raises(data.DatasetUnavailableError) as e:
        data.load("cifar10", data_dir="/offline")
    message = str(e.value)
    assert message.startswith(
        "dataset 'cifar10' could not be prepared: ModuleNotFoundError: No module named 'importlib_resources'"
    )
    assert "installation" in message and "pip install importlib_resources" in message
    assert "not available offline" not in message and "dataset='npz'" not in message
    assert e.value.__cause__ is error


def test_import_error_wrapped_by_tfds_is_still_found(monkeypatch):
    cause = ModuleNotFoundError("No module named 'importlib_resources'", name="importlib_resources")
    try:
        try:
            raise cause
        except ImportError as inner:
            raise RuntimeError("Failed to construct dataset cifar10") from inner
    except RuntimeError as outer:
        wrapped = outer
    monkeypatch.setattr(tfds, "builder", _failing_builder(wrapped))
    with pytest.raises(data.DatasetUnavailableError, match="could not be prepared: RuntimeError") as e:
        data.load("cifar10")
    assert "No module named 'importlib_resources'" in str(e.value)
    assert "pip install importlib_resources" in str(e.value) and "not available offline" not in str(e.value)


@pytest.mark.parametrize(
    "error",
    [
        # what an offline machine gets from tfds' downloader (after its retries)
        requests.exceptions.ConnectionError(
            "HTTPSConnectionPool(host='www.cs.toronto.edu', port=443): Max retries exceeded"
        ),
        tfds.download.DownloadError(
            "Failed to get url https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
        ),
    ],
    ids=["ConnectionError", "DownloadError"],
)
def test_download_failure_shows_cause_then_offline_help(monkeypatch, error):
    monkeypatch.setattr(tfds, "builder", _failing_builder(error))
    with pytest.raises(data.DatasetUnavailableError) as e:
        data.load("cifar10", data_dir="/offline")
    message = str(e.value)
    assert message.startswith(f"dataset 'cifar10' could not be prepared: {type(error).__name__}: {error}. ")
    assert message.index(type(error).__name__) < message.index("not available offline in /offline")
    assert "tfds.load('cifar10'" in message and "dataset='npz'" in message
    assert "installation" not in message
    assert e.value.__cause__ is error
