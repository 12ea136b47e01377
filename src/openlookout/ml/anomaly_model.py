"""The loaded anomaly predictor: one forward pass gives the image decision and its heatmap."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from openlookout.ml.api import ImagePrediction
from openlookout.ml.artifacts import ArtifactsInfo, ModelArtifacts, load_artifacts, save_artifacts
from openlookout.ml.backbone import select_device, shared_backbone
from openlookout.ml.features import PatchFeatureExtractor, grid_size, iter_patch_features
from openlookout.ml.memory_bank import MemoryBank
from openlookout.ml.prediction import prediction_from_map
from openlookout.ml.scoring import anomaly_map


class AnomalyModel(ArtifactsInfo):
    """A trained model: feature extractor + memory bank + calibration."""

    def __init__(self, artifacts: ModelArtifacts, device: str | None = None) -> None:
        self.artifacts = artifacts
        self.device = select_device(device)
        self._extractor = PatchFeatureExtractor(shared_backbone(str(self.device)), artifacts.projection)
        self._bank = MemoryBank(artifacts.bank)
        self._grid = grid_size(artifacts.working_size)

    def predict(self, image: np.ndarray, ref: str = "") -> ImagePrediction:
        """Predict one (H, W, 3) uint8 RGB image; other sizes are resized to the working size.

        The heatmap (``anomaly_map``) and, for segmentation models, ``class_mask`` come
        back at the input image's size.
        """
        return self.predict_many([lambda: image], [ref])[0]

    def predict_many(
        self, loaders: Sequence[Callable[[], np.ndarray]], refs: Sequence[str]
    ) -> list[ImagePrediction]:
        """Batched prediction; each loader is called once, in order."""
        sizes: dict[int, tuple[int, int]] = {}
        working: dict[int, np.ndarray] = {}

        def remember_size(index: int, rgb: np.ndarray) -> None:
            sizes[index] = (int(rgb.shape[0]), int(rgb.shape[1]))

        def remember_image(index: int, rgb: np.ndarray) -> None:
            if self.artifacts.segmentation is not None:  # only the pixel refiner reads it
                working[index] = rgb

        stream = iter_patch_features(
            self._extractor, loaders, self.artifacts.working_size, check=remember_size, resized=remember_image
        )
        return [
            self._predict_features(features, refs[index], sizes.pop(index), working.pop(index, None))
            for index, features in stream
        ]

    def _predict_features(
        self, features: np.ndarray, ref: str, size: tuple[int, int], image: np.ndarray | None
    ) -> ImagePrediction:
        amap = anomaly_map(self._bank.nearest_distances(features), self._grid)
        return prediction_from_map(self.artifacts, features, amap, ref, size, image)

    def save(self, model_dir: Path) -> None:
        """Write the model's artefacts (``artifacts.py``); ``load_anomaly_model`` reads them back."""
        save_artifacts(Path(model_dir), self.artifacts)


def load_anomaly_model(model_dir: Path, device: str | None = None) -> AnomalyModel:
    return AnomalyModel(load_artifacts(Path(model_dir)), device=device)
