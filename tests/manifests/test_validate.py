from __future__ import annotations

import json

import pytest

from openlookout.errors import InvalidInputError
from openlookout.manifests import ManifestError, parse_line
from openlookout.manifests.validate import (
    check_image_count,
    check_project_label_count,
    check_same_dimensions,
    check_single_bucket,
    check_unique_sources,
)


def make(ref: str, line_no: int, mask: str | None = None):
    obj: dict[str, object] = {"source-ref": ref}
    if mask:
        obj["anomaly-mask-ref"] = mask
        obj["anomaly-mask-ref-metadata"] = {
            "internal-color-map": {"0": {"class-name": "c", "hex-color": "#ff0000"}},
            "type": "groundtruth/semantic-segmentation",
            "human-annotated": "yes",
        }
    return parse_line(json.dumps(obj), line_no)


def test_duplicate_source_ref_names_both_lines() -> None:
    lines = [make("s3://b/1.jpg", 1), make("s3://b/2.jpg", 2), make("s3://b/1.jpg", 5)]
    with pytest.raises(ManifestError, match=r"^Line 5: The image s3://b/1.jpg is already listed on line 1\."):
        check_unique_sources(lines)


def test_images_and_masks_must_share_one_bucket() -> None:
    assert check_single_bucket([make("s3://b/1.jpg", 1, "s3://b/1.png")]) == "b"
    with pytest.raises(ManifestError, match=r"^Line 2: s3://other/1.png is in bucket 'other'"):
        check_single_bucket([make("s3://b/1.jpg", 1), make("s3://b/2.jpg", 2, "s3://other/1.png")])
    with pytest.raises(ManifestError, match="must be in the same S3 bucket \\('old'\\)"):
        check_single_bucket([make("s3://b/1.jpg", 1)], bucket="old")


def test_image_count_limits() -> None:
    check_image_count(16_000, "train", segmentation=False)
    check_image_count(4_000, "test", segmentation=False)
    with pytest.raises(InvalidInputError, match="at most 16000"):
        check_image_count(16_001, "train", segmentation=False)
    with pytest.raises(InvalidInputError, match="at most 4000"):
        check_image_count(4_001, "test", segmentation=False)
    with pytest.raises(InvalidInputError, match="at most 800"):
        check_image_count(801, "test", segmentation=True)


def test_project_label_limit() -> None:
    check_project_label_count(f"c{i}" for i in range(100))
    with pytest.raises(InvalidInputError, match="101 anomaly labels"):
        check_project_label_count(f"c{i}" for i in range(101))


def test_same_dimensions_names_the_odd_image() -> None:
    check_same_dimensions([("a", 10, 20), ("b", 10, 20)])
    with pytest.raises(InvalidInputError) as info:
        check_same_dimensions([("a", 10, 20), ("b", 10, 20), ("c", 20, 10)])
    assert info.value.message == (
        "Images in the dataset must have the same dimensions. c is 20x10 pixels, but a is 10x20."
    )
