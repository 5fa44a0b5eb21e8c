"""TensorFlow's start-up messages, kept off a launcher's terminal.

`import tensorflow` writes lines from its native code before its logging is set up, so
`TF_CPP_MIN_LOG_LEVEL` cannot stop them: a oneDNN note, "Could not find cuda drivers", the
CPU-instruction note, and on a machine without a GPU `failed call to cuInit` (an error line
on every CPU run). With `LOSSEVO_QUIET_TF=1` in the environment (the launchers set it, and
their worker processes and local Ray workers inherit it), `lossevo`'s import imports
TensorFlow and lists its devices with the process's stderr sent to a temporary file; the
file is written back to stderr if the import fails, so no real error is hidden.
"""

from __future__ import annotations

import os
import sys
import tempfile

ENV = "LOSSEVO_QUIET_TF"


def quiet_tensorflow_import() -> None:
    """Imports TensorFlow and lists its devices with file descriptor 2 captured (see above)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


if os.environ.get(ENV) == "1" and "tensorflow" not in sys.modules:
    quiet_tensorflow_import()
