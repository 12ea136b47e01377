"""A generated detection set of small and thin defects on real steel textures (never committed).

    .venv/bin/python -m bench.thin_defects OUT_DIR [--seed 0] [--images 500]

Backgrounds are NEU-DET images (200x200 grey steel, ``/work/shared/datasets/neu-det``),
each used once, mirrored at random; their own defects stay as unlabelled clutter. On each
1-4 defects are drawn, never touching each other:

- ``scratch``: a straight line 1-2 px wide and 25-110 px long at any angle;
- ``crack``: a random walk of 1-px steps, 1-2 px wide, 20-70 steps, turning gently;
- ``spot``: a filled ellipse 2-6 px across.

A defect darkens or brightens the texture by 35-80 grey levels (its mask is binary, no
anti-aliasing), so its box is *exact*: the bounding box of the pixels it changed
(``xmax``/``ymax`` one past the last pixel, as the VOC boxes of NEU-DET are read). The same
seed writes the same images and boxes. Image ``thin_<n>.png`` is TEST iff ``n % 5 == 0``,
the rule of the NEU-DET bench. Writes the PNGs and ``boxes.json`` (``[{name, boxes:
[[label, xmin, ymin, xmax, ymax], ...]}]``).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

LABELS = ("crack", "scratch", "spot")
SIZE = 200
GAP = 3  # px between the boxes of two defects
BOXES_FILE = "boxes.json"


@dataclass(frozen=True)
class Defect:
    label: str
    mask: np.ndarray  # (SIZE, SIZE) bool


def _thicken(mask: np.ndarray, width: int) -> np.ndarray:
    if width < 2:
        return mask
    grown = mask.copy()
    grown[1:, :] |= mask[:-1, :]
    grown[:, 1:] |= mask[:, :-1]
    return grown


def _stamp(points: np.ndarray) -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    xs, ys = np.round(points[:, 0]).astype(int), np.round(points[:, 1]).astype(int)
    keep = (xs >= 0) & (xs < SIZE) & (ys >= 0) & (ys < SIZE)
    mask[ys[keep], xs[keep]] = True
    return mask


def scratch(rng: np.random.Generator) -> np.ndarray:
    length, angle = rng.uniform(25, 110), rng.uniform(0, math.pi)
    start = rng.uniform(10, SIZE - 10, 2)
    steps = np.linspace(0, length, int(length * 2) + 1)
    points = start + steps[:, None] * np.array([math.cos(angle), math.sin(angle)])
    return _thicken(_stamp(points), int(rng.integers(1, 3)))


def crack(rng: np.random.Generator) -> np.ndarray:
    point, heading = rng.uniform(20, SIZE - 20, 2), rng.uniform(0, 2 * math.pi)
    points = [point]
    for _ in range(int(rng.integers(20, 71))):
        heading += rng.normal(0, 0.35)
        point = point + np.array([math.cos(heading), math.sin(heading)])
        points.append(point)
    return _thicken(_stamp(np.array(points)), int(rng.integers(1, 3)))


def spot(rng: np.random.Generator) -> np.ndarray:
    cx, cy = rng.uniform(8, SIZE - 8, 2)
    rx, ry = rng.uniform(1.0, 3.0, 2)
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    mask = ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2 <= 1.0
    if not mask.any():
        mask[int(cy), int(cx)] = True
    return mask


DRAW = {"crack": crack, "scratch": scratch, "spot": spot}


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(xmin, ymin, xmax, ymax) of a mask's pixels, max one past the last pixel."""
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _apart(box: tuple[int, int, int, int], others: list[tuple[int, int, int, int]]) -> bool:
    return all(
        box[2] + GAP <= o[0] or o[2] + GAP <= box[0] or box[3] + GAP <= o[1] or o[3] + GAP <= box[1]
        for o in others
    )


def render(background: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, list[tuple]]:
    """One image (uint8 grey, SIZE x SIZE) with its defects, and [(label, xmin, ymin, xmax, ymax)]."""
    image = background.astype(np.int16)
    boxes: list[tuple[int, int, int, int]] = []
    found: list[tuple] = []
    for _ in range(int(rng.integers(1, 5))):
        label = LABELS[int(rng.integers(len(LABELS)))]
        for _attempt in range(20):
            mask = DRAW[label](rng)
            if mask.any() and _apart(mask_box(mask), boxes):
                break
        else:
            continue
        contrast = int(rng.integers(35, 81)) * (1 if rng.random() < 0.25 else -1)
        image[mask] = np.clip(image[mask] + contrast, 0, 255)
        # A pixel the clip left unchanged would make the box looser than the drawing: set it.
        unchanged = mask & (image == background)
        image[unchanged] = 128 + np.sign(contrast) * 100
        boxes.append(mask_box(mask))
        found.append((label, *boxes[-1]))
    return image.astype(np.uint8), found


def background_paths(neu_root: Path) -> list[Path]:
    return sorted((neu_root / "images").glob("*/*.jpg"))


def build(out_dir: Path, neu_root: Path, seed: int = 0, images: int = 500) -> list[dict]:
    """Write ``images`` PNGs and ``boxes.json`` into ``out_dir``; returns the records."""
    rng = np.random.default_rng(seed)
    paths = background_paths(neu_root)
    if len(paths) < images:
        raise ValueError(f"only {len(paths)} background images for {images}")
    chosen = rng.choice(len(paths), size=images, replace=False)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for n, index in enumerate(chosen):
        background = np.asarray(Image.open(paths[int(index)]).convert("L").resize((SIZE, SIZE)))
        if rng.random() < 0.5:
            background = background[:, ::-1]
        if rng.random() < 0.5:
            background = background[::-1, :]
        image, boxes = render(np.ascontiguousarray(background), rng)
        name = f"thin_{n}"
        Image.fromarray(image).convert("RGB").save(out_dir / f"{name}.png")
        records.append({"name": name, "boxes": [list(b) for b in boxes]})
    (out_dir / BOXES_FILE).write_text(json.dumps(records))
    return records


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument(
        "--neu-det", type=Path, default=Path(__file__).resolve().parents[2] / "shared/datasets/neu-det"
    )
    args = parser.parse_args()
    records = build(args.out_dir, args.neu_det, args.seed, args.images)
    print(f"{len(records)} images, {sum(len(r['boxes']) for r in records)} defects in {args.out_dir}")


if __name__ == "__main__":
    main()
