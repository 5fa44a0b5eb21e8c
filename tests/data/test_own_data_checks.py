"""Own data (`.npz`, image folders) is split so that no class vanishes, and checked before
anything runs: one clear error naming the problem for each bad case."""

import numpy as np
import pytest
from PIL import Image

from lossevo import data
from lossevo.data import checks, synthetic
from lossevo.data.holdout import stratified_holdout
from lossevo.data.spec import DataSpec

RNG = np.random.default_rng(0)


def _labels(split) -> np.ndarray:
    return np.array([int(y) for _, y in split])


def _class_sorted(n_per_class=20, classes=4, size=8):
    y = np.repeat(np.arange(classes), n_per_class)
    return RNG.integers(0, 256, (len(y), size, size, 3), dtype=np.uint8), y


def _npz(tmp_path, **arrays):
    path = tmp_path / "mine.npz"
    np.savez(path, **arrays)
    return str(path)


def test_stratified_holdout_keeps_every_class_in_both_parts():
    y = np.repeat(np.arange(5), [2, 3, 10, 40, 7])
    train, val = stratified_holdout(y, 0.1, seed=3)
    assert sorted(np.concatenate([train, val])) == list(range(len(y)))
    assert set(y[train]) == set(y[val]) == set(range(5))
    assert np.bincount(y[val]).tolist() == [1, 1, 1, 4, 1]  # round(10%), at least one, one left
    again = stratified_holdout(y, 0.1, seed=3)
    np.testing.assert_array_equal(again[0], train)  # seeded
    assert not np.array_equal(stratified_holdout(y, 0.1, seed=4)[1], val)
    assert not np.all(np.diff(y[train]) >= 0)  # the training part is not left sorted by class
    with pytest.raises(ValueError, match="class 1 has 1 training example"):
        stratified_holdout(np.array([0, 0, 1]))


def test_a_class_sorted_npz_without_x_val_trains_and_validates_on_every_class(tmp_path):
    x, y = _class_sorted()
    path = _npz(tmp_path, x_train=x, y_train=y, x_test=x[:8], y_test=y[:8])
    DataSpec("npz", path=path).validate()
    ds = data.load("npz", path=path)
    train, val = _labels(ds.train), _labels(ds.validation)
    assert (len(train), len(val)) == (72, 8) and ds.num_classes == 4
    assert set(train) == set(val) == {0, 1, 2, 3}
    assert np.bincount(val).tolist() == [2, 2, 2, 2]


def _bad_npz(tmp_path, **changes):
    x, y = _class_sorted(10, 3)
    arrays = {"x_train": x, "y_train": y, "x_test": x[:6], "y_test": y[:6], **changes}
    return DataSpec("npz", path=_npz(tmp_path, **arrays))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"y_test": np.array([0, 1, 2, 1000, 1, 0])}, "test label 1000 is not a training class"),
        ({"y_train": np.zeros(30, np.int64)}, "training holds 1 class"),
        ({"y_train": np.repeat([0, 2, 3], 10)}, "class 1 has no training example"),
        ({"x_val": np.zeros((2, 8, 8, 3), np.uint8), "y_val": np.array([0, 5])}, "validation label 5 is not"),
        ({"x_test": np.zeros((6, 8, 8, 1), np.uint8)}, "differ in shape"),
        ({"x_test": np.zeros((6, 9, 8, 3), np.uint8)}, "differ in shape"),
        ({"y_train": np.repeat([0, 1, 2], [1, 14, 15])}, "class 0 has 1 training example"),
        ({"y_train": np.repeat([0.0, 1.0, 2.0], 10)}, "integer"),
    ],
    ids=[
        "test-label-1000",
        "one-class",
        "absent-class",
        "val-label",
        "channels",
        "size",
        "one-image",
        "floats",
    ],
)
def test_bad_npz_labels_and_shapes_are_named(tmp_path, changes, message):
    spec = _bad_npz(tmp_path, **changes)
    with pytest.raises(data.DatasetUnavailableError, match=message) as e:
        spec.validate()
    assert "\n" not in str(e.value) and "mine.npz" in str(e.value)


def test_the_npz_loader_applies_the_label_rule_too(tmp_path):
    """Library callers that load without `validate` get the same label errors."""
    spec = _bad_npz(tmp_path, y_test=np.array([0, 1, 2, 1000, 1, 0]))
    with pytest.raises(data.DatasetUnavailableError, match="test label 1000 is not a training class"):
        spec.load()


def _folder(root, per_class=(4, 4), test=2):
    for split, counts in (("train", per_class), ("test", (test,) * len(per_class))):
        for c, n in enumerate(counts):
            folder = root / split / f"class_{c}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                Image.fromarray(RNG.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return DataSpec("image_folder", path=str(root), image_size=(8, 8))


def test_an_image_folder_without_validation_is_split_by_class(tmp_path):
    spec = _folder(tmp_path, per_class=(10, 10, 10))
    ds = spec.validate().load()
    train, val = _labels(ds.train), _labels(ds.validation)
    assert np.bincount(val).tolist() == [1, 1, 1] and np.bincount(train).tolist() == [9, 9, 9]
    assert not np.all(np.diff(train) >= 0)  # the files in a seeded random order, not class by class
    np.testing.assert_array_equal(_labels(spec.load().train), train)


@pytest.mark.parametrize("where", ["train/class_1/2.png", "test/class_0/1.png"])
def test_an_image_that_does_not_decode_is_named(tmp_path, where):
    spec = _folder(tmp_path)
    (tmp_path / where).write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(data.DatasetUnavailableError, match=f"{where}: not a readable image"):
        spec.validate()


def test_image_folder_classes_are_checked(tmp_path):
    with pytest.raises(data.DatasetUnavailableError, match="1 class subfolder"):
        _folder(tmp_path / "one", per_class=(4,)).validate()
    with pytest.raises(data.DatasetUnavailableError, match="holds 1 image; a validation split"):
        _folder(tmp_path / "few", per_class=(4, 1)).validate()
    root = tmp_path / "with_val"
    _folder(root, per_class=(4, 1))
    for c in (0, 1):
        (root / "validation" / f"class_{c}").mkdir(parents=True)
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "validation" / f"class_{c}" / "v.png")
    DataSpec("image_folder", path=str(root), image_size=(8, 8)).validate()  # a given validation/ suffices


def test_synthetic_labels_pass_the_rule():
    _x, y = synthetic.generate(40, 0)
    assert checks.label_problem("synthetic", {"train": y, "test": y[:5]}) is None
