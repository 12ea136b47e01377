"""``AnomalyModel``'s interface served by onnxruntime instead of PyTorch + faiss.

The decision, confidence, heatmap and segmentation mask are computed by the same
``openlookout.ml`` functions as the PyTorch model; only the feature extraction and the
nearest-neighbour search run in the exported graph. PyTorch stays the reference: the
tests compare both on the cookie images.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort

from openlookout.export.graph import DISTANCES_NAME, FEATURES_NAME, INPUT_NAME
from openlookout.export.onnx_export import ONNX_FILE, export_graph
from openlookout.ml.api import ImagePrediction
from openlookout.ml.artifacts import ArtifactsInfo, ModelArtifacts, load_artifacts
from openlookout.ml.features import BATCH_SIZE
from openlookout.ml.imaging import as_rgb, resize_rgb
from openlookout.ml.prediction import prediction_from_map
from openlookout.ml.scoring import smooth


def open_session(onnx_path: Path, threads: int = 0) -> ort.InferenceSession:
    """A CPU session; ``threads`` = 0 lets onnxruntime use every core."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"])


class OnnxAnomalyModel(ArtifactsInfo):
    """Drop-in for ``ml.anomaly.AnomalyModel`` in the hosting worker."""

    def __init__(self, artifacts: ModelArtifacts, session: ort.InferenceSession) -> None:
        self.artifacts = artifacts
        self._session = session

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, h, w, 3) uint8 at the working size -> (features, distances) from the graph."""
        features, distances = self._session.run([FEATURES_NAME, DISTANCES_NAME], {INPUT_NAME: batch})
        return features, distances

    def predict(self, image: np.ndarray, ref: str = "") -> ImagePrediction:
        return self.predict_many([lambda: image], [ref])[0]

    def predict_many(
        self, loaders: Sequence[Callable[[], np.ndarray]], refs: Sequence[str]
    ) -> list[ImagePrediction]:
        predictions: list[ImagePrediction] = []
        for start in range(0, len(loaders), BATCH_SIZE):
            images = [as_rgb(load()) for load in loaders[start : start + BATCH_SIZE]]
            batch = np.stack([resize_rgb(rgb, self.artifacts.working_size) for rgb in images])
            features, distances = self.run(batch)
            for offset, rgb in enumerate(images):
                size = (int(rgb.shape[0]), int(rgb.shape[1]))
                predictions.append(
                    self._prediction(
                        features[offset], distances[offset], refs[start + offset], size, batch[offset]
                    )
                )
        return predictions

    def _prediction(
        self, features: np.ndarray, distances: np.ndarray, ref: str, size: tuple[int, int], image: np.ndarray
    ) -> ImagePrediction:
        return prediction_from_map(self.artifacts, features, smooth(distances), ref, size, image)


def load_onnx_model(model_dir: Path, device: str | None = None, threads: int = 0) -> OnnxAnomalyModel:
    """Load ``model_dir``, exporting ``model.onnx`` into it on first use.

    ``device`` is accepted for the hosting loader's signature; the session runs on the CPU
    (GPU hosts keep the PyTorch loader).
    """
    artifacts = load_artifacts(Path(model_dir))
    onnx_path = Path(model_dir) / ONNX_FILE
    if not onnx_path.is_file():
        export_graph(artifacts, onnx_path)
    return OnnxAnomalyModel(artifacts, open_session(onnx_path, threads))
