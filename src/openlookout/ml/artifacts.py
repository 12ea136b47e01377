"""The on-disk model folder: everything ``load_anomaly_model`` needs except the backbone.

Layout (``FORMAT_VERSION`` 1):
- ``model.json``: format and code versions, backbone provenance (incl. the weights file's
  sha256; the weights themselves come from the pip package), image and working sizes,
  feature/scoring parameters, model type, class names and the calibration (threshold,
  confidence scale, rule, held-out score distributions for later retuning).
- ``memory_bank.npy``: float32 (bank size, 256) coreset of normal patch features.
- ``projection.npy``: float32 (912, 256) random projection applied to backbone features.
- ``map_normalization.npz`` (models since 0.2): float32 (rows, cols) arrays ``mean`` and
  ``std``, the per-position statistics of held-out normal maps (``map_normalization.py``);
  ``model.json``'s ``scoring.border_cells`` is then 0. Older folders have neither and are
  scored as they were trained: raw distances, one border ring left out.
- Segmentation models only: ``model.json`` holds ``"segmentation": {"pixel_threshold"}``
  and ``patch_classifier.npz`` the patch classifier's float32 arrays ``mean``, ``std``
  (257,), ``weights`` (257, classes + 1) and ``bias`` (classes + 1,); see ``segmentation.py``.
  Since 0.2 also ``pixel_refiner.npz`` (``mean``, ``std`` (7,), ``weights`` (7, 2), ``bias``
  (2,)): the per-pixel refiner of ``pixel_refine.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from openlookout.ml.backbone import backbone_versions, weights_sha256
from openlookout.ml.calibration import Calibration
from openlookout.ml.map_normalization import MapNormalizer
from openlookout.ml.pixel_refine import PixelRefiner
from openlookout.ml.segmentation import PatchClassifier

FORMAT_VERSION = 1
CONFIG_FILE = "model.json"
BANK_FILE = "memory_bank.npy"
PROJECTION_FILE = "projection.npy"
CLASSIFIER_FILE = "patch_classifier.npz"
NORMALIZATION_FILE = "map_normalization.npz"
REFINER_FILE = "pixel_refiner.npz"
# Models saved before map normalisation left this many outer grid rings out of the image score.
LEGACY_BORDER_CELLS = 1


def code_version() -> str:
    try:
        return version("openlookout")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class SegmentationHead:
    pixel_threshold: float  # P(anomaly) above which a pixel of an anomalous image is anomalous
    classifier: PatchClassifier
    refiner: PixelRefiner | None = None  # None: cells' P(anomaly) upsampled (models before 0.2)


@dataclass
class ModelArtifacts:
    image_size: tuple[int, int]  # (height, width) of the training images
    working_size: tuple[int, int]  # (height, width) fed to the backbone
    bank: np.ndarray
    projection: np.ndarray
    calibration: Calibration
    model_type: str = "classification"
    class_names: list[str] = field(default_factory=list)
    parameters: dict[str, object] = field(default_factory=dict)  # informative: how it was built
    segmentation: SegmentationHead | None = None
    normalizer: MapNormalizer | None = None  # None: a model saved before map normalisation
    border_cells: int = 0  # outer grid rings the image score leaves out

    def scoring_map(self, amap: np.ndarray) -> np.ndarray:
        """The smoothed distance grid as the model scores it (normalised per position)."""
        return amap if self.normalizer is None else self.normalizer(amap)


def save_artifacts(model_dir: Path, artifacts: ModelArtifacts) -> None:
    model_dir.mkdir(parents=True, exist_ok=True)
    np.save(model_dir / BANK_FILE, artifacts.bank.astype(np.float32))
    np.save(model_dir / PROJECTION_FILE, artifacts.projection.astype(np.float32))
    config = {
        "format_version": FORMAT_VERSION,
        "code_version": code_version(),
        "backbone": backbone_versions(),
        "image_size": list(artifacts.image_size),
        "working_size": list(artifacts.working_size),
        "model_type": artifacts.model_type,
        "class_names": list(artifacts.class_names),
        "parameters": artifacts.parameters,
        "calibration": artifacts.calibration.to_dict(),
        "scoring": {"border_cells": artifacts.border_cells},
    }
    if artifacts.normalizer is not None:
        np.savez(model_dir / NORMALIZATION_FILE, mean=artifacts.normalizer.mean, std=artifacts.normalizer.std)
    if artifacts.segmentation is not None:
        c = artifacts.segmentation.classifier
        np.savez(model_dir / CLASSIFIER_FILE, mean=c.mean, std=c.std, weights=c.weights, bias=c.bias)
        config["segmentation"] = {"pixel_threshold": artifacts.segmentation.pixel_threshold}
        refiner = artifacts.segmentation.refiner
        if refiner is not None:
            np.savez(
                model_dir / REFINER_FILE,
                mean=refiner.mean,
                std=refiner.std,
                weights=refiner.weights,
                bias=refiner.bias,
            )
    # Written last, so a folder with model.json is complete.
    (model_dir / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True))


def load_artifacts(model_dir: Path) -> ModelArtifacts:
    config_path = model_dir / CONFIG_FILE
    if not config_path.is_file():
        raise FileNotFoundError(f"no {CONFIG_FILE} in {model_dir}")
    config = json.loads(config_path.read_text())
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unsupported model format {config.get('format_version')!r}")
    expected = config["backbone"]["weights_sha256"]
    if expected != weights_sha256():
        # Features from other weights would be compared against this bank: refuse.
        raise ValueError("the installed backbone weights differ from the ones this model was trained with")
    return ModelArtifacts(
        image_size=(int(config["image_size"][0]), int(config["image_size"][1])),
        working_size=(int(config["working_size"][0]), int(config["working_size"][1])),
        bank=np.load(model_dir / BANK_FILE),
        projection=np.load(model_dir / PROJECTION_FILE),
        calibration=Calibration.from_dict(config["calibration"]),
        model_type=str(config["model_type"]),
        class_names=[str(c) for c in config["class_names"]],
        parameters=dict(config.get("parameters", {})),
        segmentation=_load_segmentation(model_dir, config.get("segmentation")),
        normalizer=_load_normalizer(model_dir),
        border_cells=int(config.get("scoring", {}).get("border_cells", LEGACY_BORDER_CELLS)),
    )


def _load_normalizer(model_dir: Path) -> MapNormalizer | None:
    path = model_dir / NORMALIZATION_FILE
    if not path.is_file():
        return None
    with np.load(path) as data:
        return MapNormalizer(mean=data["mean"].astype(np.float32), std=data["std"].astype(np.float32))


def _load_segmentation(model_dir: Path, config: dict[str, object] | None) -> SegmentationHead | None:
    if config is None:
        return None
    with np.load(model_dir / CLASSIFIER_FILE) as data:
        arrays = {name: data[name] for name in ("mean", "std", "weights", "bias")}
    refiner = None
    if (model_dir / REFINER_FILE).is_file():
        with np.load(model_dir / REFINER_FILE) as data:
            refiner = PixelRefiner(
                **{k: data[k].astype(np.float32) for k in ("mean", "std", "weights", "bias")}
            )
    return SegmentationHead(
        pixel_threshold=float(config["pixel_threshold"]),  # type: ignore[arg-type]
        classifier=PatchClassifier(**{k: v.astype(np.float32) for k, v in arrays.items()}),
        refiner=refiner,
    )


class ArtifactsInfo:
    """What every loaded anomaly model (PyTorch or ONNX) reports from its ``artifacts``."""

    artifacts: ModelArtifacts

    @property
    def image_size(self) -> tuple[int, int]:
        """(height, width) of the training images; callers should reject other sizes."""
        return self.artifacts.image_size

    @property
    def threshold(self) -> float:
        return self.artifacts.calibration.threshold

    @property
    def model_type(self) -> str:
        return self.artifacts.model_type

    @property
    def class_names(self) -> list[str]:
        """Anomaly classes of a segmentation model; ``class_mask`` value k is ``class_names[k-1]``."""
        return list(self.artifacts.class_names)
