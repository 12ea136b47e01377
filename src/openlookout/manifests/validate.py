"""Rules over a whole dataset's lines (spec A.5.3): duplicates, one bucket, counts, sizes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from openlookout.errors import InvalidInputError
from openlookout.manifests.errors import ManifestError
from openlookout.manifests.limits import MAX_ANOMALY_LABELS_PER_PROJECT, max_images
from openlookout.manifests.lines import ManifestLine, split_s3_uri

SAME_DIMENSIONS_MESSAGE = "Images in the dataset must have the same dimensions."


def check_unique_sources(lines: Sequence[ManifestLine]) -> None:
    first_seen: dict[str, int] = {}
    for line in lines:
        if line.source_ref in first_seen:
            raise ManifestError(
                line.line_no,
                f"The image {line.source_ref} is already listed on line {first_seen[line.source_ref]}.",
            )
        first_seen[line.source_ref] = line.line_no


def check_single_bucket(lines: Sequence[ManifestLine], bucket: str | None = None) -> str | None:
    """All images and masks must share one bucket (``bucket`` when the dataset already has one).

    Returns the bucket, or None when there are no lines and none was given.
    """
    for line in lines:
        refs = [line.source_ref] + ([line.mask_ref] if line.mask_ref else [])
        for ref in refs:
            ref_bucket = split_s3_uri(ref)[0]
            if bucket is None:
                bucket = ref_bucket
            elif ref_bucket != bucket:
                raise ManifestError(
                    line.line_no,
                    f"{ref} is in bucket '{ref_bucket}', but all images and masks of a dataset "
                    f"must be in the same S3 bucket ('{bucket}').",
                )
    return bucket


def check_image_count(count: int, dataset_type: str, segmentation: bool) -> None:
    limit = max_images(dataset_type, segmentation)
    if count > limit:
        kind = "anomaly localization " if segmentation else ""
        raise InvalidInputError(
            f"The {dataset_type} dataset would have {count} images; "
            f"a {kind}{dataset_type} dataset may have at most {limit}."
        )


def check_project_label_count(class_names: Iterable[str]) -> None:
    names = set(class_names)
    if len(names) > MAX_ANOMALY_LABELS_PER_PROJECT:
        raise InvalidInputError(
            f"The project would have {len(names)} anomaly labels; "
            f"at most {MAX_ANOMALY_LABELS_PER_PROJECT} are allowed per project."
        )


def check_same_dimensions(images: Iterable[tuple[str, int, int]]) -> None:
    """``images`` are (description, width, height); the first one sets the expected size."""
    first: tuple[str, int, int] | None = None
    for name, width, height in images:
        if first is None:
            first = (name, width, height)
        elif (width, height) != first[1:]:
            raise InvalidInputError(
                f"{SAME_DIMENSIONS_MESSAGE} {name} is {width}x{height} pixels, "
                f"but {first[0]} is {first[1]}x{first[2]}."
            )
