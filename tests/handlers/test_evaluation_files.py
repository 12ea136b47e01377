from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from openlookout.jobs.base import JobFailed
from openlookout.ml.api import ImagePrediction, TrainResult
from openlookout.service.lookoutvision.evaluation_files import (
    EvaluatedImage,
    EvaluationTarget,
    utc_timestamp,
    write_evaluation_files,
)

from .conftest import World

ARN = "arn:aws:lookoutvision:us-east-1:123456789012:model/cookies/1"
END = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def result(model_type: str = "classification") -> TrainResult:
    metrics: dict[str, object] = {
        "ROCAUC": 0.95,
        "AveragePrecision": 0.9,
        "Precision": 1.0,
        "Recall": 0.5,
        "F1Score": 2 / 3,
    }
    if model_type == "segmentation":
        metrics["PixelAnomalyClassMetrics"] = [
            {"ClassName": "cracked", "Precision": 0.7, "Recall": 0.6, "F1Score": 0.65, "AIOU": 0.5}
        ]
    return TrainResult(
        metrics=metrics,
        predictions=[
            ImagePrediction(ref="s3://b/a.jpg", is_anomalous=True, confidence=0.97, score=3.2),
            ImagePrediction(ref="s3://b/n.jpg", is_anomalous=False, confidence=0.8, score=0.1),
        ],
        threshold=1.0,
        num_train=40,
        num_test=2,
        model_type=model_type,
    )


def evaluated_images() -> list[EvaluatedImage]:
    created = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    meta = {"class-name": "anomaly", "type": "groundtruth/image-classification", "human-annotated": "yes"}
    return [
        EvaluatedImage(
            {"source-ref": "s3://b/a.jpg", "anomaly-label": 1, "anomaly-label-metadata": meta}, created
        ),
        EvaluatedImage(
            {
                "source-ref": "s3://b/n.jpg",
                "source-ref-metadata": {"creation-date": "2020-01-01T00:00:00.000Z"},
                "anomaly-label": 0,
                "anomaly-label-metadata": {**meta, "class-name": "normal"},
            },
            created,
        ),
    ]


def target(prefix: str) -> EvaluationTarget:
    return EvaluationTarget(
        bucket="out", prefix=prefix, project_name="cookies", model_version=1, model_arn=ARN
    )


def test_keys_concatenate_the_prefix_without_a_slash(world: World) -> None:
    world.blobs.create_bucket("out")
    keys = write_evaluation_files(world.blobs, target("k_fold_"), result(), evaluated_images(), END)
    assert keys == ("k_fold_EvaluationResult-cookies-1.json", "k_fold_EvaluationManifest-cookies-1.json")
    keys = write_evaluation_files(world.blobs, target("my-output/"), result(), evaluated_images(), END)
    assert keys[0] == "my-output/EvaluationResult-cookies-1.json"
    assert world.blobs.head("out", keys[0]).size > 0


def test_evaluation_result_structure(world: World) -> None:
    world.blobs.create_bucket("out")
    result_key, _ = write_evaluation_files(world.blobs, target(""), result(), evaluated_images(), END)
    content = json.loads(world.blobs.get("out", result_key))
    assert content == {
        "Version": 1,
        "EvaluationDetails": {
            "ModelArn": ARN,
            "EvaluationEndTimestamp": "2024-05-06T07:08:09.123Z",
            "NumberOfTrainingImages": 40,
            "NumberOfTestingImages": 2,
        },
        "AggregatedEvaluationResults": {
            "Metrics": {
                "ROCAUC": 0.95,
                "AveragePrecision": 0.9,
                "Precision": 1.0,
                "Recall": 0.5,
                "F1Score": pytest.approx(2 / 3),
            }
        },
    }


def test_segmentation_result_has_pixel_metrics(world: World) -> None:
    world.blobs.create_bucket("out")
    result_key, _ = write_evaluation_files(
        world.blobs, target(""), result("segmentation"), evaluated_images(), END
    )
    metrics = json.loads(world.blobs.get("out", result_key))["AggregatedEvaluationResults"]["Metrics"]
    assert metrics["PixelAnomalyClassMetrics"] == [
        {"ClassName": "cracked", "Precision": 0.7, "Recall": 0.6, "F1Score": 0.65, "AIOU": 0.5}
    ]


def test_evaluation_manifest_lines(world: World) -> None:
    world.blobs.create_bucket("out")
    _, manifest_key = write_evaluation_files(world.blobs, target("p/"), result(), evaluated_images(), END)
    lines = [json.loads(t) for t in world.blobs.get("out", manifest_key).decode().splitlines()]
    assert [ln["source-ref"] for ln in lines] == ["s3://b/a.jpg", "s3://b/n.jpg"]
    assert lines[0]["source-ref-metadata"] == {"creation-date": "2024-01-02T03:04:05.000Z"}
    assert lines[1]["source-ref-metadata"] == {"creation-date": "2020-01-01T00:00:00.000Z"}  # kept
    assert lines[0]["anomaly-label-metadata"]["class-name"] == "anomaly"  # ground truth
    assert (lines[0]["anomaly-label-detected"], lines[1]["anomaly-label-detected"]) == (1, 0)
    detected = lines[1]["anomaly-label-detected-metadata"]
    assert detected == {
        "class-name": "normal",
        "confidence": 0.8,
        "type": "groundtruth/image-classification",
        "human-annotated": "no",
        "creation-date": "2024-05-06T07:08:09.123Z",
        "job-name": "openlookout-evaluation-cookies-1",
        "model-arn": ARN,
        "project-name": "cookies",
        "model-version": "1",
    }


def test_missing_output_bucket_fails_clearly(world: World) -> None:
    with pytest.raises(JobFailed, match="The output bucket 'out' does not exist"):
        write_evaluation_files(world.blobs, target(""), result(), evaluated_images(), END)


def test_utc_timestamp_converts_other_zones() -> None:
    from datetime import timedelta, timezone

    moment = datetime(2024, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert utc_timestamp(moment) == "2024-01-01T10:00:00.000Z"


def test_segmentation_lines_reference_predicted_mask_pngs(world: World) -> None:
    import io

    import numpy as np
    from PIL import Image

    from openlookout.service.lookoutvision.evaluation_files import ClassColour

    world.blobs.create_bucket("out")
    seg = result("segmentation")
    mask = np.zeros((4, 6), np.uint8)
    mask[1, 2:4] = 2
    seg.predictions[0].class_mask = mask
    seg.predictions[1].class_mask = np.zeros((4, 6), np.uint8)
    classes = [ClassColour("cracked", "#23A436"), ClassColour("dent", "#0000fF")]
    _, manifest_key = write_evaluation_files(world.blobs, target("p/"), seg, evaluated_images(), END, classes)
    lines = [json.loads(t) for t in world.blobs.get("out", manifest_key).decode().splitlines()]
    assert lines[0]["anomaly-mask-ref-detected"] == "s3://out/p/EvaluationMasks-cookies-1/b/a.jpg.png"
    assert lines[0]["anomaly-mask-ref-detected-metadata"] == {
        "internal-color-map": {
            "0": {"class-name": "BACKGROUND", "hex-color": "#000000"},
            "1": {"class-name": "cracked", "hex-color": "#23A436"},
            "2": {"class-name": "dent", "hex-color": "#0000fF"},
        },
        "type": "groundtruth/semantic-segmentation",
        "human-annotated": "no",
        "creation-date": "2024-05-06T07:08:09.123Z",
        "job-name": "openlookout-evaluation-cookies-1",
        "model-arn": ARN,
        "project-name": "cookies",
        "model-version": "1",
    }
    png = world.blobs.get("out", "p/EvaluationMasks-cookies-1/b/a.jpg.png")
    pixels = np.asarray(Image.open(io.BytesIO(png)))
    assert pixels.shape == (4, 6, 3)
    assert pixels[1, 2].tolist() == [0, 0, 255] and pixels[0, 0].tolist() == [0, 0, 0]
    assert int((pixels.sum(axis=-1) > 0).sum()) == 2
    assert world.blobs.head("out", "p/EvaluationMasks-cookies-1/b/n.jpg.png").size > 0


def test_classification_lines_have_no_mask(world: World) -> None:
    world.blobs.create_bucket("out")
    _, manifest_key = write_evaluation_files(world.blobs, target(""), result(), evaluated_images(), END)
    lines = [json.loads(t) for t in world.blobs.get("out", manifest_key).decode().splitlines()]
    assert not any("anomaly-mask-ref-detected" in line for line in lines)
    assert not world.blobs.list("out", prefix="EvaluationMasks-").objects
