"""Segmentation models: the onnxruntime path and the edge runner against the PyTorch reference.

The model is trained on the cookie training images with their crack masks (one class); the
runner's AnomalyMask and Anomalies must match what DetectAnomalies would send.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from openlookout.export.onnx_model import load_onnx_model
from openlookout.export.package import PackageSource, build_package
from openlookout.export.recipe import ComponentInfo
from openlookout.ml.anomaly import load_anomaly_model
from openlookout.ml.api import LabeledImage
from openlookout.service.lookoutvision.results import detect_anomaly_result, read_labels

from .conftest import COOKIES_DIR, load_rgb

pytestmark = pytest.mark.slow
CRACK = {"name": "crack", "color": "#23A436"}


def _mask(path: Path) -> np.ndarray:
    """Class indices: every painted (non-black) pixel is the crack class."""
    with Image.open(path) as image:
        rgb = np.asarray(image.convert("RGBA"))[..., :3]
    return (rgb.max(axis=-1) > 0).astype(np.uint8)


def _item(path: Path) -> LabeledImage:
    anomaly = path.parent.name == "anomaly"
    mask_path = COOKIES_DIR / "train" / "masks" / (path.stem + ".png")
    return LabeledImage(
        ref=str(path),
        load=lambda: load_rgb(path),
        is_anomaly=anomaly,
        load_mask=(lambda: _mask(mask_path)) if anomaly else None,
    )


@pytest.fixture(scope="module")
def segmentation_dir(tmp_path_factory: pytest.TempPathFactory, cookie_test_images: list[Path]) -> Path:
    from openlookout.ml.anomaly import train_anomaly_model

    model_dir = tmp_path_factory.mktemp("cookie-segmentation") / "model"
    train = [_item(p) for p in sorted((COOKIES_DIR / "train").glob("*/*.jpg"))]
    test = [
        LabeledImage(ref=str(p), load=lambda p=p: load_rgb(p), is_anomaly=p.parent.name == "anomaly")
        for p in cookie_test_images
    ]
    result = train_anomaly_model(train, test, model_dir, class_names=["crack"], device="cpu")
    assert result.model_type == "segmentation"
    (model_dir / "labels.json").write_text(json.dumps({"classes": [CRACK]}))
    return model_dir


def _wire(result: dict[str, Any]) -> dict[str, Any]:
    """The server's result with the mask PNG base64-encoded, as the runner prints it."""
    if "AnomalyMask" in result:
        result = {**result, "AnomalyMask": base64.b64encode(result["AnomalyMask"]).decode("ascii")}
    return result


def test_onnx_and_edge_masks_match_pytorch(
    segmentation_dir: Path, cookie_test_images: list[Path], tmp_path: Path
) -> None:
    reference = load_anomaly_model(segmentation_dir, device="cpu")
    onnx = load_onnx_model(segmentation_dir, threads=2)
    labels = read_labels(segmentation_dir)
    package = tmp_path / "package"
    component = ComponentInfo("seg", "1.0.0", "cookies", "X86_64", "s3://b/package.zip")
    build_package(segmentation_dir, package, PackageSource("cookies", 1, "arn"), component)
    assert json.loads((package / "model.json").read_text())["classes"] == [CRACK]
    sys.path.insert(0, str(package))
    try:
        from openlookout_edge import EdgeModel

        edge = EdgeModel(package, threads=2)
    finally:
        sys.path.remove(str(package))
    anomalous = 0
    for path in cookie_test_images:
        rgb = load_rgb(path)
        want, via_onnx = reference.predict(rgb), onnx.predict(rgb)
        assert via_onnx.is_anomalous == want.is_anomalous, path.name
        assert via_onnx.class_mask is not None and want.class_mask is not None
        # Pixels on the 0.5 contour may flip with float noise; no more than a sliver.
        assert np.mean(via_onnx.class_mask != want.class_mask) < 1e-3, path.name
        server = _wire(detect_anomaly_result(want, labels))
        got = edge.detect(rgb)
        assert got["IsAnomalous"] == server["IsAnomalous"], path.name
        assert got["Confidence"] == pytest.approx(server["Confidence"], abs=1e-4), path.name
        assert [a["Name"] for a in got["Anomalies"]] == [a["Name"] for a in server["Anomalies"]]
        for a, b in zip(got["Anomalies"], server["Anomalies"], strict=True):
            assert a["PixelAnomaly"]["Color"] == b["PixelAnomaly"]["Color"]
            assert a["PixelAnomaly"]["TotalPercentageArea"] == pytest.approx(
                b["PixelAnomaly"]["TotalPercentageArea"], abs=1e-3
            )
        anomalous += got["IsAnomalous"]
    assert anomalous > 0  # the masks of anomalous images were compared, not only empty ones
