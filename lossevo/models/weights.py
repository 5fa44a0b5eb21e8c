"""Pretrained weights of `keras.applications` backbones: where Keras keeps them, and one
clear error when they are neither cached nor downloadable (the machines lossevo is tested
on reach no weight server)."""

from __future__ import annotations

import os
from collections.abc import Callable

import keras


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights could not be found or downloaded; the message names the file."""


def cached_weights_path(filename: str) -> str:
    """Where Keras keeps (and looks for) a downloaded weights file."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "models", filename)


def missing_message(model: str, filename: str) -> str:
    return (
        f"ImageNet weights for {model} are not available offline: put the file {filename} (from "
        f"keras.applications) at {cached_weights_path(filename)}, or pass weights='/path/to/{filename}'"
    )


def build_backbone(
    build: Callable[[str | None], keras.Model], weights: str | None, model: str, filename: str, download: bool
) -> keras.Model:
    """`build(weights)` with the weights checked first: "imagenet" must be cached (or
    `download` allowed and working), a file path must exist; a failed download raises
    `WeightsUnavailableError` naming the file and where to put it."""
    if weights == "imagenet":
        if not os.path.exists(cached_weights_path(filename)) and not download:
            raise WeightsUnavailableError(missing_message(model, filename))
    elif weights is not None and not os.path.exists(weights):
        raise WeightsUnavailableError(f"weights file not found: {weights}")
    try:
        return build(weights)
    except Exception as e:
        if weights == "imagenet":
            raise WeightsUnavailableError(
                f"{missing_message(model, filename)} ({type(e).__name__}: {e})"
            ) from e
        raise
