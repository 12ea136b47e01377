"""The image-level label model on generated textures: three labels told apart by pattern and
colour, with per-label thresholds chosen on the test set (spec B.5).

``texture`` and ``texture_png`` are shared with the service tests of this folder.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from openlookout.ml.api import TrainingDataError
from openlookout.ml.labels import LabelExample
from openlookout.ml.labels.model import load_label_model, train_label_model
from openlookout.ml.labels.thresholds import best_f1_threshold

TEXTURES = ("stripes", "checks", "dots")
SIZE = 64


def texture(kind: str, seed: int, size: int = SIZE) -> np.ndarray:
    """A (size, size, 3) uint8 image of one texture kind with random phase, period and tint."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    period = int(rng.integers(6, 11))
    phase = int(rng.integers(0, period))
    if kind == "stripes":
        mask = ((yy + phase) // (period // 2)) % 2 == 0
        base = np.array([200, 60, 50])
    elif kind == "checks":
        mask = (((yy + phase) // period) + ((xx + phase) // period)) % 2 == 0
        base = np.array([60, 180, 70])
    elif kind == "dots":
        cy, cx = (yy + phase) % period - period / 2, (xx + phase) % period - period / 2
        mask = cy**2 + cx**2 < (period / 3) ** 2
        base = np.array([60, 80, 200])
    else:
        raise ValueError(kind)
    tint = base + rng.integers(-25, 26, size=3)
    image = np.where(mask[..., None], tint, 255 - tint // 3).astype(np.float64)
    image += rng.normal(0, 8, size=image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def texture_png(kind: str, seed: int, size: int = SIZE) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(texture(kind, seed, size)).save(buffer, format="PNG")
    return buffer.getvalue()


def examples(per_label: int, first_seed: int) -> list[LabelExample]:
    return [
        LabelExample(f"{kind}-{seed}", lambda kind=kind, seed=seed: texture(kind, seed), (kind,))
        for kind in TEXTURES
        for seed in range(first_seed, first_seed + per_label)
    ]


def test_three_textures_train_evaluate_and_reload(tmp_path: Path) -> None:
    result = train_label_model(examples(8, 0), examples(4, 100), tmp_path / "model", device="cpu")
    assert result.labels == sorted(TEXTURES)
    assert not result.multi_label
    assert result.num_train == 24 and result.num_test == 12
    assert result.evaluation.accuracy is not None and result.evaluation.accuracy >= 0.9
    assert result.evaluation.f1 >= 0.9
    assert all(0.0 < t < 1.0 for t in result.thresholds)
    cells = {(c["GroundTruthLabel"], c["PredictedLabel"]): c["Value"] for c in result.evaluation.confusion}
    assert sum(cells.values()) == 12
    assert sum(v for (a, p), v in cells.items() if a == p) >= 11

    model = load_label_model(tmp_path / "model", device="cpu")
    unseen = [texture(kind, 500 + i) for i, kind in enumerate(TEXTURES)]
    predictions = model.predict_many([lambda image=image: image for image in unseen], list(TEXTURES))
    for kind, prediction in zip(TEXTURES, predictions, strict=True):
        assert max(prediction.scores, key=prediction.scores.__getitem__) == kind
        assert abs(sum(prediction.scores.values()) - 1.0) < 1e-4  # softmax head
    assert model.thresholds == dict(zip(result.labels, result.thresholds, strict=True))


def test_several_labels_per_image_train_independent_outputs(tmp_path: Path) -> None:
    # "tinted" marks the images whose texture is overlaid with a strong colour cast.
    def tinted(kind: str, seed: int) -> np.ndarray:
        image = texture(kind, seed).astype(np.int16)
        image[..., 2] = np.clip(image[..., 2] + 120, 0, 255)
        return image.astype(np.uint8)

    def build(first: int, count: int) -> list[LabelExample]:
        out = []
        for kind in ("stripes", "checks"):
            for seed in range(first, first + count):
                if seed % 2:
                    out.append(
                        LabelExample(f"{kind}-{seed}", lambda k=kind, s=seed: tinted(k, s), (kind, "tinted"))
                    )
                else:
                    out.append(LabelExample(f"{kind}-{seed}", lambda k=kind, s=seed: texture(k, s), (kind,)))
        return out

    result = train_label_model(build(0, 10), build(100, 6), tmp_path / "model", device="cpu")
    assert result.multi_label
    assert result.labels == ["checks", "stripes", "tinted"]
    assert result.evaluation.accuracy is None and result.evaluation.confusion == []
    assert result.evaluation.f1 >= 0.8


def test_one_label_cannot_train(tmp_path: Path) -> None:
    only = [e for e in examples(3, 0) if e.labels == ("dots",)]
    with pytest.raises(TrainingDataError, match="at least 2 labels"):
        train_label_model(only, only, tmp_path / "model", device="cpu")


def test_best_f1_threshold_separates_and_ties() -> None:
    scores = np.array([0.9, 0.8, 0.4, 0.3, 0.1])
    truth = np.array([1, 1, 0, 0, 0])
    assert best_f1_threshold(scores, truth) == pytest.approx(0.6)
    # Equal scores get the same decision: the cut never falls between them.
    tied = best_f1_threshold(np.array([0.7, 0.7, 0.2]), np.array([1, 0, 0]))
    assert tied == pytest.approx(0.45)
    assert best_f1_threshold(np.array([0.3, 0.2]), np.array([0, 0])) == 0.5
