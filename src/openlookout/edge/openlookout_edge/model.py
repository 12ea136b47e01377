"""A model package on disk: ``model.json`` + ``model.onnx`` (+ ``patch_classifier.npz``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from PIL import Image

from .result import detect_anomaly_result
from .scoring import confidence, image_score, smooth
from .segmentation import PatchClassifier, PixelRefiner, class_mask

FORMAT = "openlookout-edge"
FORMAT_VERSION = 1


class ImageSizeError(ValueError):
    """The image does not have the training images' dimensions (DetectAnomalies refuses it too)."""


def load_rgb(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB, decoded as the server decodes request bodies."""
    with Image.open(path) as image:
        image.load()
        return np.asarray(image.convert("RGB"))


class EdgeModel:
    """Loads a package folder once and answers DetectAnomalies for local images."""

    def __init__(self, package_dir: Path, threads: int = 0) -> None:
        package_dir = Path(package_dir)
        self.config: dict[str, Any] = json.loads((package_dir / "model.json").read_text())
        if self.config.get("format") != FORMAT or self.config.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{package_dir} is not an {FORMAT} v{FORMAT_VERSION} package")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        graph = self.config["graph"]
        self._session = ort.InferenceSession(
            str(package_dir / graph["file"]), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input, self._features, self._distances = graph["input"], graph["features"], graph["distances"]
        self.image_size = (int(self.config["image_size"][0]), int(self.config["image_size"][1]))
        self.working_size = (int(self.config["working_size"][0]), int(self.config["working_size"][1]))
        self.classes: list[dict[str, str]] = list(self.config["classes"])
        scoring = self.config["scoring"]
        self._normalization: tuple[np.ndarray, np.ndarray] | None = None
        if scoring.get("normalization_file"):  # per-position statistics of normal maps
            with np.load(package_dir / scoring["normalization_file"]) as data:
                self._normalization = (data["mean"], data["std"])
        segmentation = self.config.get("segmentation")
        self._classifier = (
            PatchClassifier.load(package_dir / segmentation["file"], float(segmentation["pixel_threshold"]))
            if segmentation
            else None
        )
        refiner_file = (segmentation or {}).get("refiner_file")
        self._refiner = PixelRefiner.load(package_dir / refiner_file) if refiner_file else None

    def detect(self, rgb: np.ndarray) -> dict[str, Any]:
        """DetectAnomalyResult for one (H, W, 3) uint8 RGB image of the training size."""
        if rgb.shape[:2] != self.image_size:
            height, width = self.image_size
            raise ImageSizeError(
                f"The image is {rgb.shape[1]}x{rgb.shape[0]} pixels but the model was trained on "
                f"{width}x{height} images."
            )
        height, width = self.working_size
        small = (
            rgb
            if rgb.shape[:2] == (height, width)
            else np.asarray(Image.fromarray(rgb).resize((width, height), Image.Resampling.BILINEAR))
        )
        features, distances = self._session.run([self._features, self._distances], {self._input: small[None]})
        scoring, calibration = self.config["scoring"], self.config["calibration"]
        amap = smooth(distances[0], float(scoring["smooth_sigma"]))
        if self._normalization is not None:
            mean, std = self._normalization
            amap = ((amap - mean) / std).astype(np.float32)
        score = image_score(amap, int(scoring["border_cells"]))
        threshold = float(calibration["threshold"])
        is_anomalous = score > threshold
        mask = None
        if self._classifier is not None:
            probabilities = self._classifier.probabilities(features[0], amap)
            refined = self._refiner.refine(small, probabilities) if self._refiner is not None else None
            heatmap = self._classifier.heatmap(probabilities, self.image_size, refined)
            mask = class_mask(heatmap, is_anomalous, probabilities, self.image_size)
        conf = confidence(score, threshold, float(calibration["scale"]))
        return detect_anomaly_result(is_anomalous, conf, mask, self.classes)

    def detect_file(self, path: Path) -> dict[str, Any]:
        return self.detect(load_rgb(path))
