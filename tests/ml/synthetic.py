"""Synthetic images for fast end-to-end tests: striped 'parts', anomalies carry a red blob."""

from __future__ import annotations

import numpy as np

from openlookout.ml.api import LabeledImage

HEIGHT, WIDTH = 64, 96


def synthetic_image(seed: int, anomalous: bool, size: tuple[int, int] = (HEIGHT, WIDTH)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0 : size[0], 0 : size[1]]
    stripes = 0.5 + 0.5 * np.sin(cols / 4.0 + rng.uniform(0, 0.5))
    base = 90 + 60 * stripes[..., None] * np.array([1.0, 0.9, 0.8])
    image = base + rng.normal(scale=4.0, size=(*size, 3))
    if anomalous:
        r, c = rng.integers(12, size[0] - 12), rng.integers(12, size[1] - 12)
        blob = (rows - r) ** 2 + (cols - c) ** 2 < 36
        image[blob] = (230, 30, 30)
    return np.clip(image, 0, 255).astype(np.uint8)


def labeled(seed: int, anomalous: bool, size: tuple[int, int] = (HEIGHT, WIDTH)) -> LabeledImage:
    return LabeledImage(
        ref=f"s3://bucket/{'anomaly' if anomalous else 'normal'}-{seed}.png",
        load=lambda: synthetic_image(seed, anomalous, size),
        is_anomaly=anomalous,
    )
