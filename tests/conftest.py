"""Test set-up: quiet TensorFlow, its threads shared among xdist workers, and two logical CPU
devices for distribution tests.

Logical devices must be configured before TensorFlow initialises its runtime, so this runs
at collection time, before any test touches TensorFlow.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Under pytest-xdist each worker gets its share of the cores for one op's threads (inherited
# by the launchers and notebook kernels the tests start): two workers on two cores each
# running every op on both cores fight for them (quick tier, 2 cores, `-n 2`: 189 -> 159 s).
_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _workers > 1:
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(max(1, (os.cpu_count() or 1) // _workers)))

import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
try:
    tf.config.set_logical_device_configuration(
        _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
except RuntimeError:  # already initialised (e.g. another conftest ran first)
    pass


import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def mirrored_strategy():
    """One MirroredStrategy over the two logical CPUs for the whole session: strategies
    created separately in one process can reuse collective instance keys and abort."""
    devices = tf.config.list_logical_devices("CPU")[:2]
    assert len(devices) == 2, "two logical CPUs are configured above"
    return tf.distribute.MirroredStrategy([d.name for d in devices])


# The markers that imply `slow`: a test that starts a fresh Python, a notebook kernel or a
# Ray cluster never belongs in the quick tier, whatever else it does.
IMPLY_SLOW = ("launcher", "notebook", "ray")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(item.get_closest_marker(name) for name in IMPLY_SLOW):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _same_global_seeds_for_every_test():
    """Every test starts from the same global seeds (Python, NumPy, TensorFlow, Keras), so no
    test depends on the seeds that the tests before it in its process left behind. (Other
    process-wide state still can: see BUILD_NOTES, "Two tests passed only in the serial
    order".)"""
    keras.utils.set_random_seed(1234)
