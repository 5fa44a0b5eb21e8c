"""A dataset as a user names it (`--dataset`, `--data_path`, ...), checked before anything
runs: the same check for every launcher, the notebooks and library callers.

    spec = DataSpec("image_folder", path="my_images", image_size=(64, 64))
    spec.validate()          # cheap: files, folders, arrays; raises with a clear message
    dataset = spec.load()    # the `ImageDataset`

`validate` checks own data before anything is written: an `.npz` file must hold
`x_train`, `y_train`, `x_test`, `y_test` (and optionally `x_val`, `y_val`) of matching
lengths, uint8 images of rank 3 (grayscale) or 4 with 1 or 3 channels and one image shape
across splits, and labels by `checks.label_problem` (the classes are the training labels
0..C-1, at least two, every one present in training, validation and test labels among
them); without `x_val`, every class needs two training examples (the stratified split).
An image folder must hold `train/` and `test/` (and optionally `validation/`) with the
same class subfolders, at least two classes, each with at least one image (two in `train/`
without `validation/`), and every image file must decode (the bad one is named). A
tensorflow-datasets name may name an offline `data_dir`, which must exist; a dataset not
prepared there needs its download hosts to answer within seconds (`availability`).
"""

from __future__ import annotations

import dataclasses
import os
import re
import zipfile
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from lossevo.data.availability import tfds_problem
from lossevo.data.checks import label_problem
from lossevo.data.holdout import stratified_holdout
from lossevo.data.sources import (
    LOADERS,
    TFDS_SOURCES,
    DatasetUnavailableError,
    ImageDataset,
    load,
    offline_help,
)

NEEDS_PATH = ("npz", "image_folder")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
SYNTHETIC_SIZES = {"num_train": 2000, "num_validation": 500, "num_test": 500}  # smoke runs


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """A dataset by name and where to read it.

    Attributes:
      name: a `lossevo.data.load` name (`cifar10`, `npz`, `image_folder`, `synthetic`, ...).
      path: the `.npz` file or the image folder (`npz`, `image_folder` only).
      data_dir: tensorflow-datasets' directory (offline copies; tfds datasets only).
      image_size: `image_folder`: resize every image to this.
      options: more loader arguments as sorted `(key, value)` pairs (the synthetic sizes).
    """

    name: str
    path: str | None = None
    data_dir: str | None = None
    image_size: tuple[int, int] | None = None
    options: tuple[tuple[str, Any], ...] = ()

    def kwargs(self) -> dict[str, Any]:
        """The `lossevo.data.load` keyword arguments."""
        out: dict[str, Any] = dict(self.options)
        if self.path is not None:
            out["path"] = self.path
        if self.data_dir is not None:
            out["data_dir"] = self.data_dir
        if self.image_size is not None:
            out["image_size"] = tuple(self.image_size)
        return out

    def validate(self) -> DataSpec:
        """Raises `ValueError` (a bad combination) or `DatasetUnavailableError` (a missing
        or malformed source) with a message that says what to fix; returns `self`."""
        if self.name not in LOADERS:
            raise ValueError(f"unknown dataset {self.name!r}; known datasets: {', '.join(sorted(LOADERS))}")
        if self.name in NEEDS_PATH and not self.path:
            raise ValueError(f"dataset {self.name!r} needs a path (--data_path)")
        if self.name not in NEEDS_PATH and self.path:
            raise ValueError(
                f"a path (--data_path) is for the npz and image_folder datasets, not {self.name!r}"
            )
        if self.image_size is not None and self.name != "image_folder":
            raise ValueError(f"image_size (--image_size) is for the image_folder dataset, not {self.name!r}")
        if self.data_dir is not None and self.name not in TFDS_SOURCES:
            raise ValueError(f"data_dir (--data_dir) is for tensorflow-datasets datasets, not {self.name!r}")
        if self.data_dir is not None and not os.path.isdir(self.data_dir):
            raise DatasetUnavailableError(f"--data_dir {self.data_dir}: no such directory")
        if self.name in TFDS_SOURCES:
            problem = tfds_problem(TFDS_SOURCES[self.name].tfds_name, self.data_dir)
            if problem:
                raise DatasetUnavailableError(f"{offline_help(self.name, self.data_dir)} Checked: {problem}.")
        if self.name == "npz":
            _check_npz(self.path)
        elif self.name == "image_folder":
            _check_image_folder(self.path)
        return self

    def load(self) -> ImageDataset:
        return load(self.name, **self.kwargs())

    @classmethod
    def parse(cls, text: str, data_dir: str | None = None, synthetic_train: int = 2000,
              num_validation: int = 500, num_test: int = 500) -> DataSpec:  # fmt: skip
        """A dataset named in one word, as a command's `--pair_data` names it: `NAME` (a
        tensorflow-datasets name, read from `data_dir`; `synthetic` at `synthetic_train`
        training images), `npz:FILE` or `image_folder:FOLDER` (resized to 32×32). Not
        validated: call `validate`."""
        name, _, path = text.partition(":")
        if name == "synthetic" and not path:
            return synthetic(synthetic_train, num_validation, num_test)
        return cls(name, path or None, data_dir if name in TFDS_SOURCES else None,
                   (32, 32) if name == "image_folder" else None)  # fmt: skip

    @classmethod
    def from_options(
        cls,
        name: str | None = None,
        path: str | None = None,
        data_dir: str | None = None,
        image_size: Sequence[int | str] | None = None,
        synthetic_train: int = 2000,
        num_validation: int = 500,
        num_test: int = 500,
    ) -> DataSpec:
        """The dataset a command's options name (`--dataset`, `--data_path`, `--data_dir`,
        `--image_size`; default: the synthetic set at `synthetic_train` training images).
        Raises `ValueError` for a combination that names no dataset; not validated."""
        name = name or "synthetic"
        size = None
        if image_size is not None:
            try:
                size = tuple(int(v) for v in image_size)
            except ValueError:
                size = ()
            if len(size) != 2 or min(size) < 8:
                raise ValueError(
                    f"image_size (--image_size) wants H,W of at least 8 each, got {','.join(map(str, image_size))}"
                )
        if name == "synthetic":
            if path or data_dir or size:
                raise ValueError("the synthetic dataset takes no --data_path, --data_dir or --image_size")
            return synthetic(synthetic_train, num_validation, num_test)
        return cls(name, path, data_dir, size)


def synthetic(num_train: int = 2000, num_validation: int = 500, num_test: int = 500) -> DataSpec:
    """The offline synthetic dataset at the given sizes."""
    sizes = {"num_train": num_train, "num_validation": num_validation, "num_test": num_test}
    return DataSpec("synthetic", options=tuple(sorted(sizes.items())))


def _check_npz(path: str) -> None:
    if not os.path.isfile(path):
        raise DatasetUnavailableError(f"{path}: no such .npz file")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise DatasetUnavailableError(f"{path}: not a readable .npz file ({e})") from None
    missing = {"x_train", "y_train", "x_test", "y_test"} - set(arrays)
    if missing:
        raise DatasetUnavailableError(f"{path} lacks arrays {sorted(missing)}; it has {sorted(arrays)}")
    splits = ["train", "test"] + (["val"] if "x_val" in arrays or "y_val" in arrays else [])
    for split in splits:
        x, y = arrays.get(f"x_{split}"), arrays.get(f"y_{split}")
        if x is None or y is None:
            raise DatasetUnavailableError(f"{path}: x_{split} and y_{split} come together")
        if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] not in (1, 3)):
            raise DatasetUnavailableError(
                f"{path}: x_{split} has shape {x.shape}; expected images [N, H, W, 3], [N, H, W, 1] or [N, H, W]"
            )
        if y.reshape(len(y), -1).shape[1] != 1:
            raise DatasetUnavailableError(
                f"{path}: y_{split} has shape {y.shape}; expected integer labels [N]"
            )
        if x.dtype != np.uint8 and not (
            np.issubdtype(x.dtype, np.integer) and x.min() >= 0 and x.max() <= 255
        ):
            raise DatasetUnavailableError(
                f"{path}: x_{split} is {x.dtype}; expected uint8 pixels 0..255 (for floats in [0, 1], save "
                "(x * 255).round().astype(np.uint8))"
            )
        if len(x) != len(y) or not len(x):
            raise DatasetUnavailableError(
                f"{path}: x_{split} has {len(x)} images but y_{split} {len(y)} labels"
            )
    shapes = {split: _image_shape(arrays[f"x_{split}"]) for split in splits}
    if len(set(shapes.values())) > 1:
        raise DatasetUnavailableError(
            f"{path}: the splits' images differ in shape ({', '.join(f'x_{k} {v}' for k, v in shapes.items())}); "
            "every split needs one image shape"
        )
    names = {"train": "train", "test": "test", "val": "validation"}
    problem = label_problem(path, {names[k]: arrays[f"y_{k}"] for k in splits})
    if problem:
        raise DatasetUnavailableError(problem)
    if "val" not in splits:
        try:
            stratified_holdout(arrays["y_train"])
        except ValueError as e:
            raise DatasetUnavailableError(f"{path}: {e}") from None


def _image_shape(x: np.ndarray) -> tuple[int, ...]:
    """`[H, W, C]` of a split's images (grayscale `[N, H, W]` counts as one channel)."""
    return tuple(x.shape[1:]) if x.ndim == 4 else (*x.shape[1:], 1)


def _classes(folder: str) -> list[str]:
    return sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))


def _check_image_folder(path: str) -> None:
    if not os.path.isdir(path):
        raise DatasetUnavailableError(f"{path}: no such folder")
    for split in ("train", "test"):
        if not os.path.isdir(os.path.join(path, split)):
            raise DatasetUnavailableError(
                f"{path} needs train/ and test/ folders of class subfolders (root/<split>/<class>/*.png), "
                f"and has no {split}/"
            )
    splits = ["train", "test"] + (["validation"] if os.path.isdir(os.path.join(path, "validation")) else [])
    classes = _classes(os.path.join(path, "train"))
    if len(classes) < 2:
        raise DatasetUnavailableError(
            f"{path}/train has {len(classes)} class subfolder(s); a classification needs at least 2"
        )
    need = 1 if "validation" in splits else 2  # a stratified split draws from every class
    for split in splits:
        got = _classes(os.path.join(path, split))
        if got != classes:
            raise DatasetUnavailableError(
                f"{path}: the class folders of {split}/ ({got}) differ from train/ ({classes})"
            )
        for c in classes:
            folder = os.path.join(path, split, c)
            images = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_SUFFIXES))
            if not images:
                raise DatasetUnavailableError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
            if split == "train" and len(images) < need:
                raise DatasetUnavailableError(
                    f"{folder} holds 1 image; a validation split drawn from train/ needs at least 2 of every "
                    "class (or add a validation/ folder)"
                )
            for name in images:
                _check_decodes(os.path.join(folder, name))


def _check_decodes(file: str) -> None:
    """Decodes one image file as the loader will (TensorFlow's decoders), naming it if bad."""
    try:
        tf.io.decode_image(tf.io.read_file(file), channels=3, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError, tf.errors.UnknownError) as e:
        message = (e.message or type(e).__name__).strip().splitlines()[0]
        message = re.sub(r"^\{\{[^}]*\}\}\s*|\s*\[Op:\w+\].*$", "", message)  # TensorFlow's op decorations
        raise DatasetUnavailableError(f"{file}: not a readable image ({message})") from None
