"""The real Lookout for Vision cookie dataset: a stratified 80/20 split of its train/ folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from openlookout.ml.anomaly import AnomalyModel, load_anomaly_model, train_anomaly_model
from openlookout.ml.api import LabeledImage, TrainResult
from openlookout.ml.evaluate import classification_metrics

pytestmark = pytest.mark.slow


def _image(path: Path, anomalous: bool) -> LabeledImage:
    return LabeledImage(
        ref=path.name,
        load=lambda: np.asarray(Image.open(path).convert("RGB")),
        is_anomaly=anomalous,
    )


def stratified_split(
    items: list[LabeledImage], test_fraction: float = 0.2, seed: int = 0
) -> tuple[list[LabeledImage], list[LabeledImage]]:
    """Per class: seeded permutation, the first round(20 %) go to test; input order is kept."""
    rng = np.random.default_rng(seed)
    train: list[LabeledImage] = []
    test: list[LabeledImage] = []
    for anomalous in (False, True):
        group = [item for item in items if item.is_anomaly == anomalous]
        order = rng.permutation(len(group))
        num_test = round(test_fraction * len(group))
        test += [group[i] for i in sorted(order[:num_test])]
        train += [group[i] for i in sorted(order[num_test:])]
    return train, test


@pytest.fixture(scope="module")
def cookies(shared_datasets: Path) -> Path:
    root = shared_datasets / "lfv-cookies"
    if not (root / "train" / "normal").is_dir():
        pytest.skip(f"lfv-cookies dataset not found at {root}")
    return root


@pytest.fixture(scope="module")
def cookie_model(cookies: Path, tmp_path_factory) -> tuple[TrainResult, Path, list[LabeledImage]]:
    items = [_image(p, False) for p in sorted((cookies / "train" / "normal").glob("*.jpg"))]
    items += [_image(p, True) for p in sorted((cookies / "train" / "anomaly").glob("*.jpg"))]
    train, test = stratified_split(items)
    model_dir = tmp_path_factory.mktemp("cookie-model")
    return train_anomaly_model(train, test, model_dir), model_dir, test


def test_cookie_split_metrics(cookie_model) -> None:
    result, _, test = cookie_model
    assert (result.num_train, result.num_test) == (51, 12)
    assert [p.ref for p in result.predictions] == [item.ref for item in test]
    print("cookie 20 % split:", result.metrics, "threshold", result.threshold, result.extra)
    assert result.metrics["F1Score"] >= 0.9
    assert result.metrics["ROCAUC"] >= 0.95


def test_cookie_test_folder(cookie_model, cookies: Path) -> None:
    """The dataset's own test/ images (labels from file names); reported, loosely bounded."""
    _, model_dir, _ = cookie_model
    model: AnomalyModel = load_anomaly_model(model_dir)
    images = [
        _image(p, p.name.startswith("test-anomaly")) for p in sorted((cookies / "test").glob("*/*.jpg"))
    ]
    predictions = model.predict_many([i.load for i in images], [i.ref for i in images])
    metrics = classification_metrics(
        [i.is_anomaly for i in images], [p.score for p in predictions], [p.is_anomalous for p in predictions]
    )
    print("cookie test/ folder:", metrics)
    assert len(images) == 22
    assert metrics["ROCAUC"] >= 0.9
    assert metrics["F1Score"] >= 0.85
