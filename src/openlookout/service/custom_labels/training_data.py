"""What a training run learns from: the project's datasets validated again, split when needed.

Without a TEST dataset the TRAIN dataset is split 80/20 with the same deterministic,
label-stratified rule as DistributeDatasetEntries (docs/custom_labels.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from openlookout.blobs.base import BlobStore
from openlookout.jobs.base import JobFailed
from openlookout.manifests.custom_labels import ManifestCheck, ValidatedLine
from openlookout.manifests.images import decode_image_rgb
from openlookout.ml.labels import LabelExample
from openlookout.service.custom_labels.datasets import choose_test_entries

AUTOSPLIT_MIN_IMAGES = 2  # one image to learn from and one to test on


@dataclass(frozen=True)
class TrainingSplit:
    train: list[ValidatedLine]
    test: list[ValidatedLine]
    auto_created: bool


def usable_lines(check: ManifestCheck) -> list[ValidatedLine]:
    """Lines training can use: no line-level error and at least one usable label."""
    return [line for line in check.lines if line.is_valid and line.labels and line.source_ref]


def split_lines(train: ManifestCheck, test: ManifestCheck | None) -> TrainingSplit:
    train_lines = usable_lines(train)
    if test is not None:
        return TrainingSplit(train_lines, usable_lines(test), auto_created=False)
    counts: dict[str, int] = {}
    for line in train_lines:
        for label in line.labels:
            counts[label] = counts.get(label, 0) + 1
    scarce = sorted(label for label, count in counts.items() if count < AUTOSPLIT_MIN_IMAGES)
    if scarce:
        raise JobFailed(
            "ERROR_INSUFFICIENT_IMAGES_PER_LABEL_FOR_AUTOSPLIT: splitting the training dataset needs at "
            f"least {AUTOSPLIT_MIN_IMAGES} images per label; too few for: {', '.join(scarce[:10])}."
        )
    labels_by_line = {n: sorted(line.labels) for n, line in enumerate(train_lines)}
    refs = {n: line.source_ref or "" for n, line in enumerate(train_lines)}
    chosen = set(choose_test_entries(labels_by_line, refs))
    return TrainingSplit(
        train=[line for n, line in enumerate(train_lines) if n not in chosen],
        test=[line for n, line in enumerate(train_lines) if n in chosen],
        auto_created=True,
    )


def _loader(blobs: BlobStore, source_ref: str) -> np.ndarray:
    bucket, key = source_ref[len("s3://") :].split("/", 1)
    return decode_image_rgb(blobs.get(bucket, key), source_ref)


def examples(blobs: BlobStore, lines: Sequence[ValidatedLine]) -> list[LabelExample]:
    """Examples whose images are read from the object store when the model needs them."""
    return [
        LabelExample(
            ref=line.source_ref or "",
            load=lambda ref=line.source_ref or "": _loader(blobs, ref),
            labels=tuple(sorted(line.labels)),
        )
        for line in lines
    ]
