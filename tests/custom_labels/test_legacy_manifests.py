"""CreateProjectVersion with the legacy TrainingData/TestingData manifests: the request checks,
what DescribeProjectVersions echoes, and what ``version_manifest_checks`` hands the training job.

The training job stays queued (runner paused): these tests are about the request and the inputs.
"""

from __future__ import annotations

from typing import Any

import pytest

from openlookout.blobs.local import LocalBlobStore
from openlookout.errors import InvalidInputError
from openlookout.jobs.base import JobFailed
from openlookout.manifests.custom_labels import ManifestCheck
from openlookout.service.custom_labels.errors import InvalidS3ObjectError
from openlookout.service.custom_labels.facade import CustomLabelsService
from openlookout.service.custom_labels.lookup import get_version
from openlookout.service.custom_labels.version_inputs import version_manifest_checks

from .conftest import MANIFESTS, InlineRunner, classification_line, put_images, put_manifest

OUTPUT = {"S3Bucket": "model-output", "S3KeyPrefix": "legacy/"}
AUTO = {"AutoCreate": True}


@pytest.fixture
def paused(runner: InlineRunner) -> InlineRunner:
    runner.paused = True
    return runner


def labeled(prefix: str, count: int, blobs: LocalBlobStore) -> list[dict[str, Any]]:
    names = [f"{prefix}-{label}-{n}.png" for label in ("cat", "dog") for n in range(count)]
    put_images(blobs, names)
    return [classification_line(name, name.split("-")[1]) for name in names]


def checks(
    service: CustomLabelsService, blobs: LocalBlobStore, arn: str
) -> tuple[ManifestCheck, ManifestCheck | None]:
    with service.sessions() as session:
        return version_manifest_checks(session, blobs, get_version(session, arn))


def refs(check: ManifestCheck) -> list[str | None]:
    return [line.source_ref for line in check.lines]


def test_autocreate_trains_from_the_manifest_and_echoes_it(
    service: CustomLabelsService, blobs: LocalBlobStore, paused: InlineRunner
) -> None:
    project = service.create_project("legacy-auto")["ProjectArn"]
    lines = labeled("a", 3, blobs)
    lines.append(classification_line("a-cat-0.png", "dog"))  # a repeated source-ref: the last line wins
    lines.append(
        {
            "source-ref": "s3://images/not-there.png",
            **{k: v for k, v in lines[0].items() if k != "source-ref"},
        }
    )
    training = {"Assets": [put_manifest(blobs, "legacy/train.manifest", lines)]}
    arn = service.create_project_version(project, "v1", OUTPUT, training_data=training, testing_data=AUTO)[
        "ProjectVersionArn"
    ]
    described = service.describe_project_versions(project)["ProjectVersionDescriptions"][0]
    assert described["Status"] == "TRAINING_IN_PROGRESS"
    assert described["TrainingDataResult"]["Input"] == training
    assert described["TestingDataResult"]["Input"] == {"Assets": [], "AutoCreate": True}

    train, test = checks(service, blobs, arn)
    assert test is None  # the job splits the training lines 80/20
    assert len(train.lines) == 7 and refs(train).count("s3://images/a-cat-0.png") == 1
    relabelled = next(line for line in train.lines if line.source_ref == "s3://images/a-cat-0.png")
    assert set(relabelled.labels) == {"dog"}
    missing = next(line for line in train.lines if line.source_ref == "s3://images/not-there.png")
    assert [e["code"] for e in missing.line_errors] == ["ERROR_INVALID_IMAGE"]
    assert train.labels == {"cat": 2, "dog": 4}


def test_testing_manifests_are_read_in_order(
    service: CustomLabelsService, blobs: LocalBlobStore, paused: InlineRunner
) -> None:
    project = service.create_project("legacy-assets")["ProjectArn"]
    first = put_manifest(blobs, "t1.manifest", labeled("t1", 2, blobs))
    second = put_manifest(blobs, "t2.manifest", labeled("t2", 1, blobs))
    test_asset = put_manifest(blobs, "e.manifest", labeled("e", 1, blobs))
    arn = service.create_project_version(
        project,
        "v1",
        OUTPUT,
        training_data={"Assets": [first, second]},
        testing_data={"Assets": [test_asset]},
    )["ProjectVersionArn"]
    described = service.describe_project_versions(project)["ProjectVersionDescriptions"][0]
    assert described["TestingDataResult"]["Input"] == {"Assets": [test_asset], "AutoCreate": False}
    train, test = checks(service, blobs, arn)
    assert test is not None and len(test.lines) == 2
    assert [ref.rsplit("/", 1)[1] for ref in refs(train) if ref] == [
        "t1-cat-0.png",
        "t1-cat-1.png",
        "t1-dog-0.png",
        "t1-dog-1.png",
        "t2-cat-0.png",
        "t2-dog-0.png",
    ]

    # Sources that break after the call fail the job with the Rekognition code.
    blobs.put(MANIFESTS, "t2.manifest", b"\n")
    with pytest.raises(JobFailed, match="ERROR_EMPTY_MANIFEST"):
        checks(service, blobs, arn)
    blobs.delete(MANIFESTS, "t2.manifest")
    with pytest.raises(JobFailed, match="ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT"):
        checks(service, blobs, arn)


def test_images_in_two_buckets_fail_the_job(
    service: CustomLabelsService, blobs: LocalBlobStore, paused: InlineRunner
) -> None:
    project = service.create_project("legacy-buckets")["ProjectArn"]
    blobs.create_bucket("elsewhere")
    lines = labeled("b", 2, blobs)
    blobs.put("elsewhere", "x.png", blobs.get("images", "b-cat-0.png"))
    lines.append(classification_line("x.png", "cat", bucket="elsewhere"))
    training = {"Assets": [put_manifest(blobs, "two-buckets.manifest", lines)]}
    arn = service.create_project_version(project, "v1", OUTPUT, training_data=training, testing_data=AUTO)[
        "ProjectVersionArn"
    ]
    with pytest.raises(JobFailed, match="ERROR_IMAGES_IN_MULTIPLE_S3_BUCKETS"):
        checks(service, blobs, arn)


def test_dataset_projects_give_their_datasets(
    service: CustomLabelsService, blobs: LocalBlobStore, runner: InlineRunner
) -> None:
    project = service.create_project("with-datasets")["ProjectArn"]
    service.create_dataset(project, "TRAIN", put_manifest(blobs, "ds.manifest", labeled("d", 2, blobs)))
    runner.paused = True  # imported; the training job stays queued
    arn = service.create_project_version(project, "v1", OUTPUT)["ProjectVersionArn"]
    described = service.describe_project_versions(project)["ProjectVersionDescriptions"][0]
    assert described["TrainingDataResult"]["Input"] == {"Assets": []}
    assert described["TestingDataResult"]["Input"] == {"Assets": [], "AutoCreate": True}
    train, test = checks(service, blobs, arn)
    assert test is None and len(train.lines) == 4 and train.labels == {"cat": 2, "dog": 2}


def test_request_errors(service: CustomLabelsService, blobs: LocalBlobStore, paused: InlineRunner) -> None:
    project = service.create_project("legacy-errors")["ProjectArn"]
    asset = put_manifest(blobs, "ok.manifest", labeled("r", 2, blobs))
    missing = {"GroundTruthManifest": {"S3Object": {"Bucket": MANIFESTS, "Name": "nope.manifest"}}}

    def create(training: Any, testing: Any, **extra: Any) -> None:
        service.create_project_version(
            project, "v1", OUTPUT, training_data=training, testing_data=testing, **extra
        )

    with pytest.raises(InvalidInputError, match="given together"):
        create({"Assets": [asset]}, None)
    with pytest.raises(InvalidInputError, match="given together"):
        create(None, AUTO)
    with pytest.raises(InvalidInputError, match="exactly one of Assets"):
        create({"Assets": [asset]}, {"Assets": [asset], "AutoCreate": True})
    with pytest.raises(InvalidInputError, match="exactly one of Assets"):
        create({"Assets": [asset]}, {"AutoCreate": False})
    with pytest.raises(InvalidInputError, match="at least one manifest"):
        create({"Assets": []}, AUTO)
    with pytest.raises(InvalidInputError, match=r"Assets\[1\] needs GroundTruthManifest"):
        create({"Assets": [{"GroundTruthManifest": {"S3Object": {"Bucket": MANIFESTS}}}]}, AUTO)
    with pytest.raises(InvalidS3ObjectError, match=r"nope\.manifest"):
        create({"Assets": [missing]}, AUTO)
    with pytest.raises(InvalidS3ObjectError, match=r"nope\.manifest"):
        create({"Assets": [asset]}, {"Assets": [missing]})
    with pytest.raises(InvalidInputError, match="KMS key 'alias/none' does not exist"):
        create({"Assets": [asset]}, AUTO, kms_key_id="alias/none")
    assert service.describe_project_versions(project)["ProjectVersionDescriptions"] == []

    create({"Assets": [asset]}, AUTO)
    # Once the project has datasets, the manifests are refused (spec B.3).
    service.create_dataset(project, "TRAIN", asset)
    with pytest.raises(InvalidInputError, match="project that has no datasets"):
        service.create_project_version(
            project, "v2", OUTPUT, training_data={"Assets": [asset]}, testing_data=AUTO
        )


def test_a_legacy_version_trains_end_to_end(service: CustomLabelsService, blobs: LocalBlobStore) -> None:
    """TrainingData + TestingData.AutoCreate through the real training job (inline runner)."""
    from .test_versions import put_textures

    if not blobs.bucket_exists(OUTPUT["S3Bucket"]):
        blobs.create_bucket(OUTPUT["S3Bucket"])
    project = service.create_project("legacy-train")["ProjectArn"]
    training = {"Assets": [put_manifest(blobs, "legacy/textures.manifest", put_textures(blobs, "lg", 8, 0))]}
    service.create_project_version(project, "v1", OUTPUT, training_data=training, testing_data=AUTO)
    described = service.describe_project_versions(project)["ProjectVersionDescriptions"][0]
    assert described["Status"] == "TRAINING_COMPLETED", described.get("StatusMessage")
    assert described["TestingDataResult"]["Output"]["AutoCreate"] is True
    assert described["EvaluationResult"]["F1Score"] > 0.5
