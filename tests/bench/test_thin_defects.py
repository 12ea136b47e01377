"""The generated small/thin-defect set: seeded, and every box exactly bounds what was drawn."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from bench.thin_defects import BOXES_FILE, LABELS, SIZE, build, mask_box, render
from PIL import Image


def _texture(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(60, 200, size=(SIZE, SIZE), dtype=np.uint8)


def test_every_box_is_the_exact_bound_of_its_drawn_pixels() -> None:
    for seed in range(30):
        background = _texture(seed)
        image, boxes = render(background, np.random.default_rng(seed))
        changed = image != background
        assert 1 <= len(boxes) <= 4
        covered = np.zeros_like(changed)
        for label, x1, y1, x2, y2 in boxes:
            assert label in LABELS
            inside = np.zeros_like(changed)
            inside[y1:y2, x1:x2] = changed[y1:y2, x1:x2]
            assert mask_box(inside) == (x1, y1, x2, y2)  # touches all four sides
            covered[y1:y2, x1:x2] = True
        assert not (changed & ~covered).any()  # nothing drawn outside the boxes


def test_defects_are_small_or_thin() -> None:
    for seed in range(30):
        _, boxes = render(_texture(seed), np.random.default_rng(seed))
        for label, x1, y1, x2, y2 in boxes:
            if label == "spot":
                assert max(x2 - x1, y2 - y1) <= 7


def test_build_is_seeded(tmp_path: Path) -> None:
    neu = tmp_path / "neu"
    for n in range(6):
        folder = neu / "images" / ("crazing" if n % 2 else "patches")
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(_texture(100 + n)).convert("RGB").save(folder / f"x_{n}.jpg")
    first = build(tmp_path / "a", neu, seed=3, images=5)
    second = build(tmp_path / "b", neu, seed=3, images=5)
    other = build(tmp_path / "c", neu, seed=4, images=5)
    assert first == second and first != other
    assert json.loads((tmp_path / "a" / BOXES_FILE).read_text()) == first
    for record in first:
        a = (tmp_path / "a" / f"{record['name']}.png").read_bytes()
        assert a == (tmp_path / "b" / f"{record['name']}.png").read_bytes()
        assert Image.open(tmp_path / "a" / f"{record['name']}.png").size == (SIZE, SIZE)
