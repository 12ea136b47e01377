"""PatchCore-style anomaly classification: train, save, load, predict.

Training: decode every image once at its original size, check that all share the first
training image's dimensions, resize to the working resolution (``imaging.py``), extract
patch features (``features.py``). Normal training patches feed the memory bank (coreset,
``memory_bank.py``); k-fold banks score held-out normals and the training anomalies to
calibrate the threshold (``calibration.py``); the test set is then predicted and
evaluated (``evaluate.py``) and never influences the model.

Segmentation (training images with class masks): a patch classifier on the patch
features and held-out anomaly maps, with a pixel threshold calibrated by cross-fitting on
the same folds (``segmentation.py``); test images with masks add per-class pixel metrics
(``pixel_metrics.py``). Every prediction carries a calibrated heatmap at the input size
(0.5 = the decision threshold), from the same forward pass as the image decision.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from openlookout.ml.api import ImagePrediction, LabeledImage, TrainingDataError, TrainResult
from openlookout.ml.artifacts import ModelArtifacts, SegmentationHead, load_artifacts, save_artifacts
from openlookout.ml.backbone import select_device, shared_backbone
from openlookout.ml.calibration import NUM_FOLDS, Calibration, calibrate, fold_ids
from openlookout.ml.coreset import CORESET_RATIO, MAX_BANK_SIZE, MIN_BANK_SIZE
from openlookout.ml.evaluate import classification_metrics, roc_auc
from openlookout.ml.features import PatchFeatureExtractor, grid_size, iter_patch_features, random_projection
from openlookout.ml.imaging import as_rgb, detail_size, resize_mask, working_size
from openlookout.ml.map_normalization import MapNormalizer, NormalMapStatistics
from openlookout.ml.memory_bank import (
    MAX_CANDIDATES,
    MemoryBank,
    patches_per_image,
    sample_patches,
    select_bank,
)
from openlookout.ml.pixel_metrics import PixelMetrics
from openlookout.ml.pixel_refine import RefinerSample, fit_pixel_refiner, grey
from openlookout.ml.prediction import prediction_from_map
from openlookout.ml.scoring import BORDER_CELLS, SMOOTH_SIGMA, anomaly_map, image_score
from openlookout.ml.segmentation import (
    MAX_BACKGROUND_PATCHES,
    WEIGHT_DECAY,
    HeldOutImage,
    PatchClassifier,
    PatchSample,
    anomaly_probability,
    fit_patch_classifier,
    pixel_threshold,
)

SEED = 0
# Held-out scoring needs every patch of an image; beyond this many images per class the
# rest are used for the bank (normals) or skipped (anomalies) to bound memory and time.
MAX_CALIBRATION_IMAGES = 200
# ... and beyond this many of their patches (about 200 MB of features), so that large
# working sizes keep fewer calibration images, but never fewer than MIN_CALIBRATION_IMAGES.
MAX_CALIBRATION_PATCHES = 200 * 28 * 36
MIN_CALIBRATION_IMAGES = 40
# Large images are also tried at their own resolution only when the working size clearly
# fails its held-out anomalies (the try costs the pixel ratio in time: 7x on the cookies,
# whose held-out AUROC is 0.94 at 224x288 and no better at 576x768), and that resolution
# is kept only when it wins by a margin larger than the noise of a few held-out anomalies.
DETAIL_TRY_BELOW_AUROC = 0.9
DETAIL_MIN_AUROC_GAIN = 0.02
SAME_SIZE_MESSAGE = "Images in the dataset must have the same dimensions."
# Pixel threshold when no held-out image has an anomalous pixel to calibrate on.
DEFAULT_PIXEL_THRESHOLD = 0.5
# Coreset selections that run at once: two keep both cores of a small machine busy.
SELECTION_THREADS = 2

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

    @property
    def class_names(self) -> list[str]:
        """Anomaly classes of a segmentation model; ``class_mask`` value k is ``class_names[k-1]``."""
        return list(self.artifacts.class_names)

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


def load_anomaly_model(model_dir: Path, device: str | None = None) -> AnomalyModel:
    return AnomalyModel(load_artifacts(Path(model_dir)), device=device)


class _TrainingFeatures:
    """Per-image features kept from one pass over the training images."""

    def __init__(self) -> None:
        self.pool: dict[int, np.ndarray] = {}  # normal index -> sampled patches (bank candidates)
        self.full: dict[int, np.ndarray] = {}  # calibration image index -> all patches
        # Segmentation: calibration image index -> class mask at the working resolution,
        # and the image's luma there (for the pixel refiner).
        self.masks: dict[int, np.ndarray] = {}
        self.luma: dict[int, np.ndarray] = {}


def _first_image(train: Sequence[LabeledImage]) -> np.ndarray:
    if not train:
        raise TrainingDataError("The training dataset has no labeled images.")
    return as_rgb(train[0].load())


def _size_checker(expected: tuple[int, int]) -> Callable[[int, np.ndarray], None]:
    def check(_: int, rgb: np.ndarray) -> None:
        if rgb.shape[:2] != expected:
            raise TrainingDataError(SAME_SIZE_MESSAGE)

    return check


def calibration_images_limit(grid: tuple[int, int]) -> int:
    """Calibration images kept per class at this patch grid (features of all their patches are kept)."""
    by_patches = MAX_CALIBRATION_PATCHES // (grid[0] * grid[1])
    return max(MIN_CALIBRATION_IMAGES, min(MAX_CALIBRATION_IMAGES, by_patches))


def _calibration_subset(indices: list[int], limit: int, rng: np.random.Generator) -> set[int]:
    if len(indices) <= limit:
        return set(indices)
    return set(rng.choice(indices, size=limit, replace=False).tolist())


def _extract_training_features(
    train: Sequence[LabeledImage],
    first: np.ndarray,
    extractor: PatchFeatureExtractor,
    size: tuple[int, int],
    segmentation: bool,
) -> _TrainingFeatures:
    rng = np.random.default_rng(SEED)
    normals = [i for i, item in enumerate(train) if not item.is_anomaly]
    anomalies = [i for i, item in enumerate(train) if item.is_anomaly]
    limit = calibration_images_limit(grid_size(size))
    calibration_images = _calibration_subset(normals, limit, rng) | _calibration_subset(anomalies, limit, rng)
    wanted = [i for i in range(len(train)) if i in calibration_images or not train[i].is_anomaly]
    loaders = [(lambda: first) if i == 0 else train[i].load for i in wanted]
    rows, cols = grid_size(size)
    per_image = patches_per_image(len(normals), rows * cols)
    kept = _TrainingFeatures()
    check = _size_checker(first.shape[:2])
    lumas: dict[int, np.ndarray] = {}

    def keep_luma(position: int, rgb: np.ndarray) -> None:
        if segmentation and wanted[position] in calibration_images:
            lumas[position] = grey(rgb)

    stream = iter_patch_features(extractor, loaders, size, check=check, resized=keep_luma)
    for position, features in stream:
        index = wanted[position]
        luma = lumas.pop(position, None)
        if index in calibration_images:
            kept.full[index] = features
            mask = _working_mask(train[index], first.shape[:2], size) if segmentation else None
            if mask is not None and luma is not None:
                kept.masks[index] = mask
                kept.luma[index] = luma
        if not train[index].is_anomaly:
            kept.pool[index] = sample_patches(features, per_image, rng)
    return kept


def _working_mask(
    item: LabeledImage, image_size: tuple[int, int], size: tuple[int, int]
) -> np.ndarray | None:
    """The item's class mask resized to the working resolution; normals without one are background."""
    if item.load_mask is None:
        return None if item.is_anomaly else np.zeros(size, dtype=np.uint8)
    mask = item.load_mask()
    if mask.shape != image_size:
        raise TrainingDataError(f"The mask of {item.ref} does not have the size of its image.")
    return resize_mask(mask, size)


@dataclass
class _HeldOut:
    """k-fold results on the training images: every image scored by a bank built without it."""

    normal_scores: list[float]  # in calibration-normal index order
    anomaly_scores: list[float]
    maps: dict[int, np.ndarray]  # image index -> held-out anomaly map
    folds: dict[int, int]  # image index -> its fold
    num_folds: int
    normalizer: MapNormalizer  # per-position statistics of every held-out normal map


def _held_out_scores(
    train: Sequence[LabeledImage],
    kept: _TrainingFeatures,
    model_grid: tuple[int, int],
    device: str,
    selector: Executor,
) -> _HeldOut:
    """k-fold: each fold's normals and anomalies are scored by a bank built without that fold.

    The folds' banks are selected on ``selector``'s threads, while this thread searches the
    banks that are ready.
    """
    normals = sorted(i for i in kept.full if not train[i].is_anomaly)
    anomalies = sorted(i for i in kept.full if train[i].is_anomaly)
    num_folds = min(NUM_FOLDS, len(normals))
    normal_folds = dict(zip(normals, fold_ids(len(normals), num_folds, SEED), strict=True))
    anomaly_folds = dict(zip(anomalies, fold_ids(len(anomalies), num_folds, SEED + 1), strict=True))

    def fold_bank(fold: int) -> np.ndarray:
        candidates = [p for i, p in kept.pool.items() if normal_folds.get(i) != fold]
        return select_bank(np.concatenate(candidates), select_device(device), seed=SEED + fold)

    raw_maps: dict[int, np.ndarray] = {}
    for fold, rows in enumerate(selector.map(fold_bank, range(num_folds))):
        bank = MemoryBank(rows)
        scored = [i for i in normals if normal_folds[i] == fold] + [
            i for i in anomalies if anomaly_folds[i] == fold
        ]
        # One search for the whole fold: a large matrix product beats many small ones.
        distances = (
            bank.nearest_distances(np.stack([kept.full[i] for i in scored]))
            if scored
            else np.zeros(0, dtype=np.float32)
        )
        per_image = len(distances) // max(len(scored), 1)
        for position, index in enumerate(scored):
            raw_maps[index] = anomaly_map(
                distances[position * per_image : (position + 1) * per_image], model_grid
            )
    # Per-position statistics of the normals' held-out maps; each image is normalised with
    # the other folds' statistics (cross-fitted), the model keeps those of every fold.
    statistics = NormalMapStatistics(model_grid)
    for index in normals:
        statistics.add(normal_folds[index], raw_maps[index])
    folds = normal_folds | anomaly_folds
    normalizers = {fold: statistics.normalizer(exclude_fold=fold) for fold in range(num_folds)}
    maps = {index: normalizers[folds[index]](amap) for index, amap in raw_maps.items()}
    return _HeldOut(
        normal_scores=[image_score(maps[i]) for i in normals],
        anomaly_scores=[image_score(maps[i]) for i in anomalies],
        maps=maps,
        folds=folds,
        num_folds=num_folds,
        normalizer=statistics.normalizer(),
    )


def _segmentation_head(
    kept: _TrainingFeatures,
    held: _HeldOut,
    calibration: Calibration,
    size: tuple[int, int],
    num_classes: int,
) -> SegmentationHead:
    """Cross-fitted classifiers calibrate the pixel threshold; the final one sees every mask."""
    if not any(np.count_nonzero(mask) for mask in kept.masks.values()):
        raise TrainingDataError("No training mask shows an anomaly class; a segmentation model needs some.")
    samples = {i: PatchSample(kept.full[i], held.maps[i], mask) for i, mask in sorted(kept.masks.items())}
    folds: list[tuple[list[int], list[PatchSample], int]] = []
    for fold in range(held.num_folds):
        inside = [i for i in samples if held.folds[i] == fold]
        outside = [samples[i] for i in samples if held.folds[i] != fold]
        if inside and any(s.has_defect for s in outside):  # else nothing to score or to learn from
            folds.append((inside, outside, SEED + fold))
    fits = [(outside, seed) for _, outside, seed in folds] + [(list(samples.values()), SEED)]
    classifiers = _fit_classifiers(fits, num_classes)
    held_out: list[HeldOutImage] = []
    refiner_samples: list[RefinerSample] = []
    for (inside, _, _), classifier in zip(folds, classifiers, strict=False):
        for i in inside:
            pmap = anomaly_probability(classifier.probabilities(samples[i].features, samples[i].amap))
            decision = calibration.is_anomalous(image_score(held.maps[i]))
            held_out.append(HeldOutImage(pmap=pmap, is_anomalous=decision, mask=samples[i].mask))
            refiner_samples.append(RefinerSample(kept.luma[i], pmap, samples[i].mask))
    refiner = fit_pixel_refiner(refiner_samples, seed=SEED) if refiner_samples else None
    if refiner is not None:  # the pixel threshold is then a cut of the refined map
        held_out = [
            replace(image, pmap=refiner.refine(sample.luma, sample.cell_probability))
            for image, sample in zip(held_out, refiner_samples, strict=True)
        ]
    threshold = pixel_threshold(held_out, size)
    return SegmentationHead(
        pixel_threshold=DEFAULT_PIXEL_THRESHOLD if threshold is None else threshold,
        classifier=classifiers[-1],
        refiner=refiner,
    )


def _fit_classifiers(fits: list[tuple[list[PatchSample], int]], num_classes: int) -> list[PatchClassifier]:
    """One classifier per (samples, seed), in order.

    The first is fitted from zero; the others start from it (the fit is convex, so a
    nearby start only saves iterations) and run in parallel threads: the fit is numpy
    matrix products and ufuncs, which release the GIL, while BLAS itself is single-threaded.
    """
    first = fit_patch_classifier(fits[0][0], num_classes, seed=fits[0][1])
    if len(fits) == 1:
        return [first]
    workers = max(1, min(len(fits) - 1, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="patch-classifier") as pool:
        rest = pool.map(
            lambda fit: fit_patch_classifier(fit[0], num_classes, seed=fit[1], start=first), fits[1:]
        )
        return [first, *rest]


def _size_name(size: tuple[int, int]) -> str:
    return f"{size[1]}x{size[0]}"


@dataclass
class _Candidate:
    """Training features, held-out scores and the final bank (being selected) at one working size."""

    size: tuple[int, int]
    kept: _TrainingFeatures
    held: _HeldOut
    final_bank: Future[np.ndarray]

    @property
    def held_out_auroc(self) -> float | None:
        """AUROC of the held-out training anomalies against the held-out normals (None: no anomalies)."""
        if not self.held.anomaly_scores:
            return None
        labels = [False] * len(self.held.normal_scores) + [True] * len(self.held.anomaly_scores)
        return roc_auc(labels, [*self.held.normal_scores, *self.held.anomaly_scores])


@dataclass
class _CandidateFit:
    """What every candidate working size is fitted with."""

    train: Sequence[LabeledImage]
    first: np.ndarray
    extractor: PatchFeatureExtractor
    segmentation: bool
    device: str
    report: Progress

    def at(self, size: tuple[int, int], selector: Executor) -> _Candidate:
        self.report(f"extracting features of {len(self.train)} training images at {_size_name(size)}")
        kept = _extract_training_features(self.train, self.first, self.extractor, size, self.segmentation)
        final_bank = selector.submit(
            select_bank, np.concatenate(list(kept.pool.values())), select_device(self.device), SEED
        )
        num_folds = min(NUM_FOLDS, sum(1 for item in self.train if not item.is_anomaly))
        self.report(f"scoring held-out training images ({num_folds} folds)")
        held = _held_out_scores(self.train, kept, grid_size(size), self.device, selector)
        return _Candidate(size=size, kept=kept, held=held, final_bank=final_bank)


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

    segmentation = bool(class_names) and any(item.is_anomaly and item.load_mask for item in train)
    first = _first_image(train)
    projection = random_projection(SEED)
    extractor = PatchFeatureExtractor(shared_backbone(torch_device), projection)
    fit = _CandidateFit(train, first, extractor, segmentation, torch_device, report)
    # Coreset selection runs in threads alongside the rest (its numpy pool loop is
    # single-threaded): each candidate's final bank first, then its folds' banks.
    with ThreadPoolExecutor(max_workers=SELECTION_THREADS, thread_name_prefix="coreset") as selector:
        chosen = fit.at(working_size(*first.shape[:2]), selector)
        baseline = chosen.held_out_auroc
        resolutions = {_size_name(chosen.size): baseline}
        detail = detail_size(*first.shape[:2])
        if detail is not None and baseline is not None and baseline < DETAIL_TRY_BELOW_AUROC:
            # Large images whose held-out anomalies are not all separated at the working
            # resolution: try their own resolution and keep it if it is clearly better.
            larger = fit.at(detail, selector)
            resolutions[_size_name(larger.size)] = larger.held_out_auroc
            report(f"held-out AUROC by working size: {resolutions}")
            loser, chosen = (
                (chosen, larger) if (larger.held_out_auroc or 0.0) > baseline else (larger, chosen)
            )
            loser.final_bank.cancel()
            del larger, loser  # their features are large; only the chosen ones are needed now
        size, held = chosen.size, chosen.held
        calibration = calibrate(held.normal_scores, held.anomaly_scores)
        head = None
        if segmentation:
            report("training the patch classifier")
            head = _segmentation_head(chosen.kept, held, calibration, size, len(class_names))
        model_type = "segmentation" if head is not None else "classification"
        report("building the memory bank")
        bank = chosen.final_bank.result()
    del chosen, fit
    artifacts = ModelArtifacts(
        image_size=(int(first.shape[0]), int(first.shape[1])),
        working_size=size,
        bank=bank,
        projection=projection,
        calibration=calibration,
        normalizer=held.normalizer,
        border_cells=BORDER_CELLS,
        model_type=model_type,
        class_names=list(class_names) if head is not None else [],
        parameters=_parameters(len(train), num_normals),
        segmentation=head,
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
    extra: dict[str, object] = {}
    if head is not None:
        metrics["PixelAnomalyClassMetrics"] = _pixel_metrics(test, predictions, artifacts.class_names)
        extra["pixel_threshold"] = head.pixel_threshold
    return TrainResult(
        metrics=metrics,
        predictions=predictions,
        threshold=calibration.threshold,
        num_train=len(train),
        num_test=len(test),
        model_type=model_type,
        extra=extra
        | {
            "calibration_rule": calibration.rule,
            "bank_size": len(bank),
            "working_size": list(size),
            "held_out_auroc_by_working_size": resolutions,
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
        prediction.anomaly_map = None  # the service stores metrics and masks, not heatmaps
    return predictions


def _pixel_metrics(
    test: Sequence[LabeledImage], predictions: Sequence[ImagePrediction], class_names: Sequence[str]
) -> list[dict[str, object]]:
    metrics = PixelMetrics(class_names)
    for item, prediction in zip(test, predictions, strict=True):
        if item.load_mask is None or prediction.class_mask is None:
            continue  # an anomaly without a mask has no pixel truth
        truth = item.load_mask()
        if truth.shape != prediction.class_mask.shape:
            raise TrainingDataError(f"The mask of {item.ref} does not have the size of its image.")
        metrics.add(truth, prediction.class_mask)
    return metrics.result()


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
        "patch_classifier_weight_decay": WEIGHT_DECAY,
        "max_background_patches": MAX_BACKGROUND_PATCHES,
    }


__all__ = ["AnomalyModel", "load_anomaly_model", "train_anomaly_model"]
