"""What a training run learns from: the project's datasets validated again, split when needed.

Without a TEST dataset the TRAIN dataset is split 80/20 with the same deterministic,
label-stratified rule as DistributeDatasetEntries (docs/custom_labels.md). A training set
with bounding boxes (use case OBJECT_LOCALIZATION) trains a detector: its examples are the
lines with usable boxes plus the lines whose detection attribute has no boxes ("nothing
here"); lines with only image-level labels are left out of it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from PIL import Image

from openlookout.blobs.base import BlobStore
from openlookout.jobs.base import JobFailed
from openlookout.manifests.custom_labels import (
    IMAGE_LEVEL_LABELS,
    OBJECT_LOCALIZATION,
    ManifestCheck,
    ValidatedLine,
    detection_truth,
)
from openlookout.manifests.images import decode_image_rgb
from openlookout.ml.detection.types import Box, DetectionExample
from openlookout.ml.labels import LabelExample
from openlookout.service.custom_labels.datasets import choose_test_entries

AUTOSPLIT_MIN_IMAGES = 2  # one image to learn from and one to test on


@dataclass(frozen=True)
class TrainingSplit:
    train: list[ValidatedLine]
    test: list[ValidatedLine]
    auto_created: bool


def _teaches_detection(line: ValidatedLine) -> bool:
    assert line.document is not None
    return line.empty_detection or bool(detection_truth(line.document).boxes)


def usable_lines(check: ManifestCheck, use_case: str = IMAGE_LEVEL_LABELS) -> list[ValidatedLine]:
    """Lines training can use: no line-level error, and a usable label (image-level use case)
    or usable boxes or an explicit "no objects" detection attribute (OBJECT_LOCALIZATION)."""
    labeled = [line for line in check.lines if line.labeled and line.source_ref]
    if use_case == OBJECT_LOCALIZATION:
        return [line for line in labeled if _teaches_detection(line)]
    return [line for line in labeled if line.labels]


def split_lines(
    train: ManifestCheck, test: ManifestCheck | None, use_case: str = IMAGE_LEVEL_LABELS
) -> TrainingSplit:
    train_lines = usable_lines(train, use_case)
    if test is not None:
        return TrainingSplit(train_lines, usable_lines(test, use_case), auto_created=False)
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
            load=partial(_loader, blobs, line.source_ref or ""),
            labels=tuple(sorted(line.labels)),
        )
        for line in lines
    ]


def ratio_boxes(line: ValidatedLine) -> list[tuple[str, Box]]:
    """The line's usable boxes as ratios of the ``image_size`` their attribute declares."""
    assert line.document is not None
    return [
        (
            box.label,
            Box(
                left=box.left / box.image_width,
                top=box.top / box.image_height,
                width=box.width / box.image_width,
                height=box.height / box.image_height,
            ),
        )
        for box in detection_truth(line.document).boxes
    ]


def detection_examples(blobs: BlobStore, lines: Sequence[ValidatedLine]) -> list[DetectionExample]:
    """Detection examples (boxes as ratios, [] = no objects); images are read when needed."""
    return [
        DetectionExample(
            ref=line.source_ref or "",
            load=partial(_loader, blobs, line.source_ref or ""),
            boxes=ratio_boxes(line),
        )
        for line in lines
    ]


def image_size(blobs: BlobStore, line: ValidatedLine) -> tuple[int, int]:
    """(width, height) of a line's image: the declared ``image_size``, else the image's own."""
    assert line.document is not None
    declared = detection_truth(line.document).image_size
    if declared is not None:
        return declared
    bucket, key = (line.source_ref or "")[len("s3://") :].split("/", 1)
    with Image.open(io.BytesIO(blobs.get(bucket, key))) as image:
        return image.size
