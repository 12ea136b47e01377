"""The working resolution follows the data: large images with fine defects train at their own size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openlookout.ml.anomaly import train_anomaly_model
from openlookout.ml.api import LabeledImage
from openlookout.ml.imaging import detail_size, working_size

SIZE = 512


def _fine_defect_image(seed: int, anomalous: bool) -> np.ndarray:
    """Smooth grey noise; an anomaly is a 12x12 one-pixel checkerboard at the mean grey.

    Downscaled to 224 px (antialiased) the checkerboard averages to the surrounding grey and
    vanishes; at 512 px the backbone sees it plainly.
    """
    rng = np.random.default_rng(seed)
    coarse = rng.normal(128.0, 12.0, (SIZE // 32, SIZE // 32))
    grey = np.kron(coarse, np.ones((32, 32)))
    grey += rng.normal(0.0, 2.0, grey.shape)
    if anomalous:
        r, c = rng.integers(40, SIZE - 52, size=2)
        local = grey[r : r + 12, c : c + 12].mean()
        checker = (np.indices((12, 12)).sum(axis=0) % 2) * 2 - 1
        grey[r : r + 12, c : c + 12] = local + 90 * checker
    return np.repeat(np.clip(grey, 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def _item(seed: int, anomalous: bool) -> LabeledImage:
    return LabeledImage(
        ref=f"s3://bucket/{seed}.png", load=lambda: _fine_defect_image(seed, anomalous), is_anomaly=anomalous
    )


def test_detail_size_only_for_images_much_larger_than_the_working_size() -> None:
    assert detail_size(300, 300) is None  # 224 already keeps most of it
    assert detail_size(900, 900) == (896, 896)
    assert detail_size(4096, 4096) == (1024, 1024)  # capped at 1 Mpx
    height, width = detail_size(2000, 500) or (0, 0)
    assert height * width <= 1024 * 1024 and height % 32 == width % 32 == 0
    assert working_size(768, 576) == (288, 224)  # the default rule is unchanged


@pytest.mark.slow  # trains at two working sizes
def test_fine_defects_make_training_keep_the_images_own_resolution(tmp_path: Path) -> None:
    train = [_item(i, False) for i in range(12)] + [_item(100 + i, True) for i in range(6)]
    test = [_item(200 + i, False) for i in range(4)] + [_item(300 + i, True) for i in range(4)]
    result = train_anomaly_model(train, test, tmp_path, device="cpu")
    tried = result.extra["held_out_auroc_by_working_size"]
    assert set(tried) == {"224x224", "512x512"}
    assert tried["224x224"] < 0.9 and tried["512x512"] >= tried["224x224"] + 0.02
    assert result.extra["working_size"] == [SIZE, SIZE]
    assert result.metrics["ROCAUC"] == 1.0
