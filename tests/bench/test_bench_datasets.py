"""Dataset helpers: the split rule, the synthetic generator and mask loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from bench.datasets import Item, load_binary_mask, split_items, synthetic_items
from PIL import Image


def test_split_is_stratified_deterministic_and_disjoint() -> None:
    items = [Item(f"n{i:02d}.jpg", False) for i in range(31)] + [
        Item(f"a{i:02d}.jpg", True) for i in range(12)
    ]
    train, test = split_items(items)
    assert split_items(list(reversed(items))) == (train, test)  # input order does not matter
    assert sum(not item.anomaly for item in test) == 6  # round(31 * 0.2)
    assert sum(item.anomaly for item in test) == 2  # round(12 * 0.2)
    assert not {item.path for item in train} & {item.path for item in test}
    assert len(train) + len(test) == len(items)


def test_synthetic_items_are_deterministic_with_masks_on_anomalies(tmp_path: Path) -> None:
    first = synthetic_items(tmp_path / "a", 10)
    second = synthetic_items(tmp_path / "b", 10)
    assert [item.anomaly for item in first] == [False] * 8 + [True] * 2
    for one, two in zip(first, second, strict=True):
        assert Path(one.path).read_bytes() == Path(two.path).read_bytes()
        assert (one.mask is not None) == one.anomaly
    mask = load_binary_mask(first[-1].mask, (256, 256))
    assert 0 < mask.sum() < mask.size * 0.1  # a small painted defect
    # A second call reads the cached index instead of generating again.
    assert synthetic_items(tmp_path / "a", 10) == first


def test_load_binary_mask_treats_any_non_black_colour_as_defect(tmp_path: Path) -> None:
    rgb = np.zeros((4, 6, 3), dtype=np.uint8)
    rgb[1, 2] = (0x23, 0xA4, 0x36)  # the cookies' crack colour
    rgb[3, 5] = (3, 0, 0)  # an anti-aliased edge pixel
    Image.fromarray(rgb).save(tmp_path / "mask.png")
    mask = load_binary_mask(str(tmp_path / "mask.png"), (4, 6))
    assert mask.sum() == 2 and mask[1, 2] and mask[3, 5]
    assert load_binary_mask(None, (2, 3)).shape == (2, 3)
