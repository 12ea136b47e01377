"""The detection pieces of the Custom Labels service that need no model: which boxes a manifest
line contributes (as ratios), box matching for the evaluation manifest, and the
DetectCustomLabels selection rules (spec B.4-B.6)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from openlookout.blobs.local import LocalBlobStore
from openlookout.manifests.custom_labels import (
    OBJECT_LOCALIZATION,
    ManifestCheck,
    detection_truth,
    validate_line,
)
from openlookout.ml.detection.types import Box, Detection, DetectionPrediction
from openlookout.service.custom_labels import training_data
from openlookout.service.custom_labels.detection_response import select_detections
from openlookout.service.custom_labels.evaluation_detection import evaluated_line, true_positives
from openlookout.service.custom_labels.facade import CustomLabelsService

from .conftest import classification_line, detection_line, put_images, put_manifest


def test_usable_boxes_become_ratios_and_empty_images_count() -> None:
    line = detection_line("a.png", [("cat", 8, 16, 40, 32), ("dog", 70, 0, 20, 10)])  # 2nd box too wide
    empty = detection_line("b.png", [])
    check = ManifestCheck(
        [
            validate_line(json.dumps(d), n)
            for n, d in enumerate([line, empty, classification_line("c.png", "x")])
        ]
    )
    assert check.use_case == OBJECT_LOCALIZATION
    # Validation attached an error to the bad box; reading the truth again neither counts nor removes it.
    truth = detection_truth(check.lines[0].document or {})
    assert [box.label for box in truth.boxes] == ["cat"] and truth.image_size == (80, 64)
    assert "errors" in (check.lines[0].document or {})["bounding-box"]["annotations"][1]
    assert training_data.ratio_boxes(check.lines[0]) == [("cat", Box(0.1, 0.25, 0.5, 0.5))]

    usable = training_data.usable_lines(check, OBJECT_LOCALIZATION)
    assert [line.source_ref for line in usable] == ["s3://images/a.png", "s3://images/b.png"]
    assert [line.source_ref for line in training_data.usable_lines(check)] == [
        "s3://images/a.png",
        "s3://images/c.png",
    ]


def test_matching_and_evaluated_line() -> None:
    truth = [("cat", Box(0.1, 0.1, 0.4, 0.4)), ("dog", Box(0.6, 0.6, 0.3, 0.3))]
    detections = [
        Detection("cat", 0.9, Box(0.12, 0.1, 0.4, 0.4)),  # matches the cat
        Detection("cat", 0.8, Box(0.1, 0.12, 0.4, 0.4)),  # the cat is taken: a duplicate
        Detection("dog", 0.7, Box(0.1, 0.1, 0.4, 0.4)),  # right place for a cat, wrong label
        Detection("dog", 0.2, Box(0.6, 0.6, 0.3, 0.3)),  # below the dog's threshold
    ]
    assert true_positives(detections[:3], truth) == [True, False, False]

    document = detection_line("a.png", [("cat", 8, 6, 32, 26)])
    line = evaluated_line(
        document,
        truth,
        DetectionPrediction("s3://images/a.png", detections),
        {"cat": 0.5, "dog": 0.4},
        (80, 64),
        datetime(2024, 1, 2, tzinfo=UTC),
    )
    assert "bounding-box" not in line and "rekognition-custom-labels-training-0" in line
    boxes = line["rekognition-custom-labels-evaluation-0"]
    assert boxes["annotations"][0] == {"class_id": 0, "left": 10, "top": 6, "width": 32, "height": 26}
    meta = line["rekognition-custom-labels-evaluation-0-metadata"]
    assert meta["class-map"] == {"0": "cat", "1": "dog"}
    assert [o["confidence"] for o in meta["objects"]] == [0.9, 0.8, 0.7]
    details = [o["rekognition-custom-labels-evaluation-details"] for o in meta["objects"]]
    assert [d["is-true-positive"] for d in details] == [True, False, False]
    assert [d["is-false-positive"] for d in details] == [False, True, True]
    assert all(d["is-present-in-ground-truth"] for d in details)


def test_select_detections_rules() -> None:
    detections = [
        Detection("cat", 0.9, Box(0.1, 0.2, 0.3, 0.4)),
        Detection("dog", 0.3, Box(0.5, 0.5, 0.2, 0.2)),
        Detection("cat", 0.2, Box(0.6, 0.1, 0.1, 0.1)),
    ]
    thresholds = {"cat": 0.5, "dog": 0.25}
    default = select_detections(detections, thresholds, None, None)
    assert [(d["Name"], d["Confidence"]) for d in default] == [
        ("cat", pytest.approx(90)),
        ("dog", pytest.approx(30)),
    ]
    assert default[0]["Geometry"] == {"BoundingBox": {"Width": 0.3, "Height": 0.4, "Left": 0.1, "Top": 0.2}}
    assert len(select_detections(detections, thresholds, 0.0, None)) == 3
    assert [d["Name"] for d in select_detections(detections, thresholds, 25.0, None)] == ["cat", "dog"]
    assert [d["Confidence"] for d in select_detections(detections, thresholds, 0.0, 2)] == [
        pytest.approx(90),
        pytest.approx(30),
    ]


def test_box_dataset_whose_test_images_show_nothing_fails_before_training(
    service: CustomLabelsService, blobs: LocalBlobStore
) -> None:
    blobs.create_bucket("out")
    put_images(blobs, [f"d{i}.png" for i in range(4)])
    project = service.create_project("boxes")["ProjectArn"]
    train = [detection_line(f"d{i}.png", [("cat", 4, 4, 20, 20)]) for i in (0, 1)]
    nothing = [detection_line(f"d{i}.png", []) for i in (2, 3)]  # valid "no objects" images
    service.create_dataset(project, "TRAIN", put_manifest(blobs, "train.manifest", train))
    service.create_dataset(project, "TEST", put_manifest(blobs, "test.manifest", nothing))
    service.create_project_version(project, "v1", {"S3Bucket": "out"})
    found = service.describe_project_versions(project, version_names=["v1"])["ProjectVersionDescriptions"]
    assert found[0]["Status"] == "TRAINING_FAILED"
    assert found[0]["StatusMessage"].startswith("ERROR_INSUFFICIENT_USABLE_LABEL_OVERLAP"), found[0]
    summary = json.loads(blobs.get("out", found[0]["ManifestSummary"]["S3Object"]["Name"]))
    assert summary["statistics"]["training"]["use_case"] == OBJECT_LOCALIZATION
