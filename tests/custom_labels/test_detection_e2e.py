"""Object detection through Custom Labels end to end: a real server, current boto3's
``rekognition`` and ``s3`` clients, generated images with known boxes.

30 images of 128x128 px with one or two coloured rectangles ("square": a red square,
"bar": a long blue bar; two images have no objects) form the TRAIN dataset; training
splits it 80/20. One trained version serves every test of this module: training outputs
(summary with AveragePrecision/AverageRecall, evaluation manifest), then StartProjectVersion
→ DetectCustomLabels (boxes near the truth, MinConfidence/MaxResults rules) → Stop.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from botocore.config import Config
from botocore.exceptions import WaiterError
from PIL import Image

from e2e.clients.connect import NO_RETRIES, s3_client, session_for
from support.server import client_config, start_server

BUCKET = "cl-shapes"
PROJECT = "cl-shapes"
OUTPUT_PREFIX = "shapes-output/"
SIZE = 128
IMAGES = 30
FAST_WAIT = {"Delay": 1, "MaxAttempts": 900}  # the AWS defaults poll every 120 s / 30 s
LABELS = ("bar", "square")

Rect = tuple[str, int, int, int, int]  # label, left, top, width, height in pixels


def _shape(label: str, rng: np.random.Generator) -> tuple[int, int]:
    if label == "square":
        side = int(rng.integers(28, 41))
        return side, side
    return int(rng.integers(60, 76)), int(rng.integers(12, 17))


def _overlaps(a: Rect, b: Rect, gap: int = 4) -> bool:
    return not (
        a[1] + a[3] + gap <= b[1]
        or b[1] + b[3] + gap <= a[1]
        or a[2] + a[4] + gap <= b[2]
        or b[2] + b[4] + gap <= a[2]
    )


def scene(seed: int, labels: tuple[str, ...]) -> tuple[bytes, list[Rect]]:
    """A PNG of noisy grey with one filled rectangle per label, none overlapping, and its boxes."""
    rng = np.random.default_rng(seed)
    image = rng.normal(rng.integers(100, 160), 12, size=(SIZE, SIZE, 3))
    rects: list[Rect] = []
    for label in labels:
        width, height = _shape(label, rng)
        while True:
            left, top = int(rng.integers(2, SIZE - width - 2)), int(rng.integers(2, SIZE - height - 2))
            rect = (label, left, top, width, height)
            if not any(_overlaps(rect, other) for other in rects):
                break
        colour = np.array([210, 40, 40] if label == "square" else [40, 70, 215]) + rng.integers(-20, 21, 3)
        image[top : top + height, left : left + width] = colour + rng.normal(0, 6, size=(height, width, 3))
        rects.append(rect)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue(), rects


def scene_labels(n: int) -> tuple[str, ...]:
    """Squares alone, bars alone, both, and (n = 7, 22) nothing, in a fixed pattern."""
    if n in (7, 22):
        return ()
    return (("square",), ("bar",), ("square", "bar"))[n % 3]


def manifest_line(key: str, rects: list[Rect]) -> str:
    class_ids = {label: n for n, label in enumerate(LABELS)}
    return json.dumps(
        {
            "source-ref": f"s3://{BUCKET}/{key}",
            "shapes": {
                "image_size": [{"width": SIZE, "height": SIZE, "depth": 3}],
                "annotations": [
                    {"class_id": class_ids[label], "left": left, "top": top, "width": w, "height": h}
                    for label, left, top, w, h in rects
                ],
            },
            "shapes-metadata": {
                "objects": [{"confidence": 1} for _ in rects],
                "class-map": {str(n): label for label, n in class_ids.items()},
                "type": "groundtruth/object-detection",
                "human-annotated": "yes",
                "creation-date": "2024-06-01T09:00:00.000Z",
                "job-name": "shape-boxes",
            },
        }
    )


def iou(box: dict[str, float], rect: Rect) -> float:
    """IoU of a BoundingBox (ratios) and a pixel rectangle of a SIZE x SIZE image."""
    _, left, top, width, height = rect
    ax0, ay0 = box["Left"] * SIZE, box["Top"] * SIZE
    ax1, ay1 = ax0 + box["Width"] * SIZE, ay0 + box["Height"] * SIZE
    w = max(0.0, min(ax1, left + width) - max(ax0, left))
    h = max(0.0, min(ay1, top + height) - max(ay0, top))
    inter = w * h
    return inter / (box["Width"] * box["Height"] * SIZE * SIZE + width * height - inter)


def read_json(s3: Any, s3_object: dict[str, str]) -> Any:
    return json.loads(s3.get_object(Bucket=s3_object["Bucket"], Key=s3_object["Name"])["Body"].read())


def read_lines(s3: Any, asset: dict[str, Any]) -> list[dict[str, Any]]:
    target = asset["GroundTruthManifest"]["S3Object"]
    body = s3.get_object(Bucket=target["Bucket"], Key=target["Name"])["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def describe(client: Any, project: str) -> dict[str, Any]:
    found = client.describe_project_versions(ProjectArn=project, VersionNames=["v1"])
    description: dict[str, Any] = found["ProjectVersionDescriptions"][0]
    return description


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    server = start_server(tmp_path_factory.mktemp("openlookout-detection"), "detection")
    config = {**client_config(server, Path(".")), "data_path": None}
    rekognition = session_for(config).client(
        "rekognition",
        endpoint_url=config["endpoint"],
        config=Config(retries=NO_RETRIES, connect_timeout=10, read_timeout=120),
    )
    yield rekognition, s3_client(config)
    server.stop()


@pytest.fixture(scope="module")
def trained(clients: tuple[Any, Any]) -> dict[str, Any]:
    """The project and its trained version v1 (training splits the TRAIN dataset 80/20)."""
    rekognition, s3 = clients
    s3.create_bucket(Bucket=BUCKET)
    truth: dict[str, list[Rect]] = {}
    for n in range(IMAGES):
        data, rects = scene(n, scene_labels(n))
        key = f"images/shape-{n:02d}.png"
        s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        truth[key] = rects
    manifest = "".join(manifest_line(key, rects) + "\n" for key, rects in truth.items())
    s3.put_object(Bucket=BUCKET, Key="train.manifest", Body=manifest.encode())
    project = rekognition.create_project(ProjectName=PROJECT)["ProjectArn"]
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Name": "train.manifest"}}}
    dataset = rekognition.create_dataset(ProjectArn=project, DatasetType="TRAIN", DatasetSource=source)
    deadline = time.monotonic() + 120
    while (status := rekognition.describe_dataset(DatasetArn=dataset["DatasetArn"])["DatasetDescription"])[
        "Status"
    ] == "CREATE_IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.3)
    assert status["Status"] == "CREATE_COMPLETE", status

    started = time.monotonic()
    version = rekognition.create_project_version(
        ProjectArn=project,
        VersionName="v1",
        OutputConfig={"S3Bucket": BUCKET, "S3KeyPrefix": OUTPUT_PREFIX},
    )["ProjectVersionArn"]
    try:
        rekognition.get_waiter("project_version_training_completed").wait(
            ProjectArn=project, VersionNames=["v1"], WaiterConfig=FAST_WAIT
        )
    except WaiterError:
        pytest.fail(f"training did not complete: {describe(rekognition, project).get('StatusMessage')}")
    print(f"detection version trained in {time.monotonic() - started:.1f} s")
    return {"project": project, "version": version, "truth": truth}


@pytest.mark.slow
def test_detection_training_outputs(clients: tuple[Any, Any], trained: dict[str, Any]) -> None:
    rekognition, s3 = clients
    description = describe(rekognition, trained["project"])
    assert description["Status"] == "TRAINING_COMPLETED", description.get("StatusMessage")
    assert description["TestingDataResult"]["Output"]["AutoCreate"] is True
    manifest_summary = read_json(s3, description["ManifestSummary"]["S3Object"])
    assert manifest_summary["statistics"]["training"]["use_case"] == "OBJECT_LOCALIZATION"

    summary_object = description["EvaluationResult"]["Summary"]["S3Object"]
    assert summary_object["Name"] == f"{OUTPUT_PREFIX}EvaluationResultSummary-{PROJECT}-v1.json"
    summary = read_json(s3, summary_object)
    details = summary["EvaluationDetails"]
    assert sorted(details["Labels"]) == sorted(LABELS)
    assert details["NumberOfTrainingImages"] == 24 and details["NumberOfTestingImages"] == 6
    aggregated = summary["AggregatedEvaluationResults"]
    assert set(aggregated) == {"Precision", "Recall", "F1Score", "AveragePrecision", "AverageRecall"}
    assert all(0.0 <= value <= 1.0 for value in aggregated.values())
    assert description["EvaluationResult"]["F1Score"] == pytest.approx(aggregated["F1Score"])
    assert aggregated["AveragePrecision"] >= 0.5, aggregated  # large, plain shapes: an easy task
    per_label = summary["LabelEvaluationResults"]
    assert sorted(item["Label"] for item in per_label) == sorted(LABELS)
    f1s = [item["Metrics"]["F1Score"] for item in per_label]
    assert f1s == sorted(f1s, reverse=True)
    for item in per_label:
        assert set(item["Metrics"]) == {"Threshold", "Precision", "Recall", "F1Score"}
        assert 0.0 <= item["Metrics"]["Threshold"] <= 1.0
        assert item["NumberOfTestingImages"] >= 1

    training = read_lines(s3, description["TrainingDataResult"]["Output"]["Assets"][0])
    assert len(training) == 24
    assert all("rekognition-custom-labels-training-0" in line and "shapes" not in line for line in training)
    testing = read_lines(s3, description["TestingDataResult"]["Output"]["Assets"][0])
    assert len(testing) == 6
    hits = 0
    for line in testing:
        truth_labels = {label for label, *_ in trained["truth"][line["source-ref"].split("/", 3)[3]]}
        boxes = line["rekognition-custom-labels-evaluation-0"]
        meta = line["rekognition-custom-labels-evaluation-0-metadata"]
        assert boxes["image_size"] == [{"width": SIZE, "height": SIZE, "depth": 3}]
        assert meta["type"] == "groundtruth/object-detection" and meta["human-annotated"] == "no"
        assert len(meta["objects"]) == len(boxes["annotations"])
        confidences = [item["confidence"] for item in meta["objects"]]
        assert confidences == sorted(confidences, reverse=True)
        for annotation, item in zip(boxes["annotations"], meta["objects"], strict=True):
            assert set(annotation) == {"class_id", "left", "top", "width", "height"}
            label = meta["class-map"][str(annotation["class_id"])]
            evaluation = item["rekognition-custom-labels-evaluation-details"]
            assert evaluation["version"] == 1
            assert evaluation["is-true-positive"] != evaluation["is-false-positive"]
            assert evaluation["is-present-in-ground-truth"] == (label in truth_labels)
            assert evaluation["ground-truth-labelling-jobs"] == ["shape-boxes"]
            hits += evaluation["is-true-positive"]
    assert hits >= 3


@pytest.mark.slow
def test_detection_hosting(clients: tuple[Any, Any], trained: dict[str, Any]) -> None:
    rekognition, s3 = clients
    project, version = trained["project"], trained["version"]
    assert rekognition.start_project_version(ProjectVersionArn=version, MinInferenceUnits=1)["Status"] == (
        "STARTING"
    )
    rekognition.get_waiter("project_version_running").wait(
        ProjectArn=project, VersionNames=["v1"], WaiterConfig=FAST_WAIT
    )
    summary = read_json(s3, describe(rekognition, project)["EvaluationResult"]["Summary"]["S3Object"])
    thresholds = {item["Label"]: item["Metrics"]["Threshold"] for item in summary["LabelEvaluationResults"]}

    # A clear case: one large square in an image never seen in training.
    data, rects = scene(1000, ("square",))
    everything = rekognition.detect_custom_labels(
        ProjectVersionArn=version, Image={"Bytes": data}, MinConfidence=0
    )["CustomLabels"]
    confidences = [item["Confidence"] for item in everything]
    assert everything and confidences == sorted(confidences, reverse=True)
    for item in everything:
        box = item["Geometry"]["BoundingBox"]
        assert set(box) == {"Width", "Height", "Left", "Top"}
        assert all(0.0 <= value <= 1.0 for value in box.values())
        assert 0.0 <= item["Confidence"] <= 100.0
    best_square = next(item for item in everything if item["Name"] == "square")
    assert iou(best_square["Geometry"]["BoundingBox"], rects[0]) > 0.5, (everything[:3], rects)

    # MinConfidence omitted: each box against its label's assumed threshold.
    default = rekognition.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": data})[
        "CustomLabels"
    ]
    expected = [item for item in everything if item["Confidence"] >= thresholds[item["Name"]] * 100 - 1e-6]
    assert [(i["Name"], round(i["Confidence"], 3)) for i in default] == [
        (i["Name"], round(i["Confidence"], 3)) for i in expected
    ]
    assert default and default[0]["Name"] == "square"
    # Given: only that bound applies; MaxResults keeps the most confident.
    bound = 50.0
    above = rekognition.detect_custom_labels(
        ProjectVersionArn=version, Image={"Bytes": data}, MinConfidence=bound
    )["CustomLabels"]
    assert [i["Name"] for i in above] == [i["Name"] for i in everything if i["Confidence"] >= bound]
    top = rekognition.detect_custom_labels(
        ProjectVersionArn=version, Image={"Bytes": data}, MinConfidence=0, MaxResults=1
    )["CustomLabels"]
    assert len(top) == 1 and top[0]["Name"] == everything[0]["Name"]

    # Both labels, the image read from S3.
    data, rects = scene(1001, ("square", "bar"))
    s3.put_object(Bucket=BUCKET, Key="queries/both.png", Body=data)
    found = rekognition.detect_custom_labels(
        ProjectVersionArn=version, Image={"S3Object": {"Bucket": BUCKET, "Name": "queries/both.png"}}
    )["CustomLabels"]
    for rect in rects:
        assert any(
            item["Name"] == rect[0] and iou(item["Geometry"]["BoundingBox"], rect) > 0.5 for item in found
        ), (rect, found)

    assert rekognition.stop_project_version(ProjectVersionArn=version)["Status"] == "STOPPING"
    deadline = time.monotonic() + 60
    while describe(rekognition, project)["Status"] == "STOPPING" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert describe(rekognition, project)["Status"] == "STOPPED"
