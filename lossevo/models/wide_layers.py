"""The layers of a wide population model (`lossevo.models.wide`): each holds all K
candidates' variables, stacked on a leading candidate axis, and runs either as one wide
op over `[B, H, W, K·C]` (`call`; a convolution in one of the `FORMS`) or per candidate on
its own `[B, H, W, C]` tensor with the solo layer's ops (`split_call`, under each
candidate's scope)."""

from __future__ import annotations

import contextlib

import keras
import tensorflow as tf

FORMS = ("split", "split_fused", "grouped", "patches")  # how a wide model runs (`WideModel`)
PER_CANDIDATE = ("split", "split_fused")  # the forms that run each candidate on its own tensors


def grouped_conv_fast() -> bool:
    """Whether a grouped convolution is one fast kernel here: cuDNN's on a GPU. TensorFlow's
    CPU kernels have no gradient for it and XLA's CPU form is slower than K convolutions,
    so on a CPU the wide model runs per candidate (`WideModel(form="split_fused")`)."""
    return bool(tf.config.list_logical_devices("GPU"))


def default_form() -> str:
    """The form a wide model takes unless told (measured, `benchmarks/profile_wide.py`): on a
    GPU one grouped cuDNN convolution ("grouped"); on a CPU "split_fused": the candidates' own
    convolutions, each BatchNorm one fused kernel per candidate and a leaner swish gradient
    (a ConvNet step at K = 16 in about 0.75 of "split"'s time). "split" runs each candidate
    with its solo model's ops, so its candidates equal their solo runs bit for bit; the other
    forms agree with them up to rounding. "patches" (patches and one batched matmul) has CPU
    gradients but is slower there (extracting the patches costs more than the K
    convolutions); the device check measures it against "grouped" on a GPU. TensorFlow's CPU
    grouped convolution has gradients but lets a NaN candidate reach the others
    (`benchmarks/device_check.py --tiny`): "grouped" is for GPUs only."""
    return "grouped" if grouped_conv_fast() else "split_fused"


def resolve_form(form: str | None = None, split: bool | None = None) -> str:
    """`form` checked, or the form `split` names (True: "split", False: "grouped"), or the default."""
    if form is None:
        return default_form() if split is None else ("split" if split else "grouped")
    if form not in FORMS:
        raise ValueError(f"form must be one of {', '.join(FORMS)}, got {form!r}")
    return form


class WideConv(keras.layers.Layer):
    """K convolutions of one shape as one (kernel `[h, w, in, K·out]`), by `form`: a grouped
    convolution ("grouped", GPUs), K convolutions of channel slices ("split", CPUs), or the
    patches of all K candidates' inputs contracted with their kernels in one batched matmul
    ("patches", gradients on any device); the same values either way, up to rounding."""

    def __init__(self, k: int, filters: int, kernel_size, strides, padding: str, use_bias: bool,
                 form: str | None = None, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.k, self.filters, self.kernel_size = k, filters, tuple(kernel_size)
        self.strides, self.padding, self.use_bias = tuple(strides), padding.upper(), use_bias
        self.form = resolve_form(form)

    @property
    def split(self) -> bool:
        return self.form in PER_CANDIDATE

    def build(self, input_shape):
        shape = (*self.kernel_size, int(input_shape[-1]) // self.k, self.k * self.filters)  # built on K·in
        self.kernel = self.add_weight(shape=shape, initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.k * self.filters,), initializer="zeros", name="bias") \
            if self.use_bias else None  # fmt: skip

    def call(self, x):
        shared = x.shape[-1] == self.kernel.shape[-2]  # one batch for all: an ordinary conv to K·out channels
        if self.split:
            return tf.concat(self.split_call([x] * self.k if shared else tf.split(x, self.k, axis=-1)), -1)
        if shared:
            y = tf.nn.conv2d(x, self.kernel, (1, *self.strides, 1), self.padding)
        elif self.form == "patches":
            y = self._patches(x)
        else:
            y = keras.ops.conv(x, self.kernel, self.strides, self.padding.lower())
        return (
            y + self.bias if self.bias is not None else y
        )  # not BiasAdd: its fused CPU kernel has no groups

    def _patches(self, x):
        """`x` `[B, H, W, K·in]` → `[B, H', W', K·out]`: each candidate's patches
        (`extract_patches` over `[K·B, H, W, in]`, ordered as the kernel's `[h, w, in]`) times its
        kernel `[h·w·in, out]`, all K in one batched matmul."""
        (h, w), cin, k, out = self.kernel_size, self.kernel.shape[-2], self.k, self.filters
        _, rows, cols, _ = x.shape
        by_candidate = tf.transpose(tf.reshape(x, [-1, rows, cols, k, cin]), [3, 0, 1, 2, 4])
        patches = tf.image.extract_patches(tf.reshape(by_candidate, [-1, rows, cols, cin]), [1, h, w, 1],
                                           [1, *self.strides, 1], [1, 1, 1, 1], self.padding)  # fmt: skip
        _, rows, cols, depth = patches.shape
        kernels = tf.transpose(tf.reshape(self.kernel, [depth, k, out]), [1, 0, 2])  # [K, h·w·in, out]
        y = tf.matmul(tf.reshape(patches, [k, -1, depth]), kernels)  # [K, B·H'·W', out]
        y = tf.transpose(tf.reshape(y, [k, -1, rows, cols, out]), [1, 2, 3, 0, 4])
        return tf.reshape(y, [-1, rows, cols, k * out])

    def split_call(self, xs: list, scopes: list | None = None) -> list:
        """Candidate k's convolution of `xs[k]` `[B, H, W, in]`, as `keras.layers.Conv2D` computes it."""
        kernels = tf.split(self.kernel, self.k, axis=-1)
        biases = tf.split(self.bias, self.k) if self.bias is not None else [None] * self.k

        def one(x, kernel, bias):
            y = keras.ops.conv(x, kernel, list(self.strides), self.padding.lower())
            return y if bias is None else keras.ops.add(y, keras.ops.reshape(bias, (1, 1, 1, self.filters)))

        return each_candidate(scopes, one, xs, kernels, biases)


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

    def split_call(self, xs: list, scopes: list | None = None) -> list:
        """Candidate k's dense layer on `xs[k]` `[B, C]`, as `keras.layers.Dense` computes it."""
        return each_candidate(scopes, lambda x, kernel, bias: keras.ops.add(keras.ops.matmul(x, kernel), bias),
                     xs, tf.unstack(self.kernel), tf.unstack(self.bias))  # fmt: skip


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

    def split_call(self, xs: list, scopes: list | None = None, training=False) -> list:
        """Candidate k's `VariableDropout` of `xs[k]` `[B, C]`, drawn from `state[k]`."""
        if not training:
            return xs
        states = tf.convert_to_tensor(self.state)

        def one(x, state):
            keep = tf.random.stateless_uniform(tf.shape(x), seed=tf.cast(state, tf.int32)) >= self.rate
            return tf.where(keep, x / (1.0 - tf.cast(self.rate, x.dtype)), tf.zeros_like(x))

        out = each_candidate(scopes, one, xs, tf.unstack(states))
        self.state.assign(states + tf.constant([0, 1], states.dtype))
        return out


class WidePool(keras.layers.Layer):
    """Global average pooling `[B, H, W, K·C] → [B, K, C]`."""

    def __init__(self, k: int, **kwargs):
        super().__init__(**kwargs)
        self.k = k

    def call(self, x):
        pooled = tf.reduce_mean(x, axis=[1, 2])
        return tf.reshape(pooled, [-1, self.k, pooled.shape[-1] // self.k])

    def split_call(self, xs: list, scopes: list | None = None) -> list:
        """Candidate k's `GlobalAveragePooling2D` of `xs[k]`: `[B, C]` each."""
        return each_candidate(scopes, lambda x: keras.ops.mean(x, axis=[1, 2]), xs)


def each_candidate(scopes: list | None, fn, *columns: list) -> list:
    """`fn` on each candidate's arguments (`columns[j][k]`), candidate k's ops named under
    `scopes[k]` (see `WideModel._split_call`)."""
    out = []
    for k, args in enumerate(zip(*columns, strict=True)):
        with tf.name_scope(scopes[k]) if scopes else contextlib.nullcontext():
            out.append(fn(*args))
    return out


def batch_norm_split(layer: keras.layers.BatchNormalization, xs: list, scopes: list | None,
                      training: bool, fused: bool = False) -> list:  # fmt: skip
    """The wide BatchNorm `layer` (K·C channels) on candidate k's `xs[k]` `[..., C]` as a solo
    `BatchNormalization` of C channels computes it (`BatchNormalization.call`): moments over
    each candidate's own tensor, the same moving-average update, `ops.batch_normalization`.
    `fused` (training on `[B, H, W, C]`): one fused kernel per candidate instead, the same
    values up to rounding (the "split_fused" form)."""
    k = len(xs)

    def parts(v):
        return tf.split(tf.cast(v, xs[0].dtype), k) if v is not None else [None] * k

    gammas, betas = parts(layer.gamma if layer.scale else None), parts(layer.beta if layer.center else None)
    if training and layer.trainable and fused and xs[0].shape.rank == 4:
        out = each_candidate(scopes, lambda x, g, b: _fused_moments(layer, x, g, b), xs, gammas, betas)
        _update_moving(layer, tf.concat([m for _, m, _ in out], 0), tf.concat([v for _, _, v in out], 0))
        return [y for y, _, _ in out]
    if training and layer.trainable:
        moments = each_candidate(scopes, lambda x: keras.ops.moments(x, axes=layer._reduction_axes), xs)
        _update_moving(layer, tf.concat([m for m, _ in moments], 0), tf.concat([v for _, v in moments], 0))
    else:
        moments = list(zip(parts(layer.moving_mean), parts(layer.moving_variance), strict=True))

    def normalize(x, statistics, gamma, beta):
        mean, variance = statistics
        return keras.ops.batch_normalization(x, mean, variance, layer.axis, beta, gamma, layer.epsilon)

    return each_candidate(scopes, normalize, xs, moments, gammas, betas)


def batch_norm_fused(layer: keras.layers.BatchNormalization, x, training: bool):
    """The wide BatchNorm `layer` on `x` `[B, H, W, K·C]` in one fused kernel (training mode;
    else Keras' own call): per channel, so per candidate, as `BatchNormalization.call`
    computes it up to rounding, with its moving averages of the batch's (biased) moments.
    Three to four times faster on a CPU than Keras' moments and normalization over K·C channels."""
    if not (training and layer.trainable) or x.shape.rank != 4:
        return layer(x, training=training)
    y, mean, variance = _fused_moments(layer, x, layer.gamma if layer.scale else None,
                                       layer.beta if layer.center else None)  # fmt: skip
    _update_moving(layer, mean, variance)
    return y


def _fused_moments(layer: keras.layers.BatchNormalization, x, gamma, beta) -> tuple:
    """Training-mode BatchNorm of `x` `[B, H, W, C]` in one fused kernel: the output, the batch
    mean and its biased variance (as Keras keeps it; the kernel returns the unbiased one)."""
    channels = x.shape[-1]
    gamma = tf.cast(gamma, tf.float32) if gamma is not None else tf.ones([channels])
    beta = tf.cast(beta, tf.float32) if beta is not None else tf.zeros([channels])
    y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
        x, gamma, beta, epsilon=layer.epsilon, is_training=True
    )
    n = tf.cast(tf.size(x) // channels, variance.dtype)
    return y, mean, variance * (n - 1.0) / n


def _update_moving(layer: keras.layers.BatchNormalization, mean, variance) -> None:
    """`BatchNormalization`'s moving averages of the batch's moments (all K·C channels at once)."""
    for var, value in ((layer.moving_mean, mean), (layer.moving_variance, variance)):
        var.assign(tf.cast(var, value.dtype) * layer.momentum + value * (1.0 - layer.momentum))


@tf.custom_gradient
def swish(x):
    """`x · sigmoid(x)`, Keras' swish, with a leaner gradient: the sigmoid kept from the forward
    pass and its derivative one fused op (`SigmoidGrad`) instead of TensorFlow's recomputation;
    the same values up to rounding (the "split_fused" form's swish)."""
    s = tf.sigmoid(x)

    def grad(dy):
        return dy * s + tf.raw_ops.SigmoidGrad(y=s, dy=dy * x)

    return x * s, grad
