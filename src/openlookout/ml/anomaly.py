"""PatchCore-style anomaly classification: train, save, load, predict.

Training: decode every image once at its original size, check that all share the first
training image's dimensions, resize to the working resolution (``imaging.py``), extract
patch features (``features.py``). Normal training patches feed the memory bank (coreset,
``memory_bank.py``); k-fold banks score held-out normals and the training anomalies to
calibrate the threshold (``calibration.py``); the test set is then predicted and
evaluated (``evaluate.py``) and never influences the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from openlookout.ml.api import ImagePrediction, LabeledImage, TrainingDataError, TrainResult
from openlookout.ml.artifacts import ModelArtifacts, load_artifacts, save_artifacts
from openlookout.ml.backbone import select_device, shared_backbone
from openlookout.ml.calibration import NUM_FOLDS, calibrate, fold_ids
from openlookout.ml.coreset import CORESET_RATIO, MAX_BANK_SIZE, MIN_BANK_SIZE
from openlookout.ml.evaluate import classification_metrics
from openlookout.ml.features import PatchFeatureExtractor, grid_size, iter_patch_features, random_projection
from openlookout.ml.imaging import as_rgb, working_size
from openlookout.ml.memory_bank import (
    MAX_CANDIDATES,
    MemoryBank,
    patches_per_image,
    sample_patches,
    select_bank,
)
from openlookout.ml.scoring import BORDER_CELLS, SMOOTH_SIGMA, anomaly_map, image_score

SEED = 0
# Held-out scoring needs every patch of an image; beyond this many images per class the
# rest are used for the bank (normals) or skipped (anomalies) to bound memory and time.
MAX_CALIBRATION_IMAGES = 200
SAME_SIZE_MESSAGE = "Images in the dataset must have the same dimensions."

Progress = Callable[[str], None]


class AnomalyModel:
    """A trained model: feature extractor + memory bank + calibration."""

    def __init__(self, artifacts: ModelArtifacts, device: str | None = None) -> None:
        self.artifacts = artifacts
        self.device = select_device(device)
        self._extractor = PatchFeatureExtractor(shared_backbone(str(self.device)), artifacts.projection)
        self._bank = MemoryBank(artifacts.bank)
        self._grid = grid_size(artifacts.working_size)

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

    def predict(self, image: np.ndarray, ref: str = "") -> ImagePrediction:
        """Classify one (H, W, 3) uint8 RGB image; other sizes are resized to the working size."""
        return self.predict_many([lambda: image], [ref])[0]

    def predict_many(
        self, loaders: Sequence[Callable[[], np.ndarray]], refs: Sequence[str]
    ) -> list[ImagePrediction]:
        """Batched prediction; each loader is called once, in order."""
        stream = iter_patch_features(self._extractor, loaders, self.artifacts.working_size)
        return [self._predict_features(features, refs[index]) for index, features in stream]

    def _predict_features(self, features: np.ndarray, ref: str) -> ImagePrediction:
        amap = anomaly_map(self._bank.nearest_distances(features), self._grid)
        score = image_score(amap)
        calibration = self.artifacts.calibration
        return ImagePrediction(
            ref=ref,
            is_anomalous=calibration.is_anomalous(score),
            confidence=calibration.confidence(score),
            score=score,
            anomaly_map=amap,
        )


def load_anomaly_model(model_dir: Path, device: str | None = None) -> AnomalyModel:
    return AnomalyModel(load_artifacts(Path(model_dir)), device=device)


class _TrainingFeatures:
    """Per-image features kept from one pass over the training images."""

    def __init__(self) -> None:
        self.pool: dict[int, np.ndarray] = {}  # normal index -> sampled patches (bank candidates)
        self.full: dict[int, np.ndarray] = {}  # calibration image index -> all patches


def _first_image(train: Sequence[LabeledImage]) -> np.ndarray:
    if not train:
        raise TrainingDataError("The training dataset has no labeled images.")
    return as_rgb(train[0].load())


def _size_checker(expected: tuple[int, int]) -> Callable[[int, np.ndarray], None]:
    def check(_: int, rgb: np.ndarray) -> None:
        if rgb.shape[:2] != expected:
            raise TrainingDataError(SAME_SIZE_MESSAGE)

    return check


def _calibration_subset(indices: list[int], rng: np.random.Generator) -> set[int]:
    if len(indices) <= MAX_CALIBRATION_IMAGES:
        return set(indices)
    return set(rng.choice(indices, size=MAX_CALIBRATION_IMAGES, replace=False).tolist())


def _extract_training_features(
    train: Sequence[LabeledImage],
    first: np.ndarray,
    extractor: PatchFeatureExtractor,
    size: tuple[int, int],
) -> _TrainingFeatures:
    rng = np.random.default_rng(SEED)
    normals = [i for i, item in enumerate(train) if not item.is_anomaly]
    anomalies = [i for i, item in enumerate(train) if item.is_anomaly]
    calibration_images = _calibration_subset(normals, rng) | _calibration_subset(anomalies, rng)
    wanted = [i for i in range(len(train)) if i in calibration_images or not train[i].is_anomaly]
    loaders = [(lambda: first) if i == 0 else train[i].load for i in wanted]
    rows, cols = grid_size(size)
    limit = patches_per_image(len(normals), rows * cols)
    kept = _TrainingFeatures()
    check = _size_checker(first.shape[:2])
    for position, features in iter_patch_features(extractor, loaders, size, check=check):
        index = wanted[position]
        if index in calibration_images:
            kept.full[index] = features
        if not train[index].is_anomaly:
            kept.pool[index] = sample_patches(features, limit, rng)
    return kept


def _held_out_scores(
    train: Sequence[LabeledImage], kept: _TrainingFeatures, model_grid: tuple[int, int], device: str
) -> tuple[list[float], list[float]]:
    """k-fold: each fold's normals and anomalies are scored by a bank built without that fold."""
    normals = sorted(i for i in kept.full if not train[i].is_anomaly)
    anomalies = sorted(i for i in kept.full if train[i].is_anomaly)
    num_folds = min(NUM_FOLDS, len(normals))
    normal_folds = dict(zip(normals, fold_ids(len(normals), num_folds, SEED), strict=True))
    anomaly_folds = dict(zip(anomalies, fold_ids(len(anomalies), num_folds, SEED + 1), strict=True))
    normal_scores: dict[int, float] = {}
    anomaly_scores: dict[int, float] = {}
    for fold in range(num_folds):
        candidates = [p for i, p in kept.pool.items() if normal_folds.get(i) != fold]
        bank = MemoryBank(select_bank(np.concatenate(candidates), select_device(device), seed=SEED + fold))
        for index, target in [(i, normal_scores) for i in normals if normal_folds[i] == fold] + [
            (i, anomaly_scores) for i in anomalies if anomaly_folds[i] == fold
        ]:
            target[index] = image_score(anomaly_map(bank.nearest_distances(kept.full[index]), model_grid))
    return [normal_scores[i] for i in normals], [anomaly_scores[i] for i in anomalies]


def train_anomaly_model(
    train: Sequence[LabeledImage],
    test: Sequence[LabeledImage],
    model_dir: Path,
    class_names: Sequence[str] = (),
    device: str | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Train on ``train``, calibrate on held-out training data, save to ``model_dir``, test on ``test``."""
    started = time.monotonic()
    report = progress or (lambda _: None)
    torch_device = str(select_device(device))
    num_normals = sum(1 for item in train if not item.is_anomaly)
    if num_normals < 2:
        raise TrainingDataError("Training needs at least 2 normal images.")

    first = _first_image(train)
    size = working_size(*first.shape[:2])
    grid = grid_size(size)
    projection = random_projection(SEED)
    extractor = PatchFeatureExtractor(shared_backbone(torch_device), projection)
    report(f"extracting features of {len(train)} training images at {size[1]}x{size[0]}")
    kept = _extract_training_features(train, first, extractor, size)

    report(f"scoring held-out training images ({min(NUM_FOLDS, num_normals)} folds)")
    normal_scores, anomaly_scores = _held_out_scores(train, kept, grid, torch_device)
    calibration = calibrate(normal_scores, anomaly_scores)

    report("building the memory bank")
    bank = select_bank(np.concatenate(list(kept.pool.values())), select_device(torch_device), seed=SEED)
    del kept
    artifacts = ModelArtifacts(
        image_size=(int(first.shape[0]), int(first.shape[1])),
        working_size=size,
        bank=bank,
        projection=projection,
        calibration=calibration,
        model_type="classification",
        class_names=list(class_names),
        parameters=_parameters(len(train), num_normals),
    )
    save_artifacts(Path(model_dir), artifacts)
    model = AnomalyModel(artifacts, device=torch_device)

    report(f"evaluating on {len(test)} test images")
    test_check = _size_checker(artifacts.image_size)
    predictions = _predict_test(model, test, test_check)
    metrics: dict[str, object] = dict(
        classification_metrics(
            [item.is_anomaly for item in test],
            [p.score for p in predictions],
            [p.is_anomalous for p in predictions],
        )
    )
    return TrainResult(
        metrics=metrics,
        predictions=predictions,
        threshold=calibration.threshold,
        num_train=len(train),
        num_test=len(test),
        model_type="classification",
        extra={
            "calibration_rule": calibration.rule,
            "bank_size": len(bank),
            "working_size": list(size),
            "device": torch_device,
            "train_seconds": round(time.monotonic() - started, 3),
        },
    )


def _predict_test(
    model: AnomalyModel, test: Sequence[LabeledImage], check: Callable[[int, np.ndarray], None]
) -> list[ImagePrediction]:
    def checked(item: LabeledImage) -> Callable[[], np.ndarray]:
        def load() -> np.ndarray:
            rgb = as_rgb(item.load())
            check(0, rgb)
            return rgb

        return load

    predictions = model.predict_many([checked(item) for item in test], [item.ref for item in test])
    for prediction in predictions:
        prediction.anomaly_map = None  # the service stores metrics, not maps; keep results small
    return predictions


def _parameters(num_train: int, num_normals: int) -> dict[str, object]:
    return {
        "seed": SEED,
        "num_train_images": num_train,
        "num_normal_images": num_normals,
        "coreset_ratio": CORESET_RATIO,
        "min_bank_size": MIN_BANK_SIZE,
        "max_bank_size": MAX_BANK_SIZE,
        "max_candidates": MAX_CANDIDATES,
        "smooth_sigma": SMOOTH_SIGMA,
        "border_cells": BORDER_CELLS,
        "num_folds": NUM_FOLDS,
    }


__all__ = ["AnomalyModel", "load_anomaly_model", "train_anomaly_model"]
