"""Test set-up: quiet TensorFlow, and two logical CPU devices for distribution tests.

Logical devices must be configured before TensorFlow initialises its runtime, so this runs
at collection time, before any test touches TensorFlow.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf

_cpus = tf.config.list_physical_devices("CPU")
try:
    tf.config.set_logical_device_configuration(
        _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
except RuntimeError:  # already initialised (e.g. another conftest ran first)
    pass


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def mirrored_strategy():
    """One MirroredStrategy over the two logical CPUs for the whole session: strategies
    created separately in one process can reuse collective instance keys and abort."""
    devices = tf.config.list_logical_devices("CPU")[:2]
    assert len(devices) == 2, "two logical CPUs are configured above"
    return tf.distribute.MirroredStrategy([d.name for d in devices])
