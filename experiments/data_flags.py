"""The dataset flags every launcher takes, and the validated `DataSpec` they name: a search,
an elimination, an evaluation or a correlation study runs on CIFAR, on the offline synthetic
set, or on your own images (a `.npz` file or an image folder), checked before anything is
written.
"""

from __future__ import annotations

from absl import app, flags

_DATASET = flags.DEFINE_string(
    "dataset",
    None,
    "Dataset: synthetic (offline), cifar10, cifar100, fashion_mnist, cars196, oxford_flowers102, caltech101 "
    "(tensorflow-datasets), npz or image_folder (your own images, with --data_path). Default: the "
    "configuration's (evolve), synthetic (the others).",
)
_DATA_PATH = flags.DEFINE_string(
    "data_path",
    None,
    "Your own images: a .npz file with x_train, y_train, x_test, y_test [, x_val, y_val] "
    "(--dataset=npz), or a folder root/{train,test[,validation]}/<class>/*.png (--dataset=image_folder).",
)
_DATA_DIR = flags.DEFINE_string("data_dir", None, "tensorflow-datasets directory (offline copies).")
_IMAGE_SIZE = flags.DEFINE_list("image_size", None, "--dataset=image_folder: resize to H,W (default 32,32).")
_SYNTHETIC_TRAIN = flags.DEFINE_integer(
    "synthetic_train", 2000, "Training images of the synthetic dataset.", lower_bound=100
)


FLAG_NAMES = ("dataset", "data_path", "data_dir", "image_size", "synthetic_train")


def pair_data_specs(values: list[str]) -> tuple:
    """`--pair_data` entries (`NAME`, or `npz:FILE` / `image_folder:FOLDER`) as validated
    `DataSpec`s (tensorflow-datasets ones read `--data_dir`); a bad one is a usage error."""
    from lossevo.data import DataSpec
    from lossevo.data.sources import TFDS_SOURCES, DatasetUnavailableError
    from lossevo.data.spec import synthetic

    specs = []
    for value in values:
        name, _, path = value.partition(":")
        try:
            if name == "synthetic" and not path:
                spec = synthetic(_SYNTHETIC_TRAIN.value, 500, 500)
            else:
                data_dir = _DATA_DIR.value if name in TFDS_SOURCES else None
                spec = DataSpec(name, path or None, data_dir, (32, 32) if name == "image_folder" else None)
            specs.append(spec.validate())
        except ValueError as e:
            raise app.UsageError(f"--pair_data={value}: {e}") from None
        except DatasetUnavailableError as e:  # bad or missing data: one line, exit 2 (common.user_errors)
            raise DatasetUnavailableError(f"--pair_data={value}: {e}") from None
    return tuple(specs)


def data_flags_given() -> bool:
    """Whether any dataset flag was given on the command line."""
    return any(flags.FLAGS[name].present for name in FLAG_NAMES)


def data_spec(synthetic_train: int | None = None, num_validation: int = 500, num_test: int = 500):
    """The `DataSpec` the flags name (default: synthetic), validated before anything is
    written: a bad flag combination is a usage error, data that is missing or malformed a
    `DatasetUnavailableError` (one line, exit status 2)."""
    from lossevo.data import DataSpec
    from lossevo.data.sources import DatasetUnavailableError
    from lossevo.data.spec import synthetic

    name = _DATASET.value or "synthetic"
    try:
        size = None
        if _IMAGE_SIZE.value is not None:
            size = tuple(int(v) for v in _IMAGE_SIZE.value)
            if len(size) != 2 or min(size) < 8:
                raise ValueError(
                    f"--image_size wants H,W of at least 8 each, got {','.join(_IMAGE_SIZE.value)}"
                )
        if name == "synthetic":
            if _DATA_PATH.value or _DATA_DIR.value or size:
                raise ValueError("the synthetic dataset takes no --data_path, --data_dir or --image_size")
            spec = synthetic(synthetic_train or _SYNTHETIC_TRAIN.value, num_validation, num_test)
        else:
            spec = DataSpec(name, _DATA_PATH.value, _DATA_DIR.value, size)
        return spec.validate()
    except ValueError as e:
        raise app.UsageError(f"--dataset={name}: {e}") from None
    except DatasetUnavailableError as e:  # bad or missing data: one line, exit 2 (common.user_errors)
        raise DatasetUnavailableError(f"--dataset={name}: {e}") from None
