"""Dataset sources: tfds (mocked), .npz, image folders, the synthetic set; offline errors."""

import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

from lossevo import data
from lossevo.data import synthetic


def _sizes(ds):
    return [int(ds.train.reduce(0, lambda n, _: n + 1)), int(ds.validation.reduce(0, lambda n, _: n + 1)),
            int(ds.test.reduce(0, lambda n, _: n + 1))]  # fmt: skip


def test_cifar10_split_through_tfds(tmp_path):
    with tfds.testing.mock_data(num_examples=60, data_dir=str(tmp_path)):
        ds = data.load("cifar10", data_dir=str(tmp_path))
        image, label = next(iter(ds.train))
        assert image.dtype == tf.uint8 and image.shape == (32, 32, 3) and label.dtype == tf.int64
        assert ds.num_classes == 10 and ds.image_size == (32, 32)
        source = data.sources.TFDS_SOURCES["cifar10"]
        assert (source.in_order, source.holdout) == (True, 0.1)  # 45,000 / 5,000 of CIFAR's 50,000
        assert (len(list(ds.train)), len(list(ds.validation))) == (54, 6)


@pytest.mark.parametrize("name,classes", [("cifar100", 100), ("oxford_flowers102", 102), ("caltech101", 102)])
def test_other_tfds_datasets(tmp_path, name, classes):
    with tfds.testing.mock_data(num_examples=8, data_dir=str(tmp_path)):
        ds = data.load(name, data_dir=str(tmp_path))
        image, _ = next(iter(ds.train))
        assert image.dtype == tf.uint8 and image.shape[-1] == 3 and ds.num_classes == classes


def test_missing_dataset_says_how_to_provide_it(tmp_path):
    with pytest.raises(data.DatasetUnavailableError, match="not available offline") as e:
        data.load("cifar10", data_dir=str(tmp_path), download=False)
    assert "tfds.load('cifar10'" in str(e.value) and "dataset='npz'" in str(e.value)


def test_npz_with_and_without_validation(tmp_path):
    x, y = synthetic.generate(50, 0)
    path = tmp_path / "mine.npz"
    np.savez(path, x_train=x[:40], y_train=y[:40], x_test=x[40:], y_test=y[40:])
    ds = data.load("npz", path=str(path))
    assert _sizes(ds) == [30, 10, 10] and ds.num_classes == 10  # one of each class's four validates
    train = [(im.numpy(), int(label)) for im, label in ds.train]
    i = next(i for i in range(40) if any((im == x[i]).all() for im, _ in train))
    assert any((im == x[i]).all() and label == y[i] for im, label in train)  # images keep their labels
    np.savez(
        path, x_train=x[:40], y_train=y[:40, None], x_val=x[:5], y_val=y[:5], x_test=x[40:], y_test=y[40:]
    )
    assert _sizes(data.load("npz", path=str(path))) == [40, 5, 10]
    np.savez(path, x_train=x)
    with pytest.raises(data.DatasetUnavailableError, match="lacks arrays"):
        data.load("npz", path=str(path))
    with pytest.raises(data.DatasetUnavailableError, match=r"no such \.npz"):
        data.load("npz", path=str(tmp_path / "nope.npz"))


def test_image_folder(tmp_path):
    x, y = synthetic.generate(44, 1, size=16)  # 40 to train: at least 2 of every class
    for split, idx in (("train", range(0, 40)), ("test", range(40, 44))):
        for i in idx:
            folder = tmp_path / split / synthetic.CLASS_NAMES[y[i]]
            os.makedirs(folder, exist_ok=True)
            Image.fromarray(x[i]).save(folder / f"{i}.png")
    for cls in synthetic.CLASS_NAMES:  # every class in both splits
        for split in ("train", "test"):
            os.makedirs(tmp_path / split / cls, exist_ok=True)
    ds = data.load("image_folder", path=str(tmp_path), image_size=(16, 16))
    assert ds.num_classes == 10 and _sizes(ds) == [30, 10, 4]  # one of each class validates
    images = np.stack([im.numpy() for im, _ in ds.train])
    assert images.dtype == np.uint8 and images.shape[1:] == (16, 16, 3)
    assert any((images == x[i]).all(axis=(1, 2, 3)).any() for i in range(40))  # PNG round trip
    with pytest.raises(data.DatasetUnavailableError, match="train/ and test/"):
        data.load("image_folder", path=str(tmp_path / "train"))


def test_unknown_dataset_lists_known():
    with pytest.raises(ValueError, match="known datasets: caltech101, cars196, cifar10"):
        data.load("imagenet")


def test_synthetic_is_deterministic_and_balanced():
    a, la = synthetic.generate(200, 5)
    b, lb = synthetic.generate(200, 5)
    c, _ = synthetic.generate(200, 6)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert (a != c).any()
    assert a.dtype == np.uint8 and a.shape == (200, 32, 32, 3)
    assert np.bincount(la, minlength=10).tolist() == [20] * 10


def test_synthetic_is_learnable_offline():
    import keras

    keras.utils.set_random_seed(0)
    ds = data.load("synthetic", num_train=2000, num_validation=500, num_test=10)
    train = data.make_pipeline(ds.train, "base", 10, 64, seed=0, repeat=True)
    val = data.make_pipeline(ds.validation, "none", 10, 250, training=False)
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        keras.layers.Conv2D(16, 3, strides=2, activation="relu"),
        keras.layers.Conv2D(32, 3, strides=2, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(10, activation="softmax"),
    ])  # fmt: skip
    model.compile(keras.optimizers.Adam(3e-3), loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train, steps_per_epoch=100, epochs=3, validation_data=val, verbose=0)
    assert max(history.history["val_accuracy"]) > 0.3  # chance is 0.1
