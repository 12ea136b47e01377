"""One pass over the training images at a working size: bank candidates and calibration features.

Every normal image contributes sampled patches to the memory bank's candidates; a seeded
subset of each class (``calibration_images_limit``) keeps all its patches for held-out
scoring, and, for segmentation, its class mask and luma at the working resolution.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from openlookout.ml.api import LabeledImage, TrainingDataError
from openlookout.ml.features import PatchFeatureExtractor, grid_size, iter_patch_features
from openlookout.ml.imaging import as_rgb, resize_mask
from openlookout.ml.memory_bank import patches_per_image, sample_patches
from openlookout.ml.pixel_refine import grey

# Held-out scoring needs every patch of an image; beyond this many images per class the
# rest are used for the bank (normals) or skipped (anomalies) to bound memory and time.
MAX_CALIBRATION_IMAGES = 200
# ... and beyond this many of their patches (about 200 MB of features), so that large
# working sizes keep fewer calibration images, but never fewer than MIN_CALIBRATION_IMAGES.
MAX_CALIBRATION_PATCHES = 200 * 28 * 36
MIN_CALIBRATION_IMAGES = 40
SAME_SIZE_MESSAGE = "Images in the dataset must have the same dimensions."


class TrainingFeatures:
    """Per-image features kept from one pass over the training images."""

    def __init__(self) -> None:
        self.pool: dict[int, np.ndarray] = {}  # normal index -> sampled patches (bank candidates)
        self.full: dict[int, np.ndarray] = {}  # calibration image index -> all patches
        # Segmentation: calibration image index -> class mask at the working resolution,
        # and the image's luma there (for the pixel refiner).
        self.masks: dict[int, np.ndarray] = {}
        self.luma: dict[int, np.ndarray] = {}

    def bank_candidates(self, exclude: Callable[[int], bool] = lambda _: False) -> np.ndarray:
        """The sampled normal patches, in image order, of the images not excluded."""
        return np.concatenate([p for i, p in self.pool.items() if not exclude(i)])


def first_image(train: Sequence[LabeledImage]) -> np.ndarray:
    if not train:
        raise TrainingDataError("The training dataset has no labeled images.")
    return as_rgb(train[0].load())


def size_checker(expected: tuple[int, int]) -> Callable[[int, np.ndarray], None]:
    def check(_: int, rgb: np.ndarray) -> None:
        if rgb.shape[:2] != expected:
            raise TrainingDataError(SAME_SIZE_MESSAGE)

    return check


def calibration_images_limit(grid: tuple[int, int]) -> int:
    """Calibration images kept per class at this patch grid (features of all their patches are kept)."""
    by_patches = MAX_CALIBRATION_PATCHES // (grid[0] * grid[1])
    return max(MIN_CALIBRATION_IMAGES, min(MAX_CALIBRATION_IMAGES, by_patches))


class TrainingFeatureExtractor:
    """Extracts ``TrainingFeatures`` of one training set at any working size.

    ``first`` is the already decoded first image (its size is the one every image must
    have); ``segmentation`` also keeps masks and luma of the calibration images.
    """

    def __init__(
        self,
        extractor: PatchFeatureExtractor,
        train: Sequence[LabeledImage],
        first: np.ndarray,
        segmentation: bool,
        seed: int,
    ) -> None:
        self.extractor = extractor
        self._train = train
        self._first = first
        self._segmentation = segmentation
        self._seed = seed

    def at(
        self, size: tuple[int, int], on_image: Callable[[int, int], None] | None = None
    ) -> TrainingFeatures:
        """Features at ``size``; ``on_image(done, total)`` follows the pass (progress only)."""
        train, first = self._train, self._first
        rng = np.random.default_rng(self._seed)
        normals = [i for i, item in enumerate(train) if not item.is_anomaly]
        anomalies = [i for i, item in enumerate(train) if item.is_anomaly]
        limit = calibration_images_limit(grid_size(size))
        calibration_images = _calibration_subset(normals, limit, rng) | _calibration_subset(
            anomalies, limit, rng
        )
        wanted = [i for i in range(len(train)) if i in calibration_images or not train[i].is_anomaly]
        loaders = [(lambda: first) if i == 0 else train[i].load for i in wanted]
        rows, cols = grid_size(size)
        per_image = patches_per_image(len(normals), rows * cols)
        kept = TrainingFeatures()
        check = size_checker(first.shape[:2])
        lumas: dict[int, np.ndarray] = {}

        def keep_luma(position: int, rgb: np.ndarray) -> None:
            if self._segmentation and wanted[position] in calibration_images:
                lumas[position] = grey(rgb)

        stream = iter_patch_features(self.extractor, loaders, size, check=check, resized=keep_luma)
        for position, features in stream:
            if on_image is not None:
                on_image(position + 1, len(wanted))
            index = wanted[position]
            luma = lumas.pop(position, None)
            if index in calibration_images:
                kept.full[index] = features
                mask = _working_mask(train[index], first.shape[:2], size) if self._segmentation else None
                if mask is not None and luma is not None:
                    kept.masks[index] = mask
                    kept.luma[index] = luma
            if not train[index].is_anomaly:
                kept.pool[index] = sample_patches(features, per_image, rng)
        return kept


def _calibration_subset(indices: list[int], limit: int, rng: np.random.Generator) -> set[int]:
    if len(indices) <= limit:
        return set(indices)
    return set(rng.choice(indices, size=limit, replace=False).tolist())


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
