"""Procedurally drawn surface defects with exact masks, for the generated bench sets.

Every function changes only the pixels it marks in the mask, so the mask is the defect,
pixel for pixel. The image is a float32 grey array (0..255) and the mask a bool array of
the same shape; ``rng`` decides everything, so a seeded generator gives the same defect.

Kinds (``DEFECT_KINDS``):
- ``crack``: a thin (1-3 px) branching random walk, darker than the surface.
- ``scratch``: a long, gently curved 1-2 px line, brighter or darker.
- ``spot``: a small filled ellipse (3-10 px across), darker or brighter.
- ``border``: a chip or a crack that starts on the image edge and reaches inward.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

DEFECT_KINDS = ("crack", "scratch", "spot", "border")


def _line_mask(shape: tuple[int, int], points: list[tuple[float, float]], width: int) -> np.ndarray:
    canvas = Image.new("L", (shape[1], shape[0]), 0)
    ImageDraw.Draw(canvas).line(points, fill=255, width=width, joint="curve")
    return np.asarray(canvas) > 0


def _ellipse_mask(shape: tuple[int, int], box: tuple[float, float, float, float]) -> np.ndarray:
    canvas = Image.new("L", (shape[1], shape[0]), 0)
    ImageDraw.Draw(canvas).ellipse(box, fill=255)
    return np.asarray(canvas) > 0


def _walk(
    rng: np.random.Generator, start: tuple[float, float], angle: float, steps: int, step: float, wiggle: float
) -> list[tuple[float, float]]:
    points = [start]
    for _ in range(steps):
        angle += rng.normal(0.0, wiggle)
        x, y = points[-1]
        points.append((x + step * np.cos(angle), y + step * np.sin(angle)))
    return points


def _apply(image: np.ndarray, mask: np.ndarray, region: np.ndarray, factor: float) -> None:
    """Scale the surface inside ``region`` by ``factor`` (a contrast relative to the local grey)."""
    if factor >= 1.0:  # brighter: move towards white so that bright surfaces still change
        image[region] = image[region] + (255.0 - image[region]) * (factor - 1.0)
    else:
        image[region] = image[region] * factor
    mask |= region


def _scale(shape: tuple[int, int], size_fraction: float | None) -> float:
    """Length unit: a fraction of the shorter side, or 1 px when the defect is drawn at its own size."""
    return min(shape) * size_fraction if size_fraction else 1.0


def draw_crack(
    rng: np.random.Generator, image: np.ndarray, mask: np.ndarray, size: float | None = None
) -> None:
    shape = image.shape
    unit = _scale(shape, size)
    length = rng.uniform(40, 90) if size is None else unit
    start = (rng.uniform(0.2, 0.8) * shape[1], rng.uniform(0.2, 0.8) * shape[0])
    angle = rng.uniform(0, 2 * np.pi)
    step = max(2.0, length / 12)
    points = _walk(rng, start, angle, 12, step, 0.35)
    width = int(rng.integers(1, 4))
    region = _line_mask(shape, points, width)
    if rng.random() < 0.6:  # a branch from the middle
        middle = points[len(points) // 2]
        branch = _walk(rng, middle, angle + rng.choice([-1, 1]) * rng.uniform(0.5, 1.2), 6, step, 0.35)
        region |= _line_mask(shape, branch, max(1, width - 1))
    _apply(image, mask, region, rng.uniform(0.45, 0.7))


def draw_scratch(
    rng: np.random.Generator, image: np.ndarray, mask: np.ndarray, size: float | None = None
) -> None:
    shape = image.shape
    length = rng.uniform(60, 140) if size is None else _scale(shape, size)
    start = (rng.uniform(0.15, 0.85) * shape[1], rng.uniform(0.15, 0.85) * shape[0])
    points = _walk(rng, start, rng.uniform(0, 2 * np.pi), 8, length / 8, 0.06)
    region = _line_mask(shape, points, int(rng.integers(1, 3)))
    factor = rng.uniform(1.35, 1.6) if rng.random() < 0.5 else rng.uniform(0.55, 0.75)
    _apply(image, mask, region, factor)


def draw_spot(
    rng: np.random.Generator, image: np.ndarray, mask: np.ndarray, size: float | None = None
) -> None:
    shape = image.shape
    radius = rng.uniform(1.5, 5.0) if size is None else _scale(shape, size) / 2
    rx, ry = radius * rng.uniform(0.7, 1.3, size=2)
    cx, cy = rng.uniform(0.1, 0.9) * shape[1], rng.uniform(0.1, 0.9) * shape[0]
    region = _ellipse_mask(shape, (cx - rx, cy - ry, cx + rx, cy + ry))
    factor = rng.uniform(0.35, 0.6) if rng.random() < 0.7 else rng.uniform(1.4, 1.7)
    _apply(image, mask, region, factor)


def draw_border(
    rng: np.random.Generator, image: np.ndarray, mask: np.ndarray, size: float | None = None
) -> None:
    """A chip (half ellipse cut by the edge) or a crack growing inward from the edge."""
    shape = image.shape
    side = int(rng.integers(0, 4))  # 0 top, 1 bottom, 2 left, 3 right
    along = rng.uniform(0.15, 0.85)
    x, y = {
        0: (along * shape[1], 0.0),
        1: (along * shape[1], shape[0] - 1.0),
        2: (0.0, along * shape[0]),
        3: (shape[1] - 1.0, along * shape[0]),
    }[side]
    inward = {0: np.pi / 2, 1: -np.pi / 2, 2: 0.0, 3: np.pi}[side]
    if rng.random() < 0.5:
        radius = rng.uniform(4, 10) if size is None else _scale(shape, size) / 2
        region = _ellipse_mask(shape, (x - radius, y - radius, x + radius, y + radius))
        _apply(image, mask, region, rng.uniform(0.3, 0.55))
    else:
        length = rng.uniform(30, 60) if size is None else _scale(shape, size)
        points = _walk(rng, (x, y), inward + rng.normal(0, 0.3), 8, length / 8, 0.3)
        region = _line_mask(shape, points, int(rng.integers(1, 4)))
        _apply(image, mask, region, rng.uniform(0.45, 0.7))


DRAWERS: dict[str, Callable[..., None]] = {
    "crack": draw_crack,
    "scratch": draw_scratch,
    "spot": draw_spot,
    "border": draw_border,
}


def draw_defect(
    kind: str, rng: np.random.Generator, image: np.ndarray, mask: np.ndarray, size: float | None = None
) -> None:
    """Draw one defect of ``kind`` in place; ``size`` (a fraction of the shorter side) overrides its scale."""
    DRAWERS[kind](rng, image, mask, size)
    if not mask.any():  # a walk that left the image: nothing drawn, so draw a spot instead
        draw_spot(rng, image, mask, size)


def touches_border(mask: np.ndarray) -> bool:
    return bool(mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any())
