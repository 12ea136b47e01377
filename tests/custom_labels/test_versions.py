"""CreateProjectVersion → training job → DescribeProjectVersions, and DeleteProjectVersion,
through the real facade with an inline job runner (tests/custom_labels/conftest.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openlookout.blobs.local import LocalBlobStore
from openlookout.errors import ConflictError, InvalidInputError, NotFoundError
from openlookout.service.custom_labels.facade import CustomLabelsService

from .conftest import IMAGES, InlineRunner, classification_line, detection_line, put_images, put_manifest
from .test_training_model import TEXTURES, texture_png

OUTPUT = "model-output"
PREFIX = "runs/"


def put_textures(blobs: LocalBlobStore, split: str, per_label: int, first_seed: int) -> list[dict[str, Any]]:
    lines = []
    for kind in TEXTURES:
        for seed in range(first_seed, first_seed + per_label):
            name = f"{split}/{kind}-{seed}.png"
            blobs.put(IMAGES, name, texture_png(kind, seed))
            lines.append(classification_line(name, kind))
    return lines


def make_project(
    service: CustomLabelsService, blobs: LocalBlobStore, name: str = "textures", with_test: bool = True
) -> str:
    if not blobs.bucket_exists(OUTPUT):
        blobs.create_bucket(OUTPUT)
    project = service.create_project(name)["ProjectArn"]
    train = put_textures(blobs, "train", 8, 0)
    service.create_dataset(project, "TRAIN", put_manifest(blobs, f"{name}-train.manifest", train))
    if with_test:
        test = put_textures(blobs, "test", 3, 100)
        service.create_dataset(project, "TEST", put_manifest(blobs, f"{name}-test.manifest", test))
    return project


def create_version(service: CustomLabelsService, project: str, name: str = "v1", **extra: Any) -> str:
    output = {"S3Bucket": OUTPUT, "S3KeyPrefix": PREFIX}
    return service.create_project_version(project, name, output, **extra)["ProjectVersionArn"]


def describe_one(service: CustomLabelsService, project: str, name: str) -> dict[str, Any]:
    found = service.describe_project_versions(project, version_names=[name])["ProjectVersionDescriptions"]
    assert len(found) == 1
    return found[0]


def read_json(blobs: LocalBlobStore, s3_object: dict[str, str]) -> Any:
    return json.loads(blobs.get(s3_object["Bucket"], s3_object["Name"]))


def read_lines(blobs: LocalBlobStore, asset: dict[str, Any]) -> list[dict[str, Any]]:
    s3 = asset["GroundTruthManifest"]["S3Object"]
    return [json.loads(line) for line in blobs.get(s3["Bucket"], s3["Name"]).decode().splitlines()]


def test_training_with_train_and_test_datasets(service: CustomLabelsService, blobs: LocalBlobStore) -> None:
    project = make_project(service, blobs)
    arn = create_version(service, project, "v1", version_description="first try", tags={"team": "qa"})
    described = describe_one(service, project, "v1")
    assert described["ProjectVersionArn"] == arn and arn.split("/")[3] == "v1"
    assert described["Status"] == "TRAINING_COMPLETED", described["StatusMessage"]
    assert described["OutputConfig"] == {"S3Bucket": OUTPUT, "S3KeyPrefix": PREFIX}
    assert described["BillableTrainingTimeInSeconds"] >= 1
    assert described["TrainingEndTimestamp"] >= described["CreationTimestamp"]
    assert described["Feature"] == "CUSTOM_LABELS"
    assert described["VersionDescription"] == "first try"
    assert service.list_tags_for_resource(arn)["Tags"] == {"team": "qa"}

    evaluation = described["EvaluationResult"]
    assert evaluation["F1Score"] >= 0.9
    summary_object = evaluation["Summary"]["S3Object"]
    assert summary_object == {"Bucket": OUTPUT, "Name": f"{PREFIX}EvaluationResultSummary-textures-v1.json"}
    summary = read_json(blobs, summary_object)
    details = summary["EvaluationDetails"]
    assert details["ProjectVersionArn"] == arn
    assert details["Labels"] == sorted(TEXTURES)
    assert (details["NumberOfTrainingImages"], details["NumberOfTestingImages"]) == (24, 9)
    aggregated = summary["AggregatedEvaluationResults"]
    assert aggregated["F1Score"] == pytest.approx(evaluation["F1Score"])
    assert sum(cell["Value"] for cell in aggregated["ConfusionMatrix"]) == 9
    per_label = summary["LabelEvaluationResults"]
    assert [r["Metrics"]["F1Score"] for r in per_label] == sorted(
        (r["Metrics"]["F1Score"] for r in per_label), reverse=True
    )
    assert all(0 < r["Metrics"]["Threshold"] < 1 and r["NumberOfTestingImages"] == 3 for r in per_label)

    manifest_summary = read_json(blobs, described["ManifestSummary"]["S3Object"])
    assert manifest_summary["statistics"]["training"]["valid_json_lines"] == 24
    assert manifest_summary["statistics"]["testing"]["valid_json_lines"] == 9
    assert manifest_summary["errors"] == []
    assert len(read_lines(blobs, described["TrainingDataResult"]["Validation"]["Assets"][0])) == 24
    assert len(read_lines(blobs, described["TestingDataResult"]["Validation"]["Assets"][0])) == 9
    assert described["TestingDataResult"]["Input"]["AutoCreate"] is False

    training_lines = read_lines(blobs, described["TrainingDataResult"]["Output"]["Assets"][0])
    assert len(training_lines) == 24
    assert "rekognition-custom-labels-training-0" in training_lines[0] and "cls" not in training_lines[0]
    evaluated = read_lines(blobs, described["TestingDataResult"]["Output"]["Assets"][0])
    assert len(evaluated) == 9
    for line in evaluated:
        truth = line["rekognition-custom-labels-training-0-metadata"]["class-name"]
        predictions = [v for k, v in line.items() if k.startswith("rekognition-custom-labels-evaluation-")]
        assert predictions, line
        for meta in (p for p in predictions if isinstance(p, dict)):
            assert meta["human-annotated"] == "no" and 0 <= meta["confidence"] <= 1
            flags = meta["rekognition-custom-labels-evaluation-details"]
            assert flags["is-present-in-ground-truth"] == (meta["class-name"] == truth)
            assert sum(flags[k] for k in ("is-true-positive", "is-false-positive", "is-false-negative")) == 1


def test_without_test_dataset_training_splits_80_20(
    service: CustomLabelsService, blobs: LocalBlobStore
) -> None:
    project = make_project(service, blobs, with_test=False)
    create_version(service, project)
    described = describe_one(service, project, "v1")
    assert described["Status"] == "TRAINING_COMPLETED", described["StatusMessage"]
    assert described["TestingDataResult"]["Input"]["AutoCreate"] is True
    assert described["TestingDataResult"]["Validation"]["Assets"] == []
    details = read_json(blobs, described["EvaluationResult"]["Summary"]["S3Object"])["EvaluationDetails"]
    # The DistributeDatasetEntries rule: round(24 / 5) = 5 entries go to test, spread over the labels.
    assert (details["NumberOfTrainingImages"], details["NumberOfTestingImages"]) == (19, 5)


def test_one_label_fails_with_manifest_summary(service: CustomLabelsService, blobs: LocalBlobStore) -> None:
    blobs.create_bucket(OUTPUT)
    project = service.create_project("one-label")["ProjectArn"]
    names = [f"a{i}.png" for i in range(5)]
    put_images(blobs, names)
    lines = [classification_line(name, "only") for name in names]
    service.create_dataset(project, "TRAIN", put_manifest(blobs, "one.manifest", lines))
    create_version(service, project)
    described = describe_one(service, project, "v1")
    assert described["Status"] == "TRAINING_FAILED"
    assert described["StatusMessage"].startswith("ERROR_MANIFEST_TOO_FEW_LABELS")
    assert "EvaluationResult" not in described and "BillableTrainingTimeInSeconds" not in described
    summary = read_json(blobs, described["ManifestSummary"]["S3Object"])
    assert summary["errors"][0]["code"] == "ERROR_MANIFEST_TOO_FEW_LABELS"


def test_unwritable_output_bucket_fails_training(service: CustomLabelsService, blobs: LocalBlobStore) -> None:
    project = make_project(service, blobs)
    service.create_project_version(project, "v1", {"S3Bucket": "no-such-bucket"})
    described = describe_one(service, project, "v1")
    assert described["Status"] == "TRAINING_FAILED"
    assert described["StatusMessage"].startswith("ERROR_CANNOT_WRITE_OUTPUT_S3_BUCKET")


def test_request_rules(service: CustomLabelsService, blobs: LocalBlobStore, runner: InlineRunner) -> None:
    project = service.create_project("rules")["ProjectArn"]
    with pytest.raises(InvalidInputError, match="no training dataset"):
        create_version(service, project)
    put_images(blobs, ["d0.png", "d1.png"])
    boxes = [detection_line(f"d{i}.png", [("cat", 4, 4, 20, 20)]) for i in range(2)]
    service.create_dataset(project, "TRAIN", put_manifest(blobs, "boxes.manifest", boxes))
    with pytest.raises(InvalidInputError, match="project that has no datasets"):
        create_version(service, project, training_data={"Assets": []}, testing_data={"AutoCreate": True})
    with pytest.raises(InvalidInputError, match="FeatureConfig"):
        create_version(service, project, feature_config={"ContentModeration": {"ConfidenceThreshold": 50}})
    missing = project.rsplit("/", 1)[0] + "x/1"
    with pytest.raises(NotFoundError):
        create_version(service, missing)


def test_versions_newest_first_duplicates_and_delete(
    service: CustomLabelsService, blobs: LocalBlobStore, runner: InlineRunner
) -> None:
    project = make_project(service, blobs)
    first = create_version(service, project, "v1")
    with pytest.raises(ConflictError, match="already exists"):
        create_version(service, project, "v1")
    runner.paused = True  # v2 stays TRAINING_IN_PROGRESS
    second = create_version(service, project, "v2")
    listed = service.describe_project_versions(project)["ProjectVersionDescriptions"]
    assert [d["ProjectVersionArn"] for d in listed] == [second, first]
    assert listed[0]["Status"] == "TRAINING_IN_PROGRESS" and "EvaluationResult" not in listed[0]
    with pytest.raises(ConflictError, match="training"):
        service.delete_project_version(second)
    with pytest.raises(ConflictError):  # DeleteProject while versions exist
        service.delete_project(project)

    assert service.delete_project_version(first) == {"Status": "DELETING"}
    assert (
        service.describe_project_versions(project, version_names=["v1"])["ProjectVersionDescriptions"] == []
    )
    with pytest.raises(NotFoundError):
        service.delete_project_version(first)
    internal = service.settings.internal_bucket
    assert not blobs.list(internal, prefix="custom-labels/textures/v1/").objects
    runner.paused = False
    runner.drain()
    assert describe_one(service, project, "v2")["Status"] == "TRAINING_COMPLETED"


def test_several_labels_per_image(service: CustomLabelsService, blobs: LocalBlobStore) -> None:
    blobs.create_bucket(OUTPUT)
    project = service.create_project("multi")["ProjectArn"]

    def with_tone(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Stripes are also labelled "warm" through a second attribute/metadata pair (spec B.4).
        for line in lines:
            if "stripes" in line["source-ref"]:
                line["tone"] = 0
                line["tone-metadata"] = {**line["cls-metadata"], "class-name": "warm"}
        return lines

    train = with_tone(put_textures(blobs, "train", 6, 0))
    test = with_tone(put_textures(blobs, "test", 3, 100))
    service.create_dataset(project, "TRAIN", put_manifest(blobs, "multi-train.manifest", train))
    service.create_dataset(project, "TEST", put_manifest(blobs, "multi-test.manifest", test))
    create_version(service, project)
    described = describe_one(service, project, "v1")
    assert described["Status"] == "TRAINING_COMPLETED", described["StatusMessage"]
    summary = read_json(blobs, described["EvaluationResult"]["Summary"]["S3Object"])
    assert summary["EvaluationDetails"]["Labels"] == sorted([*TEXTURES, "warm"])
    assert "ConfusionMatrix" not in summary["AggregatedEvaluationResults"]
    assert described["EvaluationResult"]["F1Score"] >= 0.8
    evaluated = read_lines(blobs, described["TestingDataResult"]["Output"]["Assets"][0])
    stripes = [line for line in evaluated if "stripes" in line["source-ref"]]
    assert all("rekognition-custom-labels-training-1-metadata" in line for line in stripes)
    hits = [
        meta["rekognition-custom-labels-evaluation-details"]["is-true-positive"]
        for line in stripes
        for key, meta in line.items()
        if key.startswith("rekognition-custom-labels-evaluation-") and isinstance(meta, dict)
        if meta["class-name"] in ("stripes", "warm")
    ]
    # Both labels of each of the 3 striped test images, at most one missed.
    assert len(hits) == 6 and sum(hits) >= 5


def test_unlabeled_test_dataset_fails_training(service: CustomLabelsService, blobs: LocalBlobStore) -> None:
    project = make_project(service, blobs, with_test=False)
    put_images(blobs, ["u0.png", "u1.png"])
    unlabeled = [{"source-ref": f"s3://{IMAGES}/u{i}.png"} for i in range(2)]
    service.create_dataset(project, "TEST", put_manifest(blobs, "unlabeled.manifest", unlabeled))
    create_version(service, project)
    described = describe_one(service, project, "v1")
    assert described["Status"] == "TRAINING_FAILED"
    assert described["StatusMessage"].startswith("ERROR_INSUFFICIENT_USABLE_LABEL_OVERLAP")
    summary = read_json(blobs, described["ManifestSummary"]["S3Object"])
    assert summary["statistics"]["testing"]["ignored_json_lines"] == 2


def test_training_job_rerun_after_completion_changes_nothing(
    service: CustomLabelsService, blobs: LocalBlobStore, runner: InlineRunner
) -> None:
    project = make_project(service, blobs)
    runner.paused = True
    create_version(service, project)
    job_id = runner.pending[0]
    runner.paused = False
    runner.drain()
    before = describe_one(service, project, "v1")
    runner.submit(job_id)  # a worker that crashed after the final commit runs the job again
    assert describe_one(service, project, "v1") == before
