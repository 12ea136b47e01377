"""DetectAnomalyResult shaping and DetectAnomalies body checks (spec A.7), in service/lookoutvision/."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from openlookout.errors import InvalidInputError
from openlookout.hosting.base import EncodedImage, decode_image
from openlookout.ml.api import ImagePrediction
from openlookout.service.lookoutvision.request_images import decode_request_image, read_request_image
from openlookout.service.lookoutvision.results import AnomalyLabel, detect_anomaly_result, read_labels


def encoded(array: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt)
    return buffer.getvalue()


def test_classification_result_has_no_mask() -> None:
    prediction = ImagePrediction(ref="", is_anomalous=True, confidence=0.75, score=3.0)
    assert detect_anomaly_result(prediction, []) == {
        "Source": {"Type": "direct"},
        "IsAnomalous": True,
        "Confidence": 0.75,
    }


def test_segmentation_result_paints_classes_and_lists_background_first(tmp_path: Path) -> None:
    (tmp_path / "labels.json").write_text(
        json.dumps(
            {"classes": [{"name": "cracked", "color": "#23a436"}, {"name": "burnt", "color": "#FF0000"}]}
        )
    )
    labels = read_labels(tmp_path)
    assert labels == [AnomalyLabel("cracked", "#23A436"), AnomalyLabel("burnt", "#FF0000")]
    mask = np.zeros((4, 5), dtype=np.uint8)
    mask[0, :2] = 2  # two "burnt" pixels of 20; no "cracked"
    prediction = ImagePrediction(ref="", is_anomalous=True, confidence=0.9, score=1.0, class_mask=mask)
    result = detect_anomaly_result(prediction, labels)
    assert result["Anomalies"] == [
        {"Name": "background", "PixelAnomaly": {"TotalPercentageArea": 0.9, "Color": "#FFFFFF"}},
        {"Name": "burnt", "PixelAnomaly": {"TotalPercentageArea": 0.1, "Color": "#FF0000"}},
    ]
    painted = np.asarray(Image.open(io.BytesIO(result["AnomalyMask"])).convert("RGB"))
    assert painted.shape == (4, 5, 3)
    assert painted[0, 0].tolist() == [255, 0, 0] and painted[3, 4].tolist() == [0, 0, 0]


def test_read_labels_of_a_classification_model_is_empty(tmp_path: Path) -> None:
    assert read_labels(tmp_path) == []


def test_decode_accepts_matching_png_and_jpeg() -> None:
    image = np.full((6, 8, 3), 120, dtype=np.uint8)
    assert decode_request_image(encoded(image, "PNG"), "image/png", (6, 8)).shape == (6, 8, 3)
    assert decode_request_image(encoded(image, "JPEG"), "image/jpeg", (6, 8)).shape == (6, 8, 3)


@pytest.mark.parametrize(
    ("fmt", "content_type", "size", "message"),
    [
        ("PNG", "image/gif", (6, 8), "ContentType must be image/png or image/jpeg"),
        ("PNG", "image/jpeg", (6, 8), "not a JPEG image"),
        ("JPEG", "image/png", (6, 8), "not a PNG image"),
        ("PNG", "image/png", (10, 12), "8x6 pixels but the model was trained on 12x10"),
    ],
)
def test_decode_rejects(fmt: str, content_type: str, size: tuple[int, int], message: str) -> None:
    body = encoded(np.zeros((6, 8, 3), dtype=np.uint8), fmt)
    with pytest.raises(InvalidInputError, match=message):
        decode_request_image(body, content_type, size)


def test_decode_rejects_truncated_bytes() -> None:
    body = encoded(np.zeros((6, 8, 3), dtype=np.uint8), "PNG")[:20]
    with pytest.raises(InvalidInputError, match="could not be decoded"):
        decode_request_image(body, "image/png", (6, 8))


def test_read_checks_the_header_only_and_decode_refuses_cut_data() -> None:
    image = np.random.default_rng(0).integers(0, 255, size=(48, 64, 3), dtype=np.uint8)
    body = encoded(image, "JPEG")
    assert read_request_image(body, "image/jpeg", (48, 64)) == EncodedImage(body, (48, 64))
    cut = read_request_image(body[: len(body) // 2], "image/jpeg", (48, 64))  # the header is intact
    with pytest.raises(ValueError, match="could not be decoded"):
        decode_image(cut)
    png = encoded(image, "PNG")
    assert np.array_equal(decode_image(read_request_image(png, "image/png", (48, 64))), image)
