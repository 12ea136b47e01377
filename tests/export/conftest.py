"""A cookie classification model trained once per session (real data, about 25 s on 2 cores)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from openlookout.ml.api import LabeledImage
from support.shared_models import shared_model_dir

COOKIES_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "lfv-cookies"


def _labeled(folder: Path) -> list[LabeledImage]:
    return [
        LabeledImage(
            ref=str(path),
            load=lambda path=path: np.asarray(Image.open(path).convert("RGB")),
            is_anomaly=path.parent.name == "anomaly",
        )
        for path in sorted(folder.glob("*/*.jpg"))
    ]


@pytest.fixture(scope="session")
def cookie_test_images() -> list[Path]:
    images = sorted((COOKIES_DIR / "test").glob("*/*.jpg"))
    if len(images) != 22:
        pytest.skip(f"cookie dataset not found at {COOKIES_DIR} (shared/ must sit beside the repo)")
    return images


@pytest.fixture(scope="session")
def cookie_model_dir(tmp_path_factory: pytest.TempPathFactory, cookie_test_images: list[Path]) -> Path:
    """A trained model folder (as the training job uploads it, minus labels.json: classification)."""
    from openlookout.ml.anomaly import train_anomaly_model

    train, test = _labeled(COOKIES_DIR / "train"), _labeled(COOKIES_DIR / "test")
    return shared_model_dir(
        tmp_path_factory,
        "export-cookies",
        lambda out: train_anomaly_model(train, test, out, device="cpu"),
        inputs=[Path(image.ref) for image in train + test],
        test_package=Path(__file__).parent,
    )


def load_rgb(path: Path) -> np.ndarray:
    """As DetectAnomalies decodes request bodies."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))
