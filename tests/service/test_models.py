"""Models through the facade: CreateModel preconditions, DescribeModel, ListModels, DeleteModel."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from openlookout.access import SERVICE_CALLER, Caller
from openlookout.blobs.local import LocalBlobStore
from openlookout.errors import (
    AccessDeniedError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    QuotaExceededError,
)
from openlookout.service.common.request_context import RequestContext
from openlookout.service.lookoutvision import LookoutVisionService
from openlookout.store.base import utcnow

from .conftest import (
    OUTPUT,
    add_entries,
    jobs_of_kind,
    make_trainable_project,
    set_dataset_status,
    set_model_fields,
)


def test_create_model_queues_training(service: LookoutVisionService) -> None:
    make_trainable_project(service, service.sessions, "p")
    meta = service.create_model("p", OUTPUT, description="first-try")["ModelMetadata"]
    assert meta["ModelVersion"] == "1"
    assert meta["ModelArn"] == "arn:aws:lookoutvision:us-east-1:123456789012:model/p/1"
    assert meta["Status"] == "TRAINING" and meta["StatusMessage"] == "The model is being trained."
    assert meta["Description"] == "first-try" and "Performance" not in meta
    [job] = jobs_of_kind(service.sessions, "train_model")
    assert job.status == "QUEUED" and json.loads(job.payload)["model_id"] == job.model_id
    # The job writes OutputConfig with the permissions of whoever called CreateModel.
    assert json.loads(job.payload)["caller"] == SERVICE_CALLER.to_payload()


def test_versions_count_up_and_are_never_reused(service: LookoutVisionService) -> None:
    service.settings.max_concurrent_trainings = 10
    make_trainable_project(service, service.sessions, "p")
    assert service.create_model("p", OUTPUT)["ModelMetadata"]["ModelVersion"] == "1"
    assert service.create_model("p", OUTPUT)["ModelMetadata"]["ModelVersion"] == "2"
    set_model_fields(service.sessions, "p", 2, status="TRAINING_FAILED")
    service.delete_model("p", "2")
    assert service.create_model("p", OUTPUT)["ModelMetadata"]["ModelVersion"] == "3"


def test_no_train_dataset(service: LookoutVisionService) -> None:
    service.create_project("p")
    with pytest.raises(InvalidInputError, match="no train dataset"):
        service.create_model("p", OUTPUT)
    with pytest.raises(NotFoundError):
        service.create_model("missing", OUTPUT)


def test_dataset_not_complete_conflicts(service: LookoutVisionService) -> None:
    make_trainable_project(service, service.sessions, "p")
    set_dataset_status(service.sessions, "p", "train", "UPDATE_IN_PROGRESS")
    with pytest.raises(ConflictError) as err:
        service.create_model("p", OUTPUT)
    assert err.value.resource_type == "DATASET"


def test_single_dataset_minimums_report_counts(service: LookoutVisionService) -> None:
    service.create_project("p")
    service.create_dataset("p", "train")
    add_entries(service.sessions, "p", "train", ["normal"] * 19 + ["anomaly"] * 9 + [None] * 30)
    with pytest.raises(InvalidInputError) as err:
        service.create_model("p", OUTPUT)
    assert "19 normal images and needs at least 20" in err.value.message
    assert "9 anomalous images and needs at least 10" in err.value.message
    assert jobs_of_kind(service.sessions, "train_model") == []


def test_separate_datasets_minimums(service: LookoutVisionService) -> None:
    service.create_project("p")
    service.create_dataset("p", "train")
    service.create_dataset("p", "test")
    add_entries(service.sessions, "p", "train", ["normal"] * 10)
    add_entries(service.sessions, "p", "test", ["normal"] * 10 + ["anomaly"] * 9, prefix="t")
    with pytest.raises(InvalidInputError) as err:
        service.create_model("p", OUTPUT)
    assert "test dataset has 9 anomalous images" in err.value.message
    add_entries(service.sessions, "p", "test", ["anomaly"], prefix="u")
    assert service.create_model("p", OUTPUT)["ModelMetadata"]["Status"] == "TRAINING"


def test_segmentation_per_label_minimums(service: LookoutVisionService) -> None:
    service.create_project("p")
    service.create_dataset("p", "train")
    labels = ["normal"] * 20 + ["anomaly"] * 30
    masks = [[] for _ in range(20)] + [["cracked"]] * 20 + [["burnt"]] * 5 + [["cracked", "burnt"]] * 5
    add_entries(service.sessions, "p", "train", labels, masks=masks)
    with pytest.raises(InvalidInputError) as err:
        service.create_model("p", OUTPUT)
    assert "5 images showing only the anomaly label 'burnt' and needs at least 20" in err.value.message
    assert "cracked" not in err.value.message


def test_output_bucket_must_exist(service: LookoutVisionService) -> None:
    make_trainable_project(service, service.sessions, "p")
    with pytest.raises(InvalidInputError, match="does not exist"):
        service.create_model("p", {"S3Location": {"Bucket": "no-such-bucket"}})
    with pytest.raises(InvalidInputError):
        service.create_model("p", {"Location": {}})


def test_unknown_kms_key_is_invalid(service: LookoutVisionService) -> None:
    if service.keyring is None:
        pytest.skip("openlookout.kms.keyring is not available yet")
    make_trainable_project(service, service.sessions, "p")
    with pytest.raises(InvalidInputError):
        service.create_model("p", OUTPUT, kms_key_id="alias/does-not-exist")
    key = service.keyring.create_key(alias="training")
    meta = service.create_model("p", OUTPUT, kms_key_id="alias/training")["ModelMetadata"]
    described = service.describe_model("p", meta["ModelVersion"])["ModelDescription"]
    assert described["KmsKeyId"] == "alias/training"
    assert key.arn.startswith("arn:aws:kms:")


def test_concurrent_training_quota(service: LookoutVisionService) -> None:
    service.settings.max_concurrent_trainings = 2
    for name in ("a", "b"):
        make_trainable_project(service, service.sessions, name)
    service.create_model("a", OUTPUT)
    service.create_model("a", OUTPUT)
    with pytest.raises(QuotaExceededError) as err:
        service.create_model("b", OUTPUT)
    assert err.value.quota_code.startswith("L-") and err.value.service_code == "lookoutvision"
    set_model_fields(service.sessions, "a", 1, status="TRAINED")
    assert service.create_model("b", OUTPUT)["ModelMetadata"]["ModelVersion"] == "1"


def test_tags_on_create_are_validated_and_stored(service: LookoutVisionService) -> None:
    make_trainable_project(service, service.sessions, "p")
    with pytest.raises(InvalidInputError):
        service.create_model("p", OUTPUT, tags=[{"Key": "bad*key", "Value": "v"}])
    arn = service.create_model("p", OUTPUT, tags=[{"Key": "team", "Value": "qa"}])["ModelMetadata"][
        "ModelArn"
    ]
    assert service.list_tags_for_resource(arn) == {"Tags": [{"Key": "team", "Value": "qa"}]}


def test_describe_trained_model_has_every_field(service: LookoutVisionService) -> None:
    make_trainable_project(service, service.sessions, "p")
    service.create_model("p", OUTPUT)
    end = utcnow() + timedelta(minutes=5)
    set_model_fields(
        service.sessions,
        "p",
        1,
        status="TRAINED",
        status_message="Training completed successfully.",
        f1_score=0.9,
        precision=0.95,
        recall=0.85,
        evaluation_end=end,
        evaluation_result_key="runs/EvaluationResult-p-1.json",
        evaluation_manifest_key="runs/EvaluationManifest-p-1.json",
        kms_key_id="arn:aws:kms:us-east-1:123456789012:key/abc",
    )
    for version in ("1", "latest"):
        d = service.describe_model("p", version)["ModelDescription"]
        assert d["ModelVersion"] == "1" and d["Status"] == "TRAINED"
        assert d["Performance"] == {"F1Score": 0.9, "Precision": 0.95, "Recall": 0.85}
        assert d["OutputConfig"] == {"S3Location": {"Bucket": "out-bucket", "Prefix": "runs/"}}
        assert d["EvaluationResult"] == {"Bucket": "out-bucket", "Key": "runs/EvaluationResult-p-1.json"}
        assert d["EvaluationManifest"] == {"Bucket": "out-bucket", "Key": "runs/EvaluationManifest-p-1.json"}
        assert d["EvaluationEndTimestamp"] == end
        assert d["KmsKeyId"] == "arn:aws:kms:us-east-1:123456789012:key/abc"


def test_describe_latest_and_errors(service: LookoutVisionService) -> None:
    service.settings.max_concurrent_trainings = 5
    make_trainable_project(service, service.sessions, "p")
    with pytest.raises(NotFoundError) as err:
        service.describe_model("p", "latest")
    assert err.value.resource_type == "MODEL"
    service.create_model("p", OUTPUT)
    service.create_model("p", OUTPUT)
    assert service.describe_model("p", "latest")["ModelDescription"]["ModelVersion"] == "2"
    with pytest.raises(NotFoundError):
        service.describe_model("p", "3")
    with pytest.raises(InvalidInputError):
        service.describe_model("p", "01")


def test_list_models_newest_first_with_pagination(service: LookoutVisionService) -> None:
    service.settings.max_concurrent_trainings = 10
    make_trainable_project(service, service.sessions, "p")
    assert service.list_models("p") == {"Models": []}
    for _ in range(5):
        service.create_model("p", OUTPUT)
    page = service.list_models("p", max_results=2)
    versions = [m["ModelVersion"] for m in page["Models"]]
    while "NextToken" in page:
        page = service.list_models("p", next_token=page["NextToken"], max_results=2)
        versions += [m["ModelVersion"] for m in page["Models"]]
    assert versions == ["5", "4", "3", "2", "1"]
    assert all(m["StatusMessage"] for m in service.list_models("p")["Models"])


@pytest.mark.parametrize("status", ["TRAINING", "STARTING_HOSTING", "HOSTED", "STOPPING_HOSTING"])
def test_delete_refused_while_busy(service: LookoutVisionService, status: str) -> None:
    make_trainable_project(service, service.sessions, "p")
    service.create_model("p", OUTPUT)
    set_model_fields(service.sessions, "p", 1, status=status)
    with pytest.raises(ConflictError) as err:
        service.delete_model("p", "1")
    assert err.value.resource_type == "MODEL"


def test_delete_needs_digits(service: LookoutVisionService) -> None:
    make_trainable_project(service, service.sessions, "p")
    with pytest.raises(InvalidInputError):
        service.delete_model("p", "latest")
    with pytest.raises(NotFoundError):
        service.delete_model("p", "7")


def test_delete_removes_model_tags_and_artefacts(
    service: LookoutVisionService, blobs: LocalBlobStore
) -> None:
    make_trainable_project(service, service.sessions, "p")
    arn = service.create_model("p", OUTPUT, tags=[{"Key": "k", "Value": "v"}])["ModelMetadata"]["ModelArn"]
    internal = service.settings.internal_bucket
    blobs.create_bucket(internal)
    blobs.put(internal, "artifacts/p/1/weights.bin", b"w")
    blobs.put(internal, "models/p/1/train.jsonl", b"s")
    blobs.put(internal, "models/p/10/keep.jsonl", b"other version")
    set_model_fields(service.sessions, "p", 1, status="TRAINED", artifact_prefix="artifacts/p/1/")
    assert service.delete_model("p", "1") == {"ModelArn": arn}
    assert service.list_models("p") == {"Models": []}
    assert [o.key for o in blobs.list(internal).objects] == ["models/p/10/keep.jsonl"]
    with pytest.raises(NotFoundError):
        service.list_tags_for_resource(arn)


def test_tags_at_creation_need_the_tagging_permission(service: LookoutVisionService) -> None:
    """CreateModel with Tags also needs lookoutvision:TagResource (A.3 CreateModel)."""
    make_trainable_project(service, service.sessions, "p")
    trainer = RequestContext(Caller("AKIATRAINERTRAIN0003", allow=("lookoutvision:CreateModel", "s3:*")))
    tags = [{"Key": "k", "Value": "v"}]
    expected = "User: AKIATRAINERTRAIN0003 is not authorized to perform: lookoutvision:TagResource"
    with pytest.raises(AccessDeniedError, match=f"^{expected}$"):
        service.create_model("p", OUTPUT, tags=tags, context=trainer)
    assert service.list_models("p")["Models"] == []
    assert service.create_model("p", OUTPUT, context=trainer)["ModelMetadata"]["ModelVersion"] == "1"
