"""Synthetic segmentation images: grey noise, anomalies are bright squares, one colour per class."""

from __future__ import annotations

import numpy as np

from openlookout.ml.api import LabeledImage

HEIGHT, WIDTH = 64, 96
SQUARE = 14
CLASS_NAMES = ["dent", "scratch"]  # class k paints CLASS_COLOURS[k - 1]
CLASS_COLOURS = [(40, 90, 235), (240, 220, 40)]


def segmentation_sample(seed: int, classes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(image, class mask) with one square per entry of ``classes`` (1-based), at seeded places."""
    rng = np.random.default_rng(seed)
    image = rng.normal(120.0, 12.0, size=(HEIGHT, WIDTH, 3))
    mask = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    for position, k in enumerate(classes):
        # Squares of one image sit in different halves so they never overlap.
        left = position * WIDTH // 2
        r = int(rng.integers(8, HEIGHT - SQUARE - 8))
        c = int(rng.integers(left + 8, left + WIDTH // 2 - SQUARE - 8))
        image[r : r + SQUARE, c : c + SQUARE] = CLASS_COLOURS[k - 1]
        mask[r : r + SQUARE, c : c + SQUARE] = k
    return np.clip(image, 0, 255).astype(np.uint8), mask


def labeled_segmentation(seed: int, classes: tuple[int, ...] = (), with_mask: bool = True) -> LabeledImage:
    name = "-".join(CLASS_NAMES[k - 1] for k in classes) or "normal"
    return LabeledImage(
        ref=f"s3://bucket/{name}-{seed}.png",
        load=lambda: segmentation_sample(seed, classes)[0],
        is_anomaly=bool(classes),
        load_mask=(lambda: segmentation_sample(seed, classes)[1]) if with_mask else None,
    )


def segmentation_split() -> tuple[list[LabeledImage], list[LabeledImage]]:
    train = [labeled_segmentation(i) for i in range(10)]
    train += [labeled_segmentation(100 + i, (1,)) for i in range(6)]
    train += [labeled_segmentation(200 + i, (2,)) for i in range(6)]
    test = [labeled_segmentation(300 + i) for i in range(4)]
    test += [labeled_segmentation(400 + i, (1,)) for i in range(3)]
    test += [labeled_segmentation(500 + i, (2,)) for i in range(3)]
    test += [labeled_segmentation(600, (1, 2))]
    return train, test
