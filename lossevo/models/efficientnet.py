"""EfficientNetV2-S from `keras.applications` (20,344,170 parameters with a 10-class head),
any input size, optional ImageNet weights, and a top dropout that progressive training can
change between phases (`VariableDropout`).

Inputs are expected as `(x - 127.5) / 128` (lossevo's pipelines), which is what Keras'
built-in `Rescaling(1/128, offset=-1)` produces, so that layer is left out.

Stochastic depth: `keras.applications.EfficientNetV2S` drops residual branches at a rate
rising to 0.2 (`drop_connect_rate`, not a parameter of its public builder); the authors'
EfficientNetV2-S has none, so lossevo builds it with `drop_connect_rate=0` by default: the
backbone is cloned with those `Dropout` layers (noise shape `(None, 1, 1, 1)`) removed or
rescaled, and its weights (ImageNet ones included) copied over.
"""

from __future__ import annotations

import keras

from lossevo.models.layers import VariableDropout
from lossevo.models.weights import WeightsUnavailableError, build_backbone, cached_weights_path

WEIGHTS_FILE = "efficientnetv2-s_notop.h5"
KERAS_DROP_CONNECT_RATE = 0.2  # keras.applications' default for EfficientNetV2

__all__ = ["WeightsUnavailableError", "efficientnetv2s", "imagenet_weights_path"]


def imagenet_weights_path() -> str:
    """Where Keras keeps (and looks for) the ImageNet weights of EfficientNetV2-S."""
    return cached_weights_path(WEIGHTS_FILE)


def efficientnetv2s(
    num_classes: int = 10,
    input_shape: tuple[int | None, int | None, int] = (None, None, 3),
    weights: str | None = None,
    dropout: float = 0.1,
    download: bool = True,
    seed: int | None = None,
    drop_connect_rate: float = 0.0,
) -> keras.Model:
    """EfficientNetV2-S with a softmax head.

    Args:
      num_classes: output classes.
      input_shape: `(None, None, 3)` accepts every size (progressive training).
      weights: None, "imagenet", or the path of a weights file.
      dropout: initial top dropout; change it with `set_top_dropout`.
      download: for "imagenet", fetch the weights when they are not in Keras' cache.
      seed: seed of the top dropout.
      drop_connect_rate: stochastic depth of the residual branches (0: none, the authors'
        model; 0.2: `keras.applications`' default; any rate in between scales its per-block
        rates).

    Raises:
      WeightsUnavailableError: "imagenet" weights neither cached nor downloadable; the
        message says which file to put where.
    """

    def build(w):
        return keras.applications.EfficientNetV2S(
            include_top=False, weights=w, input_shape=input_shape, include_preprocessing=False
        )

    backbone = build_backbone(build, weights, "EfficientNetV2-S", WEIGHTS_FILE, download)
    backbone = _with_drop_connect(backbone, drop_connect_rate)
    x = keras.layers.GlobalAveragePooling2D(name="top_pool")(backbone.output)
    x = VariableDropout(dropout, seed=seed, name="top_dropout")(x)
    x = keras.layers.Dense(num_classes, name="top_dense")(x)
    outputs = keras.layers.Activation("softmax", dtype="float32", name="predictions")(x)
    return keras.Model(backbone.input, outputs, name="efficientnetv2s")


def is_stochastic_depth(layer: keras.layers.Layer) -> bool:
    """A residual-branch dropout of `keras.applications`' EfficientNetV2 blocks."""
    return isinstance(layer, keras.layers.Dropout) and tuple(layer.noise_shape or ()) == (None, 1, 1, 1)


def _with_drop_connect(backbone: keras.Model, rate: float) -> keras.Model:
    """The backbone with its stochastic-depth rates scaled to `rate` (removed at 0)."""
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"drop_connect_rate must be in [0, 1), got {rate}")
    if rate == KERAS_DROP_CONNECT_RATE:
        return backbone
    factor = rate / KERAS_DROP_CONNECT_RATE

    def clone(layer):
        if not is_stochastic_depth(layer):
            return layer.__class__.from_config(layer.get_config())
        if rate == 0.0:
            return keras.layers.Identity(name=layer.name)
        return keras.layers.Dropout(layer.rate * factor, noise_shape=layer.noise_shape, name=layer.name)

    out = keras.models.clone_model(backbone, clone_function=clone)
    out.set_weights(backbone.get_weights())  # the removed layers hold no weights
    return out
