"""Wide population models: K copies of a model as one network whose layers hold all K.

`WideModel(solo, k)` reads a Keras functional model (the template: `convnet`,
`resnet9v2_small`, or any model made of the layers below) and builds its wide form:

- activations are `[B, H, W, K·C]`, candidate-major (candidate k owns channels
  `k·C … k·C + C − 1`);
- each `Conv2D` becomes a grouped convolution (`groups = K`, one group per candidate). The
  first one takes either one batch all K share (`[B, H, W, 3]`: an ordinary convolution
  from 3 to K·C channels) or a batch per candidate stacked on the channels
  (`[B, H, W, K·3]`: grouped too); TensorFlow's `conv2d` picks the form from the input;
- `BatchNormalization`, activations, pooling and `Add` act per channel, so per candidate;
- after global pooling the features are `[B, K, C]`; dropout draws each candidate's mask
  from its own seed state, as its solo model would; the classifier is one einsum over `[K, C, classes]`;
- the output is `[K, B, classes]`.

`load(slot, solo)` copies a solo model's weights (BatchNorm statistics included) into
candidate `slot`; `spread(values)` spreads per-candidate values `[K]` (a mask, a step size)
over each variable's elements (the trainer freezes inactive candidates with it).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from lossevo.models.layers import VariableDropout

WIDE_MODELS = ("convnet", "resnet9v2_small")  # the surrogates' models: tested wide


def grouped_conv_fast() -> bool:
    """Whether a grouped convolution is one fast kernel here: cuDNN's on a GPU. TensorFlow's
    CPU kernels have no gradient for it and XLA's CPU form is slower than K convolutions,
    so on a CPU the wide convolution runs as K convolutions of the candidates' channels."""
    return bool(tf.config.list_logical_devices("GPU"))


class WideConv(keras.layers.Layer):
    """K convolutions of one shape as one (kernel `[h, w, in, K·out]`): a grouped
    convolution (`split=False`, GPUs) or K convolutions of channel slices (`split=True`,
    CPUs); the same values either way."""

    def __init__(self, k: int, filters: int, kernel_size, strides, padding: str, use_bias: bool,
                 split: bool | None = None, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.k, self.filters, self.kernel_size = k, filters, tuple(kernel_size)
        self.strides, self.padding, self.use_bias = tuple(strides), padding.upper(), use_bias
        self.split = (not grouped_conv_fast()) if split is None else split

    def build(self, input_shape):
        shape = (*self.kernel_size, int(input_shape[-1]) // self.k, self.k * self.filters)  # built on K·in
        self.kernel = self.add_weight(shape=shape, initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.k * self.filters,), initializer="zeros", name="bias") \
            if self.use_bias else None  # fmt: skip

    def call(self, x):
        strides = (1, *self.strides, 1)
        if x.shape[-1] == self.kernel.shape[-2]:  # one batch for all: an ordinary conv to K·out channels
            y = tf.nn.conv2d(x, self.kernel, strides, self.padding)
        elif not self.split:
            y = keras.ops.conv(x, self.kernel, self.strides, self.padding.lower())
        else:
            pairs = zip(tf.split(x, self.k, axis=-1), tf.split(self.kernel, self.k, axis=-1), strict=True)
            y = tf.concat([tf.nn.conv2d(xi, ki, strides, self.padding) for xi, ki in pairs], -1)
        return (
            y + self.bias if self.bias is not None else y
        )  # not BiasAdd: its fused CPU kernel has no groups


class WideDense(keras.layers.Layer):
    """K dense layers `[C] → [units]` on features `[B, K, C]`: kernel `[K, C, units]`."""

    def __init__(self, k: int, units: int, **kwargs):
        super().__init__(**kwargs)
        self.k, self.units = k, units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(self.k, int(input_shape[-1]), self.units), name="kernel",
                                      initializer="glorot_uniform")  # fmt: skip
        self.bias = self.add_weight(shape=(self.k, self.units), initializer="zeros", name="bias")

    def call(self, x):
        return tf.einsum("bkc,kcn->bkn", x, self.kernel) + self.bias


class WideDropout(keras.layers.Layer):
    """Dropout of K candidates on `[B, K, C]`: candidate k draws the mask its solo model's
    `VariableDropout` would, from its own seed state (`state[k]`, advanced once per
    training call), so a wide run replays each solo run's dropout."""

    def __init__(self, k: int, rate: float, seed_dtype: str = "int64", **kwargs):
        super().__init__(**kwargs)
        self.k, self.seed_dtype = k, seed_dtype
        self.rate = tf.Variable(float(rate), trainable=False, dtype=tf.float32, name="dropout_rate")

    def build(self, input_shape):
        self.state = self.add_weight(shape=(self.k, 2), initializer="zeros", dtype=self.seed_dtype,
                                     trainable=False, name="seed_state")  # fmt: skip

    def call(self, x, training=False):
        if not training:
            return x
        states = tf.convert_to_tensor(self.state)
        keep = tf.stack([tf.random.stateless_uniform(tf.shape(x[:, k]), seed=tf.cast(states[k], tf.int32))
                         >= self.rate for k in range(self.k)], axis=1)  # fmt: skip
        self.state.assign(states + tf.constant([0, 1], states.dtype))
        return tf.where(keep, x / (1.0 - tf.cast(self.rate, x.dtype)), tf.zeros_like(x))


class WidePool(keras.layers.Layer):
    """Global average pooling `[B, H, W, K·C] → [B, K, C]`."""

    def __init__(self, k: int, **kwargs):
        super().__init__(**kwargs)
        self.k = k

    def call(self, x):
        pooled = tf.reduce_mean(x, axis=[1, 2])
        return tf.reshape(pooled, [-1, self.k, pooled.shape[-1] // self.k])


def _check(condition: bool, layer: Any, what: str) -> None:
    if not condition:
        raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) has no wide form: {what}; "
                         f"wide models are built for {', '.join(WIDE_MODELS)}")  # fmt: skip


def _linear(layer: Any) -> bool:
    return getattr(layer, "activation", None) in (None, keras.activations.linear)


def _wide_layer(layer: Any, k: int) -> keras.layers.Layer:
    config = layer.get_config()
    if isinstance(layer, keras.layers.Conv2D):
        _check(layer.groups == 1 and tuple(layer.dilation_rate) == (1, 1), layer, "grouped or dilated")
        _check(layer.data_format == "channels_last" and _linear(layer), layer, "not channels_last and linear")
        _check(layer.kernel_regularizer is None, layer, "a kernel regularizer")
        return WideConv(k, layer.filters, layer.kernel_size, layer.strides, layer.padding, layer.use_bias)
    if isinstance(layer, keras.layers.Dense):
        _check(_linear(layer) and layer.kernel_regularizer is None, layer, "an activation or a regularizer")
        return WideDense(k, layer.units)
    if isinstance(layer, keras.layers.GlobalAveragePooling2D):
        _check(not layer.keepdims, layer, "keepdims")
        return WidePool(k)
    if isinstance(layer, VariableDropout):
        return WideDropout(k, float(layer.rate.numpy()), layer.seed_generator.state.dtype)
    if isinstance(layer, keras.layers.BatchNormalization):
        _check(layer.axis in (-1, 3, [-1], [3]), layer, "not on the channels")
    elif not isinstance(layer, keras.layers.Activation | keras.layers.MaxPooling2D | keras.layers.Add):
        _check(False, layer, "an unsupported layer type")
    config.pop("name", None)
    return type(layer).from_config(config)


class WideModel(keras.layers.Layer):
    """The wide form of the functional model `solo` for `k` candidates (see the module)."""

    def __init__(self, solo: keras.Model, k: int, **kwargs):
        super().__init__(**kwargs)
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.k, self.input_channels = k, int(solo.inputs[0].shape[-1])
        self.image_shape = tuple(solo.inputs[0].shape[1:])
        self._input_id = id(solo.inputs[0])
        self._output_id = id(solo.outputs[0])
        self.plan: list[tuple[int, list[int], int]] = []  # (solo operation index, input ids, output id)
        self.wide_layers = []
        for index, op in enumerate(solo.operations):
            if isinstance(op, keras.layers.InputLayer):
                continue
            node = op._inbound_nodes[0]  # functional models: one call per layer
            self.plan.append((index, [id(t) for t in node.input_tensors], id(node.output_tensors[0])))
            self.wide_layers.append(_wide_layer(op, k))
        self(tf.zeros((1, *self.image_shape[:-1], self.input_channels * k)))  # builds the weights

    def call(self, x, training=False):
        """`x` `[B, H, W, 3]` (shared) or `[B, H, W, K·3]`; returns `[K, B, classes]` float32."""
        values = {self._input_id: x}
        for layer, (_, inputs, output) in zip(self.wide_layers, self.plan, strict=True):
            args = [values[i] for i in inputs]
            if isinstance(layer, keras.layers.Add):
                values[output] = layer(args)
            elif isinstance(layer, keras.layers.BatchNormalization | WideDropout):
                values[output] = layer(args[0], training=training)
            else:
                values[output] = layer(args[0])
        return tf.transpose(tf.cast(values[self._output_id], tf.float32), [1, 0, 2])

    def candidate_axis(self, layer: keras.layers.Layer) -> int:
        """Where a layer's weights keep their candidates: axis 0 (`WideDense`, `WideDropout`) or blocks of
        the last axis (the rest)."""
        return 0 if isinstance(layer, WideDense | WideDropout) else -1

    def load(self, slot: int, solo: keras.Model) -> None:
        """Copies the weights of `solo` (a model of the template's architecture) into
        candidate `slot`."""
        for layer, (index, _, _) in zip(self.wide_layers, self.plan, strict=True):
            source = solo.operations[index]
            if isinstance(layer, WideDropout):  # its seed state (not a weight of the solo layer)
                state = layer.state.numpy()
                state[slot] = source.seed_generator.state.numpy()
                layer.state.assign(state)
                continue
            for wide_var, solo_var in zip(layer.weights, source.weights, strict=True):
                value = wide_var.numpy()
                if self.candidate_axis(layer) == 0:
                    value[slot] = solo_var.numpy()
                else:
                    n = solo_var.shape[-1]
                    value[..., slot * n : (slot + 1) * n] = solo_var.numpy()
                wide_var.assign(value)

    def slot_weights(self, slot: int) -> list[np.ndarray]:
        """Candidate `slot`'s weights in the solo model's order (`solo.weights`)."""
        out = []
        for layer in self.wide_layers:
            if isinstance(layer, WideDropout):
                continue
            for v in layer.weights:
                value = v.numpy()
                if self.candidate_axis(layer) == 0:
                    out.append(value[slot])
                else:
                    n = value.shape[-1] // self.k
                    out.append(value[..., slot * n : (slot + 1) * n])
        return out

    @property
    def statistics(self) -> list:
        """What a training-mode call updates besides the weights: BatchNorm's moving means and
        variances, the dropout seed states."""
        return [v for layer in self.wide_layers if isinstance(layer, keras.layers.BatchNormalization | WideDropout)
                for v in layer.non_trainable_weights]  # fmt: skip

    def spread(self, values: tf.Tensor) -> dict[int, tf.Tensor]:
        """Per-candidate `values [K]` (a mask, a step size) spread over each variable (by
        `id`), broadcastable to its shape."""
        out = {}
        for layer in self.wide_layers:
            for v in layer.weights:
                if self.candidate_axis(layer) == 0:
                    out[id(v)] = tf.reshape(values, [self.k] + [1] * (len(v.shape) - 1))
                else:
                    out[id(v)] = tf.repeat(values, v.shape[-1] // self.k)
        return out
