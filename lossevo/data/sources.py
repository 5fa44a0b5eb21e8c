"""Datasets as `(image uint8 [H, W, 3], label int64)` splits, from a registry of sources.

- `cifar10`, `cifar100`: tensorflow-datasets, the papers' split: the training images in
  their original order (the order of the CIFAR files and of `keras.datasets`; tfds stores
  them shuffled, so they are put back in order by their `id`), the first 90% (45,000) for
  training and the last 10% (5,000) for validation, as the authors' `train_ind`/`val_ind`;
  test on the test set.
- `cars196`, `oxford_flowers102`, `caltech101`, `fashion_mnist`: tensorflow-datasets;
  validation is the last 10% of the training split (Flowers102 uses its own validation
  split). Fashion-MNIST's 28×28 grayscale images become RGB in the pipelines. Paper 003's
  surrogates draw a fresh random split per run instead (`lossevo.data.splits`).
- `synthetic`: generated, no download (see `lossevo.data.synthetic`).
- `npz`: a `.npz` file with `x_train`, `y_train`, `x_test`, `y_test` (and optionally
  `x_val`, `y_val`; otherwise a seeded, stratified 10% of every training class validates,
  `holdout.stratified_holdout`, and the rest trains in a seeded random order).
- `image_folder`: `root/<split>/<class>/*.png|jpg` with splits `train`, `test` (and
  optionally `validation`; otherwise the same stratified draw from `train/`), resized to
  `image_size`; the training files in a seeded random order (folders list them by class).
Own data's labels follow `checks.label_problem`: the classes are the training labels.

`data_dir` points tensorflow-datasets at an offline copy; a dataset that is neither there
nor downloadable raises `DatasetUnavailableError` saying how to provide it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from lossevo.data import synthetic
from lossevo.data.checks import label_problem
from lossevo.data.holdout import stratified_holdout


class DatasetUnavailableError(RuntimeError):
    """The dataset cannot be loaded here; the message says how to provide it."""


@dataclasses.dataclass(frozen=True)
class ImageDataset:
    """Three splits of `(uint8 image, int64 label)` pairs and what a model needs to know."""

    name: str
    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset
    num_classes: int
    image_size: tuple[int, int] | None  # None: sizes vary (resize in the pipeline)


@dataclasses.dataclass(frozen=True)
class _TfdsSource:
    """`splits`: tfds split strings for train, validation, test; with `in_order`, train and
    validation are `splits[0]` put back in its original order (by `id`) and cut at
    `1 - holdout`."""

    tfds_name: str
    splits: tuple[str, str, str]
    image_size: tuple[int, int] | None
    in_order: bool = False
    holdout: float = 0.1


TFDS_SOURCES: dict[str, _TfdsSource] = {
    "cifar10": _TfdsSource("cifar10", ("train", "", "test"), (32, 32), in_order=True),
    "cifar100": _TfdsSource("cifar100", ("train", "", "test"), (32, 32), in_order=True),
    "cars196": _TfdsSource("cars196", ("train[:90%]", "train[90%:]", "test"), None),
    "oxford_flowers102": _TfdsSource("oxford_flowers102", ("train", "validation", "test"), None),
    "caltech101": _TfdsSource("caltech101", ("train[:90%]", "train[90%:]", "test"), None),
    "fashion_mnist": _TfdsSource("fashion_mnist", ("train[:90%]", "train[90%:]", "test"), (28, 28)),
}


def offline_help(name: str, data_dir: str | None) -> str:
    """How to provide tensorflow-datasets' `name` offline, or one's own images instead."""
    target = data_dir or "~/tensorflow_datasets"
    return (
        f"dataset {name!r} is not available offline in {target}. On a machine with internet, "
        f"run: python -c \"import tensorflow_datasets as tfds; tfds.load('{name}', data_dir='DIR')\" "
        f"and copy DIR/{name} into {target} (pass data_dir=... / --data_dir=...). Or provide "
        "the images yourself with dataset='npz' (path=file.npz with x_train, y_train, x_test, "
        "y_test) or dataset='image_folder' (path=root/<split>/<class>/*.png)."
    )


def _import_error(error: BaseException | None) -> ImportError | None:
    """The first `ImportError` in `error`'s chain of causes, if any (tfds may wrap it)."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, ImportError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def _failure_message(name: str, data_dir: str | None, stage: str, error: Exception) -> str:
    """The real cause first, then what to do: fix the installation, or provide the data offline."""
    cause = f"dataset {name!r} could not be {stage}: {type(error).__name__}: {error}"
    missing = _import_error(error)
    if missing is not None:
        module = missing.name or "?"
        detail = "" if missing is error else f" ({type(missing).__name__}: {missing})"
        return (
            f"{cause}. This is a broken installation of tensorflow-datasets or its dependencies, not a "
            f"missing dataset: the Python module {module!r} cannot be imported{detail}. Install the "
            f"package that provides it into this environment (usually: pip install {module.split('.')[0]}) "
            "or reinstall lossevo with its dependencies."
        )
    if stage == "read":
        target = data_dir or "~/tensorflow_datasets"
        return f"{cause}. The copy in {target} is prepared but does not serve lossevo's splits or is damaged."
    return f"{cause}. {offline_help(name, data_dir)}"


def _in_original_order(builder, split: str) -> tuple[np.ndarray, np.ndarray]:
    """A split's images and labels sorted by their `id` ("train_00042", numbered in file
    order): the order of the original files, which tfds shuffles when it prepares a dataset."""
    import tensorflow_datasets as tfds

    images, labels, ids = [], [], []
    for batch in tfds.as_numpy(builder.as_dataset(split=split).batch(4096)):
        images.append(batch["image"])
        labels.append(batch["label"])
        ids += [i.decode() for i in batch["id"]]
    order = np.argsort(np.asarray(ids), kind="stable")  # "train_00042": zero-padded, so text order
    return np.concatenate(images)[order].astype(np.uint8), np.concatenate(labels)[order].astype(np.int64)


def load_tfds(name: str, data_dir: str | None = None, download: bool = True) -> ImageDataset:
    """A tensorflow-datasets dataset with the papers' splits.

    Raises `DatasetUnavailableError` with the underlying error first: a module that cannot be
    imported is reported as a broken installation; a failed download or preparation says how to
    provide the dataset offline; a prepared copy that cannot be read says so.
    """
    import tensorflow_datasets as tfds

    source = TFDS_SOURCES[name]
    stage = "prepared"
    try:
        builder = tfds.builder(source.tfds_name, data_dir=data_dir)
        if download:
            builder.download_and_prepare()
        elif not tf.io.gfile.exists(builder.data_dir) or not builder.info.splits:
            raise DatasetUnavailableError(offline_help(name, data_dir))
        stage = "read"
        if source.in_order:
            x, y = _in_original_order(builder, source.splits[0])
            cut = round(len(x) * (1 - source.holdout))
            slices = [(x[:cut], y[:cut]), (x[cut:], y[cut:])]
            splits = [tf.data.Dataset.from_tensor_slices(pair) for pair in slices]
            splits.append(builder.as_dataset(split=source.splits[2], as_supervised=True))
        else:
            splits = [builder.as_dataset(split=s, as_supervised=True) for s in source.splits]
        num_classes = builder.info.features["label"].num_classes
    except DatasetUnavailableError:
        raise
    except Exception as e:
        raise DatasetUnavailableError(_failure_message(name, data_dir, stage, e)) from e
    to_pair = lambda x, y: (tf.cast(x, tf.uint8), tf.cast(y, tf.int64))  # noqa: E731
    train, val, test = (ds.map(to_pair) for ds in splits)
    return ImageDataset(name, train, val, test, num_classes, source.image_size)


def _from_arrays(name, x_train, y_train, x_val, y_val, x_test, y_test, num_classes=None) -> ImageDataset:
    def ds(x, y):
        y = np.asarray(y).reshape(-1).astype(np.int64)
        return tf.data.Dataset.from_tensor_slices((np.asarray(x, np.uint8), y))

    if num_classes is None:  # the training labels' classes (`checks.label_problem`)
        num_classes = int(np.max(y_train) + 1)
    size = tuple(np.asarray(x_train).shape[1:3])
    return ImageDataset(name, ds(x_train, y_train), ds(x_val, y_val), ds(x_test, y_test), num_classes, size)


def load_synthetic(
    num_train: int = 10000, num_validation: int = 2000, num_test: int = 2000, seed: int = 0, size: int = 32
) -> ImageDataset:
    """The offline synthetic dataset (see `lossevo.data.synthetic`)."""
    x_tr, y_tr = synthetic.generate(num_train, seed, size)
    x_va, y_va = synthetic.generate(num_validation, seed + 1, size)
    x_te, y_te = synthetic.generate(num_test, seed + 2, size)
    return _from_arrays("synthetic", x_tr, y_tr, x_va, y_va, x_te, y_te, synthetic.NUM_CLASSES)


def load_npz(path: str, validation_fraction: float = 0.1, seed: int = 0) -> ImageDataset:
    """Images from a `.npz` file (see module doc); without `x_val`, a stratified
    `validation_fraction` of every class drawn with `seed` validates."""
    if not os.path.exists(path):
        raise DatasetUnavailableError(f"no such .npz file: {path}")
    with np.load(path) as f:
        missing = {"x_train", "y_train", "x_test", "y_test"} - set(f.files)
        if missing:
            raise DatasetUnavailableError(f"{path} lacks arrays {sorted(missing)}; it has {sorted(f.files)}")
        data = {k: f[k] for k in f.files}
    x_tr, y_tr = data["x_train"], np.asarray(data["y_train"]).reshape(-1)
    labels = {
        "train": y_tr,
        "test": data["y_test"],
        **({"validation": data["y_val"]} if "y_val" in data else {}),
    }
    problem = label_problem(path, labels)
    if problem:
        raise DatasetUnavailableError(problem)
    if "x_val" in data:
        x_va, y_va = data["x_val"], data["y_val"]
    else:
        try:
            train, val = stratified_holdout(y_tr, validation_fraction, seed)
        except ValueError as e:
            raise DatasetUnavailableError(f"{path}: {e}") from None
        x_tr, x_va, y_tr, y_va = x_tr[train], x_tr[val], y_tr[train], y_tr[val]
    return _from_arrays("npz", x_tr, y_tr, x_va, y_va, data["x_test"], data["y_test"])


def load_image_folder(
    path: str, image_size: tuple[int, int] = (32, 32), validation_fraction: float = 0.1, seed: int = 0
) -> ImageDataset:
    """Images from `path/<split>/<class>/*` (see module doc), resized to `image_size`. Without
    a `validation/` folder, a stratified `validation_fraction` of every class's training
    files drawn with `seed` validates (`holdout.stratified_holdout`)."""
    import keras

    if not os.path.isdir(os.path.join(path, "train")) or not os.path.isdir(os.path.join(path, "test")):
        raise DatasetUnavailableError(f"{path} needs train/ and test/ folders of class subfolders")
    to_pair = lambda x, y: (tf.cast(tf.round(x), tf.uint8), tf.cast(y, tf.int64))  # noqa: E731
    common = {"image_size": image_size, "batch_size": None, "label_mode": "int", "verbose": False}

    def folder(split, **kwargs):
        return keras.utils.image_dataset_from_directory(os.path.join(path, split), **common, **kwargs)

    listed = folder("train", shuffle=False)  # lists the files (`file_paths`) in dataset order
    classes = listed.class_names
    paths = np.array(listed.file_paths)
    labels = np.array([classes.index(os.path.basename(os.path.dirname(p))) for p in paths], np.int64)
    size = tuple(image_size)
    if os.path.isdir(os.path.join(path, "validation")):
        val = folder("validation", shuffle=False)
        train_idx = np.random.default_rng(seed).permutation(len(paths))
    else:  # every class drawn on its own
        try:
            train_idx, val_idx = stratified_holdout(labels, validation_fraction, seed)
        except ValueError as e:
            raise DatasetUnavailableError(f"{path}/train: {e}") from None
        val = _image_files(paths[val_idx], labels[val_idx], size)
    # The training files in a seeded random order: folders list them class by class, which
    # an unshuffled recipe would train on as they come.
    train = _image_files(paths[train_idx], labels[train_idx], size)
    test = folder("test", shuffle=False)
    if test.class_names != classes:
        raise DatasetUnavailableError(f"train and test class folders differ: {classes} vs {test.class_names}")
    train, val, test = (ds.map(to_pair) for ds in (train, val, test))
    return ImageDataset("image_folder", train, val, test, len(classes), tuple(image_size))


def _image_files(paths: np.ndarray, labels: np.ndarray, image_size: tuple[int, int]) -> tf.data.Dataset:
    """`(float32 image, label)` pairs read from `paths` in their order, decoded and resized
    as `keras.utils.image_dataset_from_directory` does (RGB, bilinear)."""

    def read(path, label):
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        image = tf.image.resize(image, image_size)
        image.set_shape((*image_size, 3))
        return image, label

    return tf.data.Dataset.from_tensor_slices((paths, labels)).map(read, deterministic=True)


LOADERS: dict[str, Callable[..., ImageDataset]] = {
    **{name: (lambda name=name, **kw: load_tfds(name, **kw)) for name in TFDS_SOURCES},
    "synthetic": load_synthetic,
    "npz": load_npz,
    "image_folder": load_image_folder,
}


def load(name: str, **kwargs) -> ImageDataset:
    """A dataset by name; keyword arguments go to its loader (`data_dir`, `path`, ...)."""
    if name not in LOADERS:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(sorted(LOADERS))}")
    return LOADERS[name](**kwargs)
