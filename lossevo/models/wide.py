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

`form` (`wide_layers.FORMS`; None: `default_form()`, chosen per device by measurement):
- "grouped" (the default with a GPU): that wide form, the convolutions cuDNN's grouped ones;
- "patches": the same wide form, each grouped convolution computed as the candidates'
  patches times their kernels in one batched matmul (gradients on a CPU too; rounds
  otherwise than a convolution, so agrees with the solo models to rounding: tested);
- "split": the variables are the same but each layer runs per candidate on its own
  `[B, H, W, C]` tensor with its solo layer's ops, in Keras' execution order and under its
  solo layer's name (`layer_call`): a candidate's forward pass, gradients and BatchNorm
  statistics are then its solo model's bit for bit (tested); the "wide == solo bit for
  bit" guarantee of `lossevo.training.wide` is this form's;
- "split_fused" (the default on a CPU): "split" with a training-mode BatchNorm of one fused
  kernel per candidate and swish with a leaner gradient (`wide_layers.swish`): the same
  values up to rounding (tested), in about 0.75 of "split"'s step time.
`split=True`/`False` is the older spelling of "split"/"grouped".

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
from lossevo.models.wide_layers import (
    PER_CANDIDATE,
    WideConv,
    WideDense,
    WideDropout,
    WidePool,
    batch_norm_fused,
    batch_norm_split,
    each_candidate,
    grouped_conv_fast,  # noqa: F401 (re-exported: the tests ask which form a device defaults to)
    resolve_form,
    swish,
)

WIDE_MODELS = ("convnet", "resnet9v2_small")  # the surrogates' models: tested wide


def _check(condition: bool, layer: Any, what: str) -> None:
    if not condition:
        raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) has no wide form: {what}; "
                         f"wide models are built for {', '.join(WIDE_MODELS)}")  # fmt: skip


def _linear(layer: Any) -> bool:
    return getattr(layer, "activation", None) in (None, keras.activations.linear)


def _wide_layer(layer: Any, k: int, form: str) -> keras.layers.Layer:
    config = layer.get_config()
    if isinstance(layer, keras.layers.Conv2D):
        _check(layer.groups == 1 and tuple(layer.dilation_rate) == (1, 1), layer, "grouped or dilated")
        _check(layer.data_format == "channels_last" and _linear(layer), layer, "not channels_last and linear")
        _check(layer.kernel_regularizer is None, layer, "a kernel regularizer")
        return WideConv(k, layer.filters, layer.kernel_size, layer.strides, layer.padding, layer.use_bias,
                        form)  # fmt: skip
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

    def __init__(
        self, solo: keras.Model, k: int, split: bool | None = None, form: str | None = None, **kwargs
    ):
        super().__init__(**kwargs)
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.k, self.input_channels = k, int(solo.inputs[0].shape[-1])
        self.form = resolve_form(form, split)
        self.split = self.form in PER_CANDIDATE
        self.image_shape = tuple(solo.inputs[0].shape[1:])
        self._input_id = id(solo.inputs[0])
        self._output_id = id(solo.outputs[0])
        self.plan: list[tuple[int, list[int], int]] = []  # (solo operation index, input ids, output id)
        self.wide_layers = []
        self.names: list[str] = []  # the solo layers' names: the per-candidate form's op names
        for index, op in enumerate(solo.operations):
            if isinstance(op, keras.layers.InputLayer):
                continue
            node = op._inbound_nodes[0]  # functional models: one call per layer
            self.plan.append((index, [id(t) for t in node.input_tensors], id(node.output_tensors[0])))
            self.wide_layers.append(_wide_layer(op, k, self.form))
            self.names.append(op.name)
        # The per-candidate form runs the layers in Keras' order (`Functional._run_through_graph`:
        # deepest nodes first), so its tape records a candidate's ops as the solo model's does.
        index = {id(solo.operations[solo_index]): i for i, (solo_index, _, _) in enumerate(self.plan)}
        self.order = [index[id(node.operation)] for depth in sorted(solo._nodes_by_depth, reverse=True)
                      for node in solo._nodes_by_depth[depth] if id(node.operation) in index]  # fmt: skip
        if sorted(self.order) != list(range(len(self.plan))):
            raise ValueError(f"model {solo.name!r}: every layer must run exactly once")
        self.split = False  # the wide form calls (so builds) every layer
        self(tf.zeros((1, *self.image_shape[:-1], self.input_channels * k)))
        self.split = self.form in PER_CANDIDATE

    def call(self, x, training=False):
        """`x` `[B, H, W, 3]` (shared) or `[B, H, W, K·3]`; returns `[K, B, classes]` float32."""
        values = self._run(x, training)[self._output_id]
        if self.split:
            return tf.stack([tf.cast(p, tf.float32) for p in values])
        return tf.transpose(tf.cast(values, tf.float32), [1, 0, 2])

    def _run(self, x, training, seen: list | None = None) -> dict:
        """Every layer's output (by the solo model's tensor ids), the layers in Keras'
        execution order; `seen` collects `(layer index, its inputs)` (`trace_values`)."""
        if self.split:
            x = [x] * self.k if x.shape[-1] == self.input_channels else tf.split(x, self.k, axis=-1)
        base = tf.get_current_name_scope()
        values = {self._input_id: x}
        for i in self.order:
            _, inputs, output = self.plan[i]
            args = [values[t] for t in inputs]
            if seen is not None:
                seen.append((i, args))
            # absolute scopes (trailing "/"), each entered once: never renamed `…_1`
            scopes = [f"{base}/candidate_{k}/{self.names[i]}/".lstrip("/") for k in range(self.k)]
            values[output] = self.layer_call(i, args, training, scopes)
        return values

    def trace_values(self, x, training=False) -> list[tuple[int, list]]:
        """`(layer index, its inputs)` of one forward pass in execution order (the profile's)."""
        seen: list = []
        self._run(x, training, seen)
        return seen

    def layer_call(self, i: int, args: list, training=False, scopes: list | None = None):
        """Layer `i` on its inputs `args`. In the wide forms one tensor each; in the
        per-candidate form ("split", CPUs) lists of K, candidate k's mapped by its solo
        layer's ops on its own `[B, H, W, C]` tensor, its ops named
        `…/candidate_k/<solo layer name>/…` (`scopes`). Grappler's arithmetic optimizer orders
        the terms of a gradient sum (a tensor read by two layers: a residual block's input)
        by op name, so these names give each candidate its solo graph's sums."""
        layer = self.wide_layers[i]
        if not self.split:
            if isinstance(layer, keras.layers.Add):
                return layer(args)
            if isinstance(layer, keras.layers.BatchNormalization):
                return batch_norm_fused(layer, args[0], training)
            if isinstance(layer, WideDropout):
                return layer(args[0], training=training)
            return layer(args[0])
        fused = self.form == "split_fused"
        if isinstance(layer, keras.layers.BatchNormalization):
            return batch_norm_split(layer, args[0], scopes, training, fused)
        if isinstance(layer, WideDropout):
            return layer.split_call(args[0], scopes, training=training)
        if isinstance(layer, WideConv | WideDense | WidePool):
            return layer.split_call(args[0], scopes)
        if isinstance(layer, keras.layers.Add):
            return each_candidate(scopes, lambda *parts, layer=layer: layer(list(parts)), *args)
        if (
            fused
            and isinstance(layer, keras.layers.Activation)
            and layer.activation is keras.activations.swish
        ):
            return each_candidate(scopes, swish, args[0])
        return each_candidate(scopes, layer, args[0])  # activations, pooling: Keras' own (stateless) layers

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

    def owners(self, variables: list) -> np.ndarray:
        """The candidate owning each element of `variables` (of this model), flattened in
        order and concatenated: int32 `[Σ sizes]` (one Adam over all weights as one vector);
        `spread` of the candidate indices, so the layout rule is spread's."""
        index = self.spread(tf.range(self.k, dtype=tf.int32))
        parts = [np.broadcast_to(index[id(v)].numpy(), tuple(v.shape)).reshape(-1) for v in variables]
        return np.concatenate(parts).astype(np.int32)
