"""The hard anomaly sets' builders: drawn defects with exact masks, the ELPV split, texture windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bench.datasets_hard import elpv_split, free_windows, module_split
from bench.defects import DEFECT_KINDS, draw_defect, touches_border
from PIL import Image, ImageFilter

from bench import datasets_hard


def _surface(seed: int, shape: tuple[int, int] = (224, 224)) -> np.ndarray:
    return np.random.default_rng(seed).uniform(60, 200, shape).astype(np.float32)


@pytest.mark.parametrize("kind", DEFECT_KINDS)
def test_a_drawn_defect_changes_exactly_the_pixels_of_its_mask(kind: str) -> None:
    for seed in range(20):
        background = _surface(seed)
        image, mask = background.copy(), np.zeros(background.shape, dtype=bool)
        draw_defect(kind, np.random.default_rng(seed), image, mask)
        assert mask.any()
        changed = image != background
        assert not changed[~mask].any()  # nothing outside the mask moved
        assert changed[mask].mean() > 0.99  # and the defect is visible where the mask says
        assert mask.mean() < 0.05  # small or thin


@pytest.mark.parametrize("kind", DEFECT_KINDS)
def test_defects_are_seeded(kind: str) -> None:
    drawn = []
    for _ in range(2):
        image, mask = _surface(1), np.zeros((224, 224), dtype=bool)
        draw_defect(kind, np.random.default_rng(7), image, mask)
        drawn.append((image, mask))
    np.testing.assert_array_equal(drawn[0][0], drawn[1][0])
    np.testing.assert_array_equal(drawn[0][1], drawn[1][1])


def test_border_defects_touch_the_image_edge_and_thin_ones_are_thin() -> None:
    for seed in range(30):
        mask = np.zeros((224, 224), dtype=bool)
        draw_defect("border", np.random.default_rng(seed), _surface(seed), mask)
        assert touches_border(mask)
    for seed in range(30):
        mask = np.zeros((224, 224), dtype=bool)
        draw_defect("crack", np.random.default_rng(seed), _surface(seed), mask)
        # A 5x5 erosion removes every stroke narrower than 5 px: a 1-3 px crack all but vanishes.
        eroded = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).filter(ImageFilter.MinFilter(5)))
        assert (eroded > 0).sum() <= 0.05 * mask.sum()


def test_size_scales_a_defect_to_a_fraction_of_the_side() -> None:
    mask = np.zeros((900, 900), dtype=bool)
    draw_defect("spot", np.random.default_rng(3), _surface(3, (900, 900)), mask, size=0.02)
    rows, cols = np.nonzero(mask)
    extent = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1
    assert 0.01 * 900 <= extent <= 0.03 * 900


def test_free_windows_avoid_boxes_with_margin_and_each_other() -> None:
    boxes = [(50, 50, 80, 90)]
    corners = free_windows(200, boxes, 96)
    assert corners
    taken = np.zeros((200, 200), dtype=np.int32)
    for x, y in corners:
        taken[y : y + 96, x : x + 96] += 1
        # No window within 4 px of the box.
        assert x + 96 < 50 - 4 or x > 80 + 4 or y + 96 < 50 - 4 or y > 90 + 4
    assert taken.max() == 1


def _fake_elpv(root: Path, per_group: int, images: bool = True) -> Path:
    """labels.csv in the wheel's layout; the split reads names only (``images=False``: empty files)."""
    (root / "images").mkdir(parents=True)
    lines = []
    index = 0
    for kind in ("mono", "poly"):
        for probability in ("0.0", "0.3333333333333333", "0.6666666666666666", "1.0"):
            for _ in range(per_group):
                index += 1
                name = f"images/cell{index:04d}.png"
                if images:
                    Image.fromarray(np.full((300, 300), index % 255, np.uint8)).save(root / name)
                else:
                    (root / name).touch()
                lines.append(f"{name}  {probability}  {kind}")
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    return root


def test_elpv_split_is_fixed_disjoint_and_scores_partial_cells_apart(tmp_path: Path) -> None:
    root = _fake_elpv(tmp_path / "elpv", 360, images=False)
    train, test = elpv_split(root, "mono")
    assert sum(not i.anomaly for i in train) == 200 and sum(i.anomaly for i in train) == 8
    partial = [i for i in test if i.group == "partial"]
    assert len(partial) == 150 and all(i.anomaly for i in partial)
    assert sum(not i.anomaly for i in test) == 150
    assert not {i.path for i in train} & {i.path for i in test}
    normals_only_train, normals_only_test = elpv_split(root, "mono", with_anomalies=False)
    assert not any(i.anomaly for i in normals_only_train)
    assert normals_only_test == test  # both variants are judged on the same images
    assert elpv_split(root, "mono") == (train, test)


def test_modules_are_built_with_one_small_defect(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (
        ("MODULE_TRAIN_NORMALS", 3),
        ("MODULE_TRAIN_ANOMALIES", 2),
        ("MODULE_TEST_PER_CLASS", 2),
    ):
        monkeypatch.setattr(datasets_hard, name, value)
    root = _fake_elpv(tmp_path / "elpv", 20)
    train, test = module_split(tmp_path / "cache", root)
    assert sum(i.anomaly for i in train) == 2 and sum(i.anomaly for i in test) == 2
    assert sum(not i.anomaly for i in train) == 3 and sum(not i.anomaly for i in test) == 2
    anomaly = next(i for i in test if i.anomaly)
    assert anomaly.mask is not None
    with Image.open(anomaly.path) as image:
        assert image.size == (900, 900)
    mask = np.asarray(Image.open(anomaly.mask)) > 0
    assert 0 < mask.mean() < 0.002  # 1-3 % of the side
    assert module_split(tmp_path / "cache", root) == (train, test)  # cached
