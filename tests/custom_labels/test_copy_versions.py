"""CopyProjectVersion through the facade and the real ``cl_copy_version`` job (inline runner),
and the model files' KmsKeyId encryption (``artifact_crypto``).

The source versions here are stored the way the training job leaves them (model files in the
internal bucket, output files in OutputConfig, results on the row), so no model is trained;
the end-to-end test in tests/e2e copies, starts and queries a really trained one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openlookout.access import SERVICE_CALLER
from openlookout.blobs.local import LocalBlobStore
from openlookout.errors import AccessDeniedError, ConflictError, InvalidInputError, NotFoundError
from openlookout.kms.keyring import MAGIC, InvalidCiphertextError
from openlookout.service.common.request_context import RequestContext
from openlookout.service.custom_labels.artifact_crypto import (
    download_artifacts,
    download_version_artifacts,
    model_prefix,
    seal,
    upload_artifacts,
)
from openlookout.service.custom_labels.facade import CustomLabelsService
from openlookout.service.custom_labels.lookup import get_project, get_version
from openlookout.store.base import utcnow
from openlookout.store.custom_labels_tables import CLProjectVersion
from openlookout.store.db import write_session

from .conftest import InlineRunner

OUTPUT = "model-output"
MODEL_FILES = {"label_model.json": b'{"labels": ["a", "b"]}', "label_head.npz": b"PK\x03\x04head"}
OTHER_ACCOUNT = "210987654321"
# A caller whose access key belongs to another account, as the HTTP layer describes it.
OTHER = RequestContext(SERVICE_CALLER, account=OTHER_ACCOUNT)


def trained_source(
    service: CustomLabelsService, blobs: LocalBlobStore, project_name: str, kms_key_id: str | None = None
) -> tuple[str, str]:
    """A project with a TRAINING_COMPLETED version "v1", as the training job stores it."""
    if not blobs.bucket_exists(OUTPUT):
        blobs.create_bucket(OUTPUT)
    project = service.create_project(project_name)["ProjectArn"]
    keyring = service.keyring
    internal = service.settings.internal_bucket
    if not blobs.bucket_exists(internal):
        blobs.create_bucket(internal)
    files = {
        "summary": (f"out/EvaluationResultSummary-{project_name}-v1.json", {"EvaluationDetails": {}}),
        "manifest_summary": ("out/v1/validation/manifest_summary.json", {"statistics": {}}),
        "train_out": ("out/v1/output/training_manifest.json", {"line": 1}),
        "test_out": ("out/v1/output/testing_manifest.json", {"line": 2}),
    }
    for key, document in files.values():
        blobs.put(OUTPUT, key, json.dumps(document).encode())

    def asset(name: str) -> dict[str, Any]:
        return {"GroundTruthManifest": {"S3Object": {"Bucket": OUTPUT, "Name": files[name][0]}}}

    results = {
        "BillableTrainingTimeInSeconds": 7,
        "EvaluationResult": {"Summary": {"S3Object": {"Bucket": OUTPUT, "Name": files["summary"][0]}}},
        "ManifestSummary": {"S3Object": {"Bucket": OUTPUT, "Name": files["manifest_summary"][0]}},
        "TrainingDataResult": {"Input": {"Assets": []}, "Output": {"Assets": [asset("train_out")]}},
        "TestingDataResult": {
            "Input": {"Assets": [], "AutoCreate": True},
            "Output": {"Assets": [asset("test_out")], "AutoCreate": True},
        },
    }
    now = utcnow()
    with write_session(service.sessions) as session:
        version = CLProjectVersion(
            project_id=_project_id(service, project),
            name="v1",
            arn=project.rsplit("/", 1)[0] + "/version/v1/1700000000000",
            status="TRAINING_COMPLETED",
            status_message="The model is ready to run.",
            description="the source",
            created_at=now,
            updated_at=now,
            output_bucket=OUTPUT,
            output_prefix="out/",
            kms_key_id=kms_key_id,
            training_end=now,
            f1_score=0.75,
            results=json.dumps(results),
        )
        session.add(version)
        session.flush()
        version.artifact_prefix = model_prefix(project_name, "v1", version.id)
        for name, data in MODEL_FILES.items():
            blobs.put(internal, version.artifact_prefix + name, seal(keyring, kms_key_id, version.arn, data))
        arn = version.arn
    return project, arn


def _project_id(service: CustomLabelsService, project_arn: str) -> int:
    with service.sessions() as session:
        return get_project(session, project_arn).id


def artifact_prefix(service: CustomLabelsService, arn: str) -> str:
    with service.sessions() as session:
        prefix = get_version(session, arn).artifact_prefix
    assert prefix is not None
    return prefix


def describe(service: CustomLabelsService, project: str, name: str) -> dict[str, Any]:
    found = service.describe_project_versions(project, version_names=[name])["ProjectVersionDescriptions"]
    assert len(found) == 1
    return found[0]


def copy(
    service: CustomLabelsService, source: tuple[str, str], destination: str, name: str = "copy1", **extra: Any
) -> str:
    output = {"S3Bucket": OUTPUT, "S3KeyPrefix": "copies/"}
    arn: str = service.copy_project_version(source[0], source[1], destination, name, output, **extra)[
        "ProjectVersionArn"
    ]
    return arn


def test_copy_completes_with_model_and_evaluation_files(
    service: CustomLabelsService, blobs: LocalBlobStore, runner: InlineRunner, tmp_path: Path
) -> None:
    source = trained_source(service, blobs, "source")
    destination = service.create_project("destination")["ProjectArn"]
    runner.paused = True
    arn = copy(service, source, destination, tags={"copied": "yes"})
    assert arn.split("/")[1] == "destination" and arn.split("/")[3] == "copy1"
    assert describe(service, destination, "copy1")["Status"] == "COPYING_IN_PROGRESS"
    with pytest.raises(ConflictError, match="wait for its training or copy"):
        service.delete_project_version(arn)
    runner.paused = False
    runner.drain()

    described = describe(service, destination, "copy1")
    assert described["Status"] == "COPYING_COMPLETED", described["StatusMessage"]
    assert described["SourceProjectVersionArn"] == source[1]
    assert described["VersionDescription"] == "the source"
    assert described["OutputConfig"] == {"S3Bucket": OUTPUT, "S3KeyPrefix": "copies/"}
    assert described["EvaluationResult"]["F1Score"] == 0.75
    summary = described["EvaluationResult"]["Summary"]["S3Object"]
    assert summary == {"Bucket": OUTPUT, "Name": "copies/EvaluationResultSummary-destination-copy1.json"}
    copied_summary = json.loads(blobs.get(OUTPUT, summary["Name"]))
    assert copied_summary["EvaluationDetails"]["ProjectVersionArn"] == arn
    assert described["ManifestSummary"]["S3Object"]["Name"] == "copies/copy1/validation/manifest_summary.json"
    testing_output = described["TestingDataResult"]["Output"]["Assets"][0]["GroundTruthManifest"]["S3Object"]
    assert testing_output["Name"] == "copies/copy1/output/testing_manifest.json"
    assert json.loads(blobs.get(OUTPUT, testing_output["Name"])) == {"line": 2}
    assert described["TestingDataResult"]["Input"] == {"Assets": [], "AutoCreate": True}
    assert service.list_tags_for_resource(arn)["Tags"] == {"copied": "yes"}

    prefix = artifact_prefix(service, arn)
    assert prefix.startswith("custom-labels/destination/copy1/")
    folder = download_artifacts(service.settings, service.keyring, blobs, prefix, tmp_path / "model", arn)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == MODEL_FILES

    # The copy is a model of its own: it outlives its source and can be copied again.
    assert service.delete_project_version(source[1]) == {"Status": "DELETING"}
    again = copy(service, (destination, arn), destination, "copy2")
    assert describe(service, destination, "copy2")["Status"] == "COPYING_COMPLETED"
    assert describe(service, destination, "copy2")["SourceProjectVersionArn"] == arn
    assert again != arn


def test_kms_key_seals_the_model_files(
    service: CustomLabelsService, blobs: LocalBlobStore, tmp_path: Path
) -> None:
    keyring = service.keyring
    source_key = keyring.create_key(alias="cl-source")
    copy_key = keyring.create_key(alias="cl-copies")
    source = trained_source(service, blobs, "sealed", kms_key_id="alias/cl-source")
    destination = service.create_project("sealed-copies")["ProjectArn"]
    alias_arn = f"arn:aws:kms:{service.settings.region}:{service.settings.account_id}:alias/cl-copies"
    arn = copy(service, source, destination, kms_key_id=alias_arn)
    described = describe(service, destination, "copy1")
    assert described["Status"] == "COPYING_COMPLETED", described["StatusMessage"]
    assert described["KmsKeyId"] == alias_arn

    internal = service.settings.internal_bucket
    prefix = artifact_prefix(service, arn)
    stored = blobs.get(internal, prefix + "label_model.json")
    assert stored.startswith(MAGIC) and MODEL_FILES["label_model.json"] not in stored
    assert copy_key.key_id.encode() in stored and source_key.key_id.encode() not in stored
    folder = download_artifacts(service.settings, service.keyring, blobs, prefix, tmp_path / "plain", arn)
    assert (folder / "label_model.json").read_bytes() == MODEL_FILES["label_model.json"]
    # The encryption context binds each file to its version: another ARN cannot open it.
    with pytest.raises(InvalidCiphertextError):
        download_artifacts(service.settings, service.keyring, blobs, prefix, tmp_path / "wrong", source[1])

    with pytest.raises(InvalidInputError, match="KMS key 'alias/nope' does not exist"):
        copy(service, source, destination, "copy2", kms_key_id="alias/nope")


def test_copy_request_errors(
    service: CustomLabelsService, blobs: LocalBlobStore, runner: InlineRunner
) -> None:
    source = trained_source(service, blobs, "errors")
    destination = service.create_project("errors-dest")["ProjectArn"]
    copy(service, source, destination)
    with pytest.raises(ConflictError, match="already exists"):
        copy(service, source, destination)
    missing_project = destination.rsplit("/", 1)[0] + "x/1"
    with pytest.raises(NotFoundError):
        copy(service, source, missing_project, "other")
    with pytest.raises(NotFoundError):
        copy(service, (source[0], source[1] + "9"), destination, "other")
    with pytest.raises(InvalidInputError, match="does not belong"):
        copy(service, (destination, source[1]), destination, "other")
    with pytest.raises(InvalidInputError, match="aws:"):
        copy(service, source, destination, "other", tags={"aws:x": "1"})

    # A version still copying is busy; one whose copy failed has no model to copy.
    runner.paused = True
    busy = copy(service, source, destination, "busy")
    with pytest.raises(ConflictError, match="COPYING_IN_PROGRESS"):
        copy(service, (destination, busy), destination, "of-busy")
    blobs.delete(OUTPUT, "out/v1/output/testing_manifest.json")
    runner.paused = False
    runner.drain()
    failed = describe(service, destination, "busy")
    assert failed["Status"] == "COPYING_FAILED"
    assert "out/v1/output/testing_manifest.json" in failed["StatusMessage"]
    with pytest.raises(InvalidInputError, match="no trained model"):
        copy(service, (destination, busy), destination, "of-failed")


def _policy(
    effect: str, principal: Any, resource: str, action: str = "rekognition:CopyProjectVersion"
) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": effect,
                    "Principal": principal,
                    "Action": "rekognition:CopyProjectVersion",
                    "Resource": resource,
                }
            ],
        }
    )


def test_cross_account_copy_needs_a_source_project_policy(
    service: CustomLabelsService, blobs: LocalBlobStore
) -> None:
    source = trained_source(service, blobs, "shared")
    destination = service.create_project("theirs")["ProjectArn"]
    own = RequestContext(SERVICE_CALLER, account=service.settings.account_id)
    copy(service, source, destination, "same-account", context=own)  # no policy needed
    with pytest.raises(AccessDeniedError, match=f"arn:aws:iam::{OTHER_ACCOUNT}:root"):
        copy(service, source, destination, "denied", context=OTHER)
    principal = {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}
    service.put_project_policy(source[0], "elsewhere", _policy("Allow", {"AWS": "111122223333"}, "*"))
    with pytest.raises(AccessDeniedError):
        copy(service, source, destination, "denied", context=OTHER)
    service.put_project_policy(source[0], "share", _policy("Allow", principal, source[1]))
    copy(service, source, destination, "allowed", context=OTHER)
    assert describe(service, destination, "allowed")["Status"] == "COPYING_COMPLETED"
    # An explicit Deny wins over the Allow.
    service.put_project_policy(source[0], "block", _policy("Deny", "*", source[0].rsplit("/", 1)[0] + "/*"))
    with pytest.raises(AccessDeniedError):
        copy(service, source, destination, "blocked", context=OTHER)


def test_upload_artifacts_seals_with_the_version_key(
    service: CustomLabelsService, blobs: LocalBlobStore, runner: InlineRunner, tmp_path: Path
) -> None:
    """What the training job stores for a version with and without KmsKeyId."""
    service.keyring.create_key(alias="cl-train")
    _, plain_arn = trained_source(service, blobs, "plain")
    _, sealed_arn = trained_source(service, blobs, "sealed-train", kms_key_id="alias/cl-train")
    folder = tmp_path / "trained"
    folder.mkdir()
    for name, data in MODEL_FILES.items():
        (folder / name).write_bytes(data)
    internal = service.settings.internal_bucket
    for arn in (plain_arn, sealed_arn):
        with service.sessions() as session:
            version_id = get_version(session, arn).id
        upload_artifacts(runner.ctx, version_id, folder, f"uploaded/{version_id}/")
        stored = blobs.get(internal, f"uploaded/{version_id}/label_head.npz")
        assert (stored == MODEL_FILES["label_head.npz"]) is (arn == plain_arn)
        back = download_version_artifacts(
            service.settings,
            service.keyring,
            service.sessions,
            blobs,
            version_id,
            f"uploaded/{version_id}/",
            tmp_path / "back",
        )
        assert {p.name: p.read_bytes() for p in back.iterdir()} == MODEL_FILES
