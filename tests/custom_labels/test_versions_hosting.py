"""StartProjectVersion / StopProjectVersion / DetectCustomLabels on the embedded model host
(real unit processes) with a model trained on generated textures."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from openlookout.blobs.local import LocalBlobStore
from openlookout.errors import ConflictError, InvalidInputError
from openlookout.service.custom_labels.errors import InvalidS3ObjectError, NotReadyError
from openlookout.service.custom_labels.facade import CustomLabelsService
from openlookout.service.custom_labels.hosting import select_labels
from openlookout.service.custom_labels.image_errors import ImageTooLargeError, InvalidImageFormatError
from openlookout.store.custom_labels_tables import CLProjectVersion
from openlookout.store.db import write_session

from .conftest import IMAGES
from .test_training_model import TEXTURES, texture_png
from .test_versions import create_version, describe_one, make_project, read_json

START_TIMEOUT_S = 180


@pytest.fixture
def hosted_service(service: CustomLabelsService) -> Iterator[CustomLabelsService]:
    yield service
    service.hosting.shutdown()


def wait_status(service: CustomLabelsService, project: str, name: str, wanted: str) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        described = describe_one(service, project, name)
        if described["Status"] not in ("STARTING", "STOPPING") or time.monotonic() > deadline:
            assert described["Status"] == wanted, described
            return described
        time.sleep(0.2)


def test_select_labels_rules() -> None:
    scores = {"a": 0.7, "b": 0.2, "c": 0.1}
    thresholds = {"a": 0.8, "b": 0.15, "c": 0.5}
    # Omitted MinConfidence: each label against its own assumed threshold.
    assert [r["Name"] for r in select_labels(scores, thresholds, None, None)] == ["b"]
    every = select_labels(scores, thresholds, 0.0, None)
    assert [r["Name"] for r in every] == ["a", "b", "c"]
    assert every[0]["Confidence"] == pytest.approx(70.0)
    assert [r["Name"] for r in select_labels(scores, thresholds, 15.0, None)] == ["a", "b"]
    assert [r["Name"] for r in select_labels(scores, thresholds, 0.0, 2)] == ["a", "b"]


def test_start_detect_stop(hosted_service: CustomLabelsService, blobs: LocalBlobStore) -> None:
    service = hosted_service
    project = make_project(service, blobs)
    arn = create_version(service, project)
    image = {"Bytes": texture_png("stripes", 900)}
    with pytest.raises(NotReadyError):
        service.detect_custom_labels(arn, image)
    with pytest.raises(InvalidInputError, match="MaxInferenceUnits"):
        service.start_project_version(arn, 2, 1)

    assert service.start_project_version(arn, 1) == {"Status": "STARTING"}
    described = wait_status(service, project, "v1", "RUNNING")
    assert described["MinInferenceUnits"] == 1
    with pytest.raises(ConflictError):
        service.start_project_version(arn, 1)
    with pytest.raises(ConflictError, match="stop it"):
        service.delete_project_version(arn)

    everything = service.detect_custom_labels(arn, image, min_confidence=0)["CustomLabels"]
    assert everything[0]["Name"] == "stripes"
    assert sorted(label["Name"] for label in everything) == sorted(TEXTURES)
    confidences = [label["Confidence"] for label in everything]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(100.0, abs=0.01)
    assert all("Geometry" not in label for label in everything)
    assert len(service.detect_custom_labels(arn, image, max_results=1, min_confidence=0)["CustomLabels"]) == 1

    summary = read_json(blobs, described["EvaluationResult"]["Summary"]["S3Object"])
    thresholds = {r["Label"]: r["Metrics"]["Threshold"] for r in summary["LabelEvaluationResults"]}
    default = service.detect_custom_labels(arn, image)["CustomLabels"]
    assert [label["Name"] for label in default] == [
        label["Name"] for label in everything if label["Confidence"] >= thresholds[label["Name"]] * 100
    ]
    assert default and default[0]["Name"] == "stripes"

    blobs.put(IMAGES, "query/dots.png", texture_png("dots", 901))
    from_s3 = service.detect_custom_labels(arn, {"S3Object": {"Bucket": IMAGES, "Name": "query/dots.png"}})
    assert from_s3["CustomLabels"][0]["Name"] == "dots"
    with pytest.raises(InvalidS3ObjectError):
        service.detect_custom_labels(arn, {"S3Object": {"Bucket": IMAGES, "Name": "query/missing.png"}})
    with pytest.raises(ImageTooLargeError):
        service.detect_custom_labels(arn, {"Bytes": b"\x89PNG\r\n\x1a\n" + bytes(4 * 1024 * 1024)})
    gif = io.BytesIO()
    Image.fromarray(np.zeros((80, 80, 3), dtype=np.uint8)).save(gif, format="GIF")
    with pytest.raises(InvalidImageFormatError):
        service.detect_custom_labels(arn, {"Bytes": gif.getvalue()})
    with pytest.raises(InvalidInputError, match="64 to 4096"):
        service.detect_custom_labels(arn, {"Bytes": texture_png("dots", 1, size=32)})

    assert service.stop_project_version(arn) == {"Status": "STOPPING"}
    wait_status(service, project, "v1", "STOPPED")
    with pytest.raises(NotReadyError):
        service.detect_custom_labels(arn, image)
    with pytest.raises(ConflictError, match="RUNNING"):
        service.stop_project_version(arn)
    assert service.delete_project_version(arn) == {"Status": "DELETING"}


def test_restore_settles_interrupted_stops(service: CustomLabelsService, blobs: LocalBlobStore) -> None:
    project = make_project(service, blobs)
    arn = create_version(service, project)
    with write_session(service.sessions) as session:
        version = session.query(CLProjectVersion).filter_by(arn=arn).one()
        version.status = "STOPPING"
    service.hosting.restore()
    assert describe_one(service, project, "v1")["Status"] == "STOPPED"
