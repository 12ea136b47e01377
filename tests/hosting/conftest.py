"""A small real model, trained once per session on synthetic striped images."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from openlookout.hosting.base import EncodedImage
from openlookout.ml.anomaly import train_anomaly_model
from openlookout.ml.api import LabeledImage
from support.shared_models import shared_model_dir

HEIGHT, WIDTH = 64, 96


def striped_image(seed: int, anomalous: bool) -> np.ndarray:
    """Sine stripes with noise; anomalies carry a red disc."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    stripes = 0.5 + 0.5 * np.sin(cols / 4.0 + rng.uniform(0, 0.5))
    image = 90 + 60 * stripes[..., None] * np.array([1.0, 0.9, 0.8])
    image = image + rng.normal(scale=4.0, size=(HEIGHT, WIDTH, 3))
    if anomalous:
        r, c = rng.integers(12, HEIGHT - 12), rng.integers(12, WIDTH - 12)
        image[(rows - r) ** 2 + (cols - c) ** 2 < 36] = (230, 30, 30)
    return np.clip(image, 0, 255).astype(np.uint8)


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def encoded_striped(seed: int, anomalous: bool) -> EncodedImage:
    """``striped_image`` as the PNG request payload a host takes (lossless: same pixels)."""
    return EncodedImage(png_bytes(striped_image(seed, anomalous)), (HEIGHT, WIDTH))


def _labeled(seed: int, anomalous: bool) -> LabeledImage:
    return LabeledImage(ref=f"img-{seed}", load=lambda: striped_image(seed, anomalous), is_anomaly=anomalous)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    train = [_labeled(i, False) for i in range(10)] + [_labeled(100 + i, True) for i in range(4)]
    test = [_labeled(200 + i, False) for i in range(3)] + [_labeled(300 + i, True) for i in range(3)]
    return shared_model_dir(
        tmp_path_factory,
        "hosting-striped",
        lambda out: train_anomaly_model(train, test, out, device="cpu"),
        test_package=Path(__file__).parent,
    )
