"""Learning-rate schedules: golden values at their breakpoints, Keras equivalence, config."""

import keras
import numpy as np
import pytest

from lossevo.training import WarmupCosineDecay, WarmupLinearDecay


def _at(schedule, steps):
    return [float(schedule(s)) for s in steps]


def test_warmup_hold_cosine_golden():
    s = WarmupCosineDecay(peak_lr=0.1, total_steps=1000, warmup_steps=100, hold_steps=200)
    # step 0, mid warm-up, end of warm-up, end of hold, mid-decay, last step, past the end
    got = _at(s, [0, 50, 100, 300, 650, 1000, 1500])
    assert got == pytest.approx([0.0, 0.05, 0.1, 0.1, 0.05, 0.0, 0.0], abs=1e-7)
    assert float(s(475)) == pytest.approx(0.05 * (1 + np.cos(np.pi * 0.25)), rel=1e-6)


def test_matches_the_authors_formula():
    # lr_warmup_cosine_decay(step, warmup, hold, total, target) from the authors' code.
    def authors(step, warmup, hold, total, target):
        lr = 0.5 * target * (1 + np.cos(np.pi * (step - warmup - hold) / float(total - warmup - hold)))
        warm = target * (step / warmup)
        if hold > 0:
            lr = np.where(step > warmup + hold, lr, target)
        return float(np.where(step < warmup, warm, lr))

    s = WarmupCosineDecay(1e-3, 8000, 800, 0)
    h = WarmupCosineDecay(1e-3, 96000, 6400, 12400)
    for step in (0, 1, 799, 800, 801, 4000, 7999, 8000):
        assert float(s(step)) == pytest.approx(authors(step, 800, 0, 8000, 1e-3), abs=1e-9)
    for step in (0, 6400, 18800, 18801, 50000, 96000):
        assert float(h(step)) == pytest.approx(authors(step, 6400, 12400, 96000, 1e-3), abs=1e-9)


def test_without_hold_equals_keras_cosine_decay_with_warmup():
    ours = WarmupCosineDecay(peak_lr=0.4, total_steps=500, warmup_steps=50)
    theirs = keras.optimizers.schedules.CosineDecay(0.0, decay_steps=450, warmup_target=0.4, warmup_steps=50)
    for step in range(0, 501, 25):
        assert float(ours(step)) == pytest.approx(float(theirs(step)), abs=1e-6)


def test_warmup_linear_decay_golden():
    s = WarmupLinearDecay(peak_lr=0.4, total_steps=2940, warmup_steps=1176)
    got = _at(s, [0, 588, 1176, 2058, 2940, 3000])
    assert got == pytest.approx([0.0, 0.2, 0.4, 0.2, 0.0, 0.0], abs=1e-6)


@pytest.mark.parametrize(
    "schedule",
    [WarmupCosineDecay(0.1, 100, 10, 20, initial_lr=0.01, final_lr=0.001), WarmupLinearDecay(0.4, 50, 5)],
)
def test_serialisable(schedule, tmp_path):
    again = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(schedule))
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()
    # And inside a saved model's optimizer.
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    restored = loaded.optimizer._learning_rate
    assert type(restored) is type(schedule) and restored.get_config() == schedule.get_config()


def test_invalid_steps():
    with pytest.raises(ValueError, match="exceed total_steps"):
        WarmupCosineDecay(0.1, 100, 60, 50)
