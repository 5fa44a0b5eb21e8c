"""The dataset flags every launcher takes, turned into a validated `DataSpec`
(`DataSpec.from_options`, `DataSpec.parse`) before anything is written: a bad combination
is a usage error, data that is missing or malformed one line with exit status 2.
"""

from __future__ import annotations

from absl import app
from common import F, define_all

# fmt: off
DATA = {  # flag: (type, default, lower bound, help)
    "dataset": (str, None, None, "synthetic (offline), a tensorflow-datasets name (cifar10, cifar100, fashion_mnist, "
                "...), npz or image_folder (with --data_path). Default: the setup's (evolve), else synthetic."),
    "data_path": (str, None, None, ".npz with x_train, y_train, x_test, y_test [, x_val, y_val], or root/{train,test}/<class>/"),
    "data_dir": (str, None, None, "tensorflow-datasets directory (offline copies)."),
    "image_size": (list, None, None, "--dataset=image_folder: resize to H,W (default 32,32)."),
    "synthetic_train": (int, 2000, 100, "Training images of the synthetic dataset."),
}
# fmt: on
define_all(DATA)


def _validated(flag: str, make):
    from lossevo.data.sources import DatasetUnavailableError

    try:
        return make().validate()
    except ValueError as e:
        raise app.UsageError(f"{flag}: {e}") from None
    except DatasetUnavailableError as e:  # one line, exit 2 (common.user_errors)
        raise DatasetUnavailableError(f"{flag}: {e}") from None


def pair_data_specs(values: list[str]) -> tuple:
    """`--pair_data` entries (`NAME`, `npz:FILE`, `image_folder:FOLDER`), validated."""
    from lossevo.data import DataSpec

    return tuple(_validated(f"--pair_data={v}", lambda v=v: DataSpec.parse(v, F.data_dir, F.synthetic_train))
                 for v in values)  # fmt: skip


def data_flags_given() -> bool:
    """Whether any dataset flag was given on the command line."""
    return any(F[name].present for name in DATA)


def data_spec(num_validation: int = 500, num_test: int = 500):
    """The validated `DataSpec` the dataset flags name (default: synthetic)."""
    from lossevo.data import DataSpec

    return _validated(f"--dataset={F.dataset or 'synthetic'}", lambda: DataSpec.from_options(
        F.dataset, F.data_path, F.data_dir, F.image_size, F.synthetic_train, num_validation, num_test))  # fmt: skip
