"""The bench's datasets: the L4V cookies and deterministic synthetic defects, as specs.

A spec is a JSON-able dict that a worker (in either venv) reads: the working size used
for pixel metrics, and train/test items with an image path, a label and an optional mask
path. Masks are single-channel or palette PNGs where any non-zero pixel is a defect.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

# The same split rule as the train_model job (docs/training.md): per label, sorted,
# shuffled with a fixed seed, the first 20 % held out for testing.
SPLIT_TEST_FRACTION = 0.2
SPLIT_SEED = "20201120"
SYNTHETIC_SIZE = 256
SYNTHETIC_ANOMALY_FRACTION = 0.2
SYNTHETIC_VERSION = 2  # bump when the generator changes so stale caches are rebuilt


@dataclass(frozen=True)
class Item:
    path: str
    anomaly: bool
    mask: str | None = None
    # A subset scored apart (e.g. ELPV's uncertain "partial" cells, a defect kind); None: none.
    group: str | None = None


def split_items(items: list[Item]) -> tuple[list[Item], list[Item]]:
    """Stratified, deterministic (train, test) split."""
    train: list[Item] = []
    test: list[Item] = []
    for anomaly, label in ((False, "normal"), (True, "anomaly")):
        group = sorted((item for item in items if item.anomaly == anomaly), key=lambda item: item.path)
        random.Random(f"{SPLIT_SEED}-{label}").shuffle(group)
        held_out = round(len(group) * SPLIT_TEST_FRACTION)
        if len(group) >= 2:
            held_out = max(held_out, 1)
        test += group[:held_out]
        train += group[held_out:]
    return train, test


def make_spec(name: str, train: list[Item], test: list[Item], eval_size: tuple[int, int]) -> dict:
    return {
        "name": name,
        "eval_size": list(eval_size),
        "train": [asdict(item) for item in train],
        "test": [asdict(item) for item in test],
    }


def cookie_items(root: Path) -> list[Item]:
    """The 63 labelled training cookies, each anomaly with its crack mask."""
    items = [Item(str(path), False) for path in sorted((root / "train" / "normal").glob("*.jpg"))]
    for path in sorted((root / "train" / "anomaly").glob("*.jpg")):
        mask = root / "train" / "masks" / (path.stem + ".png")
        items.append(Item(str(path), True, str(mask) if mask.is_file() else None))
    return items


def cookie_test_dir_items(root: Path) -> list[Item]:
    """The upstream ``test/`` folder: 22 images, labels from the folder, no masks."""
    normals = [Item(str(path), False) for path in sorted((root / "test" / "normal").glob("*.jpg"))]
    return normals + [Item(str(path), True) for path in sorted((root / "test" / "anomaly").glob("*.jpg"))]


def _texture(rng: np.random.Generator, size: int) -> tuple[Image.Image, np.ndarray]:
    """A woven-fabric-like texture: base colour, stripes, blurred blotches and grain."""
    base = rng.uniform(110, 150, size=3) * np.array([1.0, 0.9, 0.75])
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    period = rng.uniform(7.0, 9.0)
    phase = rng.uniform(0, 2 * np.pi, size=2)
    weave = 10 * np.sin(2 * np.pi * xx / period + phase[0]) * np.sin(2 * np.pi * yy / period + phase[1])
    blotch = Image.fromarray(rng.integers(0, 255, (size // 8, size // 8), dtype=np.uint8)).resize(
        (size, size), Image.Resampling.BICUBIC
    )
    blotch_arr = (np.asarray(blotch.filter(ImageFilter.GaussianBlur(6)), dtype=np.float32) - 128) * 0.25
    grain = rng.normal(0, 4, (size, size)).astype(np.float32)
    shade = (weave + blotch_arr + grain)[:, :, None]
    return Image.fromarray(np.clip(base[None, None, :] + shade, 0, 255).astype(np.uint8)), base


def _paint_defect(rng: np.random.Generator, image: Image.Image, mask: Image.Image, base: np.ndarray) -> None:
    """One scratch, stain or hole, painted into the image and (as 255) into the mask.

    Colours are relative to the image's base colour, so a defect is a local change that a
    model must tell from the normal variation in colour between images.
    """
    size = image.width
    kind = int(rng.integers(0, 3))
    draw, draw_mask = ImageDraw.Draw(image), ImageDraw.Draw(mask)
    cx, cy = rng.uniform(0.2 * size, 0.8 * size, size=2)
    if kind == 0:  # scratch: a thin dark polyline
        points = [(float(cx), float(cy))]
        for _ in range(int(rng.integers(2, 5))):
            angle, step = rng.uniform(0, 2 * np.pi), rng.uniform(10, 30)
            points.append((points[-1][0] + step * np.cos(angle), points[-1][1] + step * np.sin(angle)))
        width = int(rng.integers(2, 5))
        draw.line(points, fill=_colour(base * rng.uniform(0.45, 0.7)), width=width)
        draw_mask.line(points, fill=255, width=width)
    else:  # stain (kind 1, colour shift) or hole (kind 2, dark)
        rx, ry = rng.uniform(4, 14, size=2)
        box = (float(cx - rx), float(cy - ry), float(cx + rx), float(cy + ry))
        colour = (
            rng.uniform(150, 230, size=3) * np.array([0.6, 0.8, 1.0]) if kind == 1 else rng.uniform(0, 40, 3)
        )
        draw.ellipse(box, fill=tuple(int(v) for v in colour))
        draw_mask.ellipse(box, fill=255)


def _colour(values: np.ndarray) -> tuple[int, int, int]:
    red, green, blue = (int(v) for v in np.clip(values, 0, 255))
    return red, green, blue


def _synthetic_image(index: int, anomaly: bool) -> tuple[Image.Image, Image.Image]:
    rng = np.random.default_rng([SYNTHETIC_VERSION, index, int(anomaly)])
    image, base = _texture(rng, SYNTHETIC_SIZE)
    mask = Image.new("L", image.size, 0)
    if anomaly:
        for _ in range(int(rng.integers(1, 3))):
            _paint_defect(rng, image, mask, base)
        image = image.filter(ImageFilter.GaussianBlur(0.6))  # soften painted edges like a camera
    return image, mask


def synthetic_items(cache_dir: Path, count: int) -> list[Item]:
    """``count`` synthetic images (20 % with defects and masks), generated once into the cache."""
    folder = cache_dir / f"synthetic-v{SYNTHETIC_VERSION}-{count}"
    index_file = folder / "items.json"
    if index_file.is_file():
        return [Item(**entry) for entry in json.loads(index_file.read_text())]
    folder.mkdir(parents=True, exist_ok=True)
    anomalies = round(count * SYNTHETIC_ANOMALY_FRACTION)
    items = []
    for index in range(count):
        anomaly = index >= count - anomalies
        image, mask = _synthetic_image(index, anomaly)
        image_path = folder / f"{'anomaly' if anomaly else 'normal'}-{index:05d}.jpg"
        image.save(image_path, quality=95)
        mask_path = None
        if anomaly:
            mask_path = folder / f"mask-{index:05d}.png"
            mask.save(mask_path)
        items.append(Item(str(image_path), anomaly, str(mask_path) if mask_path else None))
    index_file.write_text(json.dumps([asdict(item) for item in items]))
    return items


def load_binary_mask(path: str | None, size_hw: tuple[int, int]) -> np.ndarray:
    """(H, W) bool defect mask at ``size_hw`` (nearest); all False without a mask file."""
    if path is None:
        return np.zeros(size_hw, dtype=bool)
    with Image.open(path) as mask:
        # Palette and RGBA masks: any non-black colour is a defect (anti-aliased edges too).
        rgb = mask.convert("RGB").resize((size_hw[1], size_hw[0]), Image.Resampling.NEAREST)
    return np.asarray(rgb).any(axis=2)
