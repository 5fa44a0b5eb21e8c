"""Named pipelines: every technique eagerly and in tf.data, determinism, evaluation path;
the progressive schedule."""

import numpy as np
import pytest
import tensorflow as tf

from lossevo import data
from lossevo.data import progressive, synthetic
from lossevo.data.pipelines import TECHNIQUES, AugmentConfig, augment_batch

X, Y = synthetic.generate(64, 3)
DS = tf.data.Dataset.from_tensor_slices((X, Y))


@pytest.mark.parametrize("technique", data.technique_names())
def test_every_technique_shapes_ranges_labels(technique):
    batches = list(data.make_pipeline(DS, technique, 10, 16, seed=1).take(2))
    assert len(batches) == 2
    for x, y in batches:
        assert x.shape == (16, 32, 32, 3) and x.dtype == tf.float32
        assert float(tf.reduce_min(x)) >= -127.5 / 128 and float(tf.reduce_max(x)) <= 127.5 / 128
        assert y.shape == (16, 10)
        np.testing.assert_allclose(tf.reduce_sum(y, -1).numpy(), 1.0, atol=1e-6)
        assert float(tf.reduce_min(y)) >= 0


@pytest.mark.parametrize("technique", [t for t in data.technique_names() if t != "none"])
def test_batch_steps_run_eagerly_like_in_tf_data(technique):
    images = tf.constant(X[:8])
    labels = tf.one_hot(Y[:8], 10)
    seed = tf.constant([4, 2], tf.int64)
    eager = augment_batch(images, labels, TECHNIQUES[technique], AugmentConfig(), seed)
    ds = tf.data.Dataset.from_tensors((images, labels)).map(
        lambda a, b: augment_batch(a, b, TECHNIQUES[technique], AugmentConfig(), seed)
    )
    graph = next(iter(ds))
    for e, g in zip(eager, graph, strict=True):
        np.testing.assert_allclose(e.numpy(), g.numpy(), rtol=1e-6)


def test_same_seed_same_stream_and_resumable():
    a = [x.numpy() for x, _ in data.make_pipeline(DS, "all", 10, 16, seed=3, repeat=True).take(6)]
    b = [x.numpy() for x, _ in data.make_pipeline(DS, "all", 10, 16, seed=3, repeat=True).take(6)]
    c = [x.numpy() for x, _ in data.make_pipeline(DS, "all", 10, 16, seed=4, repeat=True).take(6)]
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert any((u != v).any() for u, v in zip(a, c, strict=True))
    skipped = [
        x.numpy() for x, _ in data.make_pipeline(DS, "all", 10, 16, seed=3, repeat=True).skip(4).take(2)
    ]
    np.testing.assert_array_equal(skipped[0], a[4])  # a run resumed at step 4 sees the same data


def test_evaluation_pipeline_is_plain():
    x, y = next(iter(data.make_pipeline(DS, "all", 10, 64, training=False)))
    np.testing.assert_allclose(x.numpy(), (X.astype(np.float32) - 127.5) / 128, rtol=1e-6)
    np.testing.assert_array_equal(np.argmax(y.numpy(), -1), Y)


def test_evaluation_images_keep_the_bilinear_values_training_images_are_truncated():
    """The authors evaluate on `tf.image.resize`'s float values (their test
    `RandomProcessImage` never casts) and train on uint8 (RandAugment's cast)."""
    cfg = AugmentConfig(image_size=(40, 40))
    bilinear = tf.image.resize(X[:8], (40, 40)).numpy()
    assert (bilinear != np.floor(bilinear)).mean() > 0.5  # the resize makes fractions to lose
    x_eval, _ = next(iter(data.make_pipeline(DS, "none", 10, 8, training=False, config=cfg)))
    np.testing.assert_allclose(x_eval.numpy(), (bilinear - 127.5) / 128, atol=1e-6)
    x_train, _ = next(iter(data.make_pipeline(DS, "none", 10, 8, shuffle_buffer=0, config=cfg)))
    np.testing.assert_allclose(
        x_train.numpy(), (np.floor(np.clip(bilinear, 0, 255)) - 127.5) / 128, atol=1e-6
    )


@pytest.mark.parametrize("shuffle_buffer", [0, 16])
def test_batch_per_pass_ends_every_pass_with_a_partial_batch(shuffle_buffer):
    """The authors' `.batch(B).repeat()`: 10 images in batches of 4 give 4, 4, 2 per pass,
    and unshuffled, every pass the same groupings; the default batches across passes."""
    ds = tf.data.Dataset.from_tensor_slices((X[:10], np.arange(10)))
    labels = lambda **kw: [np.argmax(y, -1).tolist() for _, y in data.make_pipeline(  # noqa: E731
        ds, "none", 10, 4, shuffle_buffer=shuffle_buffer, repeat=True, **kw).take(6)]  # fmt: skip
    per_pass = labels(batch_per_pass=True)
    assert [len(b) for b in per_pass] == [4, 4, 2, 4, 4, 2]
    assert sorted(np.concatenate(per_pass[:3])) == sorted(np.concatenate(per_pass[3:])) == list(range(10))
    across = labels()
    assert [len(b) for b in across] == [4] * 6
    if shuffle_buffer == 0:
        assert per_pass[:3] == per_pass[3:] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
        assert across[2] == [8, 9, 0, 1]
    else:
        assert per_pass[:3] != per_pass[3:]  # each pass reshuffled, as `shuffle` before `repeat`


def test_resize_and_grayscale_inputs():
    gray = tf.data.Dataset.from_tensor_slices((X[:8, :, :, 0], Y[:8]))
    cfg = AugmentConfig(image_size=(20, 24))
    x, _ = next(iter(data.make_pipeline(gray, "randaug", 10, 4, config=cfg)))
    assert x.shape == (4, 20, 24, 3)


def test_unknown_technique():
    with pytest.raises(ValueError, match="known: none, base, cutout"):
        data.make_pipeline(DS, "autoaugment", 10, 8)


def test_progressive_tables_and_schedule():
    assert [(p.image_size, p.dropout, p.magnitude) for p in progressive.PHASE_TABLES["cifar"]] == [
        (128, 0.1, 5), (160, 0.2, 8), (192, 0.3, 12), (224, 0.4, 15)]  # fmt: skip
    assert [(p.image_size, p.dropout, p.magnitude) for p in progressive.PHASE_TABLES["large"]] == [
        (128, 0.1, 5), (186, 0.17, 8), (244, 0.24, 12), (300, 0.30, 15)]  # fmt: skip
    schedule = progressive.ProgressiveSchedule.from_table("cifar", steps_per_phase=100)
    phases = list(schedule)
    assert [(p.start_step, p.end_step) for p in phases] == [(0, 100), (100, 200), (200, 300), (300, 400)]
    assert schedule.total_steps == 400 and len(schedule) == 4
    assert schedule.phase_at(0).index == 0 and schedule.phase_at(199).index == 1
    assert schedule.phase_at(10_000).index == 3
    assert len(progressive.ProgressiveSchedule.from_table("large", 10, num_phases=2)) == 2
    with pytest.raises(ValueError, match="known: cifar, large"):
        progressive.ProgressiveSchedule.from_table("imagenet", 10)


def test_phase_pipeline_uses_the_phase_size_and_magnitude():
    small = progressive.ProgressiveSchedule(
        (progressive.Phase(40, 0.1, 0.0), progressive.Phase(48, 0.2, 15.0)), 10
    )
    p0, p1 = list(small)
    x0, _ = next(iter(progressive.phase_pipeline(DS, p0, 10, 8, seed=0, shuffle_buffer=1)))
    x1, _ = next(iter(progressive.phase_pipeline(DS, p1, 10, 8, seed=0, shuffle_buffer=1)))
    assert x0.shape == (8, 40, 40, 3) and x1.shape == (8, 48, 48, 3)
    # The phase's magnitude reaches RandAugment: the same draws at M=0 and M=15 differ, and
    # M=15 is the plain pipeline's RandAugment at that size and magnitude.
    at = {m: progressive.phase_pipeline(DS, progressive.Phase(48, 0.2, m), 10, 8, seed=0, shuffle_buffer=1)
          for m in (0.0, 15.0)}  # fmt: skip
    x_m0, x_m15 = (next(iter(at[m]))[0].numpy() for m in (0.0, 15.0))
    assert not np.array_equal(x_m0, x_m15)
    plain = data.make_pipeline(DS, "randaug_only", 10, 8, seed=0, shuffle_buffer=1,
                               config=AugmentConfig(image_size=(48, 48), randaug_magnitude=15.0))  # fmt: skip
    np.testing.assert_array_equal(next(iter(plain))[0].numpy(), x_m15)


def test_resize_then_random_crop_for_wideresnet():
    cfg = AugmentConfig(image_size=(40, 40), crop_size=(32, 32))
    x, _ = next(iter(data.make_pipeline(DS, "cutout", 10, 8, config=cfg)))
    assert x.shape == (8, 32, 32, 3)
    x, _ = next(iter(data.make_pipeline(DS, "cutout", 10, 8, training=False, config=cfg)))
    assert x.shape == (8, 32, 32, 3)  # evaluated at the crop size
