"""Lookout for Vision dataset and image limits (spec A.5.3)."""

from __future__ import annotations

MIN_IMAGE_SIDE = 64
MAX_IMAGE_SIDE = 4096
# "8 MB" in the guide; read as MiB so no image the real service accepted is refused.
MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_MANIFEST_BYTES = 1024 * 1024 * 1024
MAX_TRAIN_IMAGES = 16_000
MAX_TEST_IMAGES = 4_000
MAX_SEGMENTATION_TRAIN_IMAGES = 8_000
MAX_SEGMENTATION_TEST_IMAGES = 800
MAX_ANOMALY_LABELS_PER_PROJECT = 100
MAX_ANOMALY_LABELS_PER_MASK = 20


def max_images(dataset_type: str, segmentation: bool) -> int:
    """Largest number of images a dataset of this type may hold."""
    if dataset_type == "test":
        return MAX_SEGMENTATION_TEST_IMAGES if segmentation else MAX_TEST_IMAGES
    return MAX_SEGMENTATION_TRAIN_IMAGES if segmentation else MAX_TRAIN_IMAGES
