"""An offline image-classification dataset that needs no download.

Ten classes of 32×32 RGB images, each a shape or texture (disk, square, ring, cross,
horizontal / vertical / diagonal stripes, checkerboard, triangle, two dots) at a random
position, size, angle and colours, under Gaussian noise. Colour says nothing about the
class; shape does. A small ConvNet learns it well in a few hundred steps, so a loss search
on it shows real differences between losses in minutes on a CPU. Deterministic per seed.
"""

from __future__ import annotations

import numpy as np

NUM_CLASSES = 10
CLASS_NAMES = (
    "disk", "square", "ring", "cross", "h_stripes", "v_stripes", "d_stripes", "checker", "triangle", "two_dots",
)  # fmt: skip


# Each class's foreground mask from rotated coordinates (u, v) about the centre, distance to
# the centre, radius r, angular frequency w, phase and the image grid (x, y).
_PATTERNS = (
    lambda u, v, d, r, w, ph, x, y: d < r,
    lambda u, v, d, r, w, ph, x, y: np.maximum(np.abs(u), np.abs(v)) < r * 0.8,
    lambda u, v, d, r, w, ph, x, y: np.abs(d - r) < 0.12,
    lambda u, v, d, r, w, ph, x, y: (
        ((np.abs(u) < r / 3) & (np.abs(v) < r)) | ((np.abs(v) < r / 3) & (np.abs(u) < r))
    ),
    lambda u, v, d, r, w, ph, x, y: np.sin(w * y + ph) > 0,
    lambda u, v, d, r, w, ph, x, y: np.sin(w * x + ph) > 0,
    lambda u, v, d, r, w, ph, x, y: np.sin(w * (x + y) / np.sqrt(2) + ph) > 0,
    lambda u, v, d, r, w, ph, x, y: np.sin(w * x + ph) * np.sin(w * y) > 0,
    lambda u, v, d, r, w, ph, x, y: (v > -r / 2) & (v < r) & (np.abs(u) < (r - v) / np.sqrt(3)),
    lambda u, v, d, r, w, ph, x, y: (np.hypot(u - r / 2, v) < r / 3) | (np.hypot(u + r / 2, v) < r / 3),
)
assert len(_PATTERNS) == NUM_CLASSES


def generate(n: int, seed: int, size: int = 32, noise: float = 24.0) -> tuple[np.ndarray, np.ndarray]:
    """`n` images (uint8 `[n, size, size, 3]`) and labels (int64 `[n]`), classes balanced."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % NUM_CLASSES
    rng.shuffle(labels)
    coords = np.linspace(-1.0, 1.0, size)
    yy, xx = np.meshgrid(coords, coords, indexing="ij")
    cy = rng.uniform(-0.35, 0.35, (n, 1, 1))
    cx = rng.uniform(-0.35, 0.35, (n, 1, 1))
    r = rng.uniform(0.3, 0.6, (n, 1, 1))
    theta = rng.uniform(0, np.pi, (n, 1, 1))
    freq = rng.uniform(2.0, 4.0, (n, 1, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 1))
    mask = np.zeros((n, size, size), bool)
    for k, pattern in enumerate(_PATTERNS):
        i = np.flatnonzero(labels == k)
        dy, dx = yy[None] - cy[i], xx[None] - cx[i]
        u = dx * np.cos(theta[i]) + dy * np.sin(theta[i])
        v = -dx * np.sin(theta[i]) + dy * np.cos(theta[i])
        mask[i] = pattern(u, v, np.sqrt(dx**2 + dy**2), r[i], freq[i] * np.pi, phase[i], xx[None], yy[None])
    mask = mask[..., None]
    fg = rng.uniform(0, 255, (n, 1, 1, 3))
    bg = rng.uniform(0, 255, (n, 1, 1, 3))
    close = np.abs(fg - bg).sum(-1, keepdims=True) < 150  # keep the shape visible
    fg = np.where(close, 255 - bg, fg)
    images = np.where(mask, fg, bg) + rng.normal(0, noise, (n, size, size, 3))
    return np.clip(images, 0, 255).astype(np.uint8), labels.astype(np.int64)
