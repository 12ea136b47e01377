"""Generated detection images: coloured rectangles on grey noise, with their true boxes."""

from __future__ import annotations

import numpy as np

from openlookout.ml.detection.types import Box, DetectionExample

COLOURS = {"red": (220, 30, 30), "blue": (30, 60, 220)}
SIZE = 128


def rectangles_image(seed: int, count: int = 2) -> tuple[np.ndarray, list[tuple[str, Box]]]:
    """A SIZE x SIZE noise image with ``count`` non-overlapping rectangles of random colour."""
    rng = np.random.default_rng(seed)
    image = rng.integers(90, 150, size=(SIZE, SIZE, 3), dtype=np.uint8)
    boxes: list[tuple[str, Box]] = []
    # One rectangle per image half keeps them apart, so every box is findable.
    for slot in range(count):
        label = list(COLOURS)[int(rng.integers(len(COLOURS)))]
        width, height = (int(v) for v in rng.integers(24, 56, size=2))
        left = int(rng.integers(0, SIZE // count - width // 2)) + slot * SIZE // count
        left = min(left, SIZE - width)
        top = int(rng.integers(0, SIZE - height))
        image[top : top + height, left : left + width] = COLOURS[label]
        boxes.append((label, Box(left / SIZE, top / SIZE, width / SIZE, height / SIZE)))
    return image, boxes


def example(seed: int) -> DetectionExample:
    image, boxes = rectangles_image(seed)
    return DetectionExample(ref=f"s3://synthetic/{seed}.png", load=lambda: image, boxes=boxes)
