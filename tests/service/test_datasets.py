"""Datasets through the facade: create/describe/delete, UpdateDatasetEntries, ListDatasetEntries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from openlookout.blobs.local import LocalBlobStore
from openlookout.errors import ConflictError, InvalidInputError, NotFoundError
from openlookout.service.lookoutvision import LookoutVisionService
from openlookout.store.base import utcnow
from openlookout.store.db import write_session
from openlookout.store.lookoutvision_tables import DatasetEntry

from .conftest import OUTPUT, add_entries, jobs_of_kind, make_trainable_project, set_dataset_status

SOURCE = {"GroundTruthManifest": {"S3Object": {"Bucket": "src", "Key": "train.manifest", "VersionId": "v1"}}}


def test_create_empty_is_complete_synchronously(service: LookoutVisionService) -> None:
    service.create_project("p")
    meta = service.create_dataset("p", "train")["DatasetMetadata"]
    assert meta["Status"] == "CREATE_COMPLETE"
    assert meta["StatusMessage"] == "The dataset was created successfully."
    assert meta["DatasetType"] == "train"
    assert jobs_of_kind(service.sessions, "import_dataset") == []


def test_create_with_source_queues_an_import(service: LookoutVisionService) -> None:
    service.create_project("p")
    meta = service.create_dataset("p", "train", SOURCE)["DatasetMetadata"]
    assert meta["Status"] == "CREATE_IN_PROGRESS" and meta["StatusMessage"]
    [job] = jobs_of_kind(service.sessions, "import_dataset")
    payload = json.loads(job.payload)
    assert payload["bucket"] == "src" and payload["key"] == "train.manifest" and payload["version_id"] == "v1"
    assert job.status == "QUEUED" and job.dataset_id == payload["dataset_id"]


def test_duplicate_type_conflicts_and_bad_type_is_invalid(service: LookoutVisionService) -> None:
    service.create_project("p")
    service.create_dataset("p", "train")
    with pytest.raises(ConflictError) as err:
        service.create_dataset("p", "train")
    assert err.value.resource_type == "DATASET"
    with pytest.raises(InvalidInputError):
        service.create_dataset("p", "validation")
    with pytest.raises(InvalidInputError):
        service.create_dataset("p", "test", {"GroundTruthManifest": {}})


def test_describe_counts_images(service: LookoutVisionService) -> None:
    service.create_project("p")
    service.create_dataset("p", "train")
    add_entries(service.sessions, "p", "train", ["normal"] * 3 + ["anomaly"] * 2 + [None])
    description = service.describe_dataset("p", "train")["DatasetDescription"]
    assert description["ImageStats"] == {"Total": 6, "Labeled": 5, "Normal": 3, "Anomaly": 2}
    assert description["ProjectName"] == "p" and description["StatusMessage"]
    assert description["LastUpdatedTimestamp"] >= description["CreationTimestamp"]


def test_describe_empty_dataset_has_zero_counters(service: LookoutVisionService) -> None:
    service.create_project("p")
    service.create_dataset("p", "test")
    stats = service.describe_dataset("p", "test")["DatasetDescription"]["ImageStats"]
    assert stats == {"Total": 0, "Labeled": 0, "Normal": 0, "Anomaly": 0}


def test_missing_dataset_is_not_found(service: LookoutVisionService) -> None:
    service.create_project("p")
    with pytest.raises(NotFoundError) as err:
        service.describe_dataset("p", "test")
    assert err.value.resource_type == "DATASET"


def test_delete_removes_dataset_and_entries(service: LookoutVisionService) -> None:
    service.create_project("p")
    service.create_dataset("p", "train")
    add_entries(service.sessions, "p", "train", ["normal"] * 3)
    assert service.delete_dataset("p", "train") == {}
    assert service.describe_project("p")["ProjectDescription"]["Datasets"] == []
    with service.sessions() as session:
        assert session.scalars(select(DatasetEntry)).all() == []


def test_delete_refused_while_in_progress(service: LookoutVisionService) -> None:
    service.create_project("p")
    service.create_dataset("p", "train", SOURCE)
    with pytest.raises(ConflictError):
        service.delete_dataset("p", "train")


def test_delete_refused_while_a_model_trains(service: LookoutVisionService) -> None:
    make_trainable_project(service, service.sessions, "p")
    service.create_model("p", OUTPUT)
    with pytest.raises(ConflictError) as err:
        service.delete_dataset("p", "train")
    assert "training" in err.value.message


def test_update_entries_stores_blob_and_shows_update_in_progress(
    service: LookoutVisionService, blobs: LocalBlobStore
) -> None:
    service.create_project("p")
    service.create_dataset("p", "train")
    changes = b'{"source-ref": "s3://src/a.jpg"}\n'
    assert service.update_dataset_entries("p", "train", changes) == {"Status": "UPDATE_IN_PROGRESS"}
    assert service.describe_dataset("p", "train")["DatasetDescription"]["Status"] == "UPDATE_IN_PROGRESS"
    [job] = jobs_of_kind(service.sessions, "update_dataset")
    payload = json.loads(job.payload)
    assert payload["changes_bucket"] == service.settings.internal_bucket
    assert blobs.get(payload["changes_bucket"], payload["changes_key"]) == changes


@pytest.mark.parametrize("status", ["UPDATE_COMPLETE", "UPDATE_FAILED_ROLLBACK_COMPLETE"])
def test_update_allowed_after_earlier_updates(service: LookoutVisionService, status: str) -> None:
    service.create_project("p")
    service.create_dataset("p", "train")
    set_dataset_status(service.sessions, "p", "train", status)
    assert service.update_dataset_entries("p", "train", b"{}")["Status"] == "UPDATE_IN_PROGRESS"


@pytest.mark.parametrize("status", ["CREATE_IN_PROGRESS", "CREATE_FAILED", "UPDATE_IN_PROGRESS"])
def test_update_refused_unless_complete(
    service: LookoutVisionService, blobs: LocalBlobStore, status: str
) -> None:
    service.create_project("p")
    service.create_dataset("p", "train")
    set_dataset_status(service.sessions, "p", "train", status)
    with pytest.raises(ConflictError):
        service.update_dataset_entries("p", "train", b"{}")
    assert jobs_of_kind(service.sessions, "update_dataset") == []
    bucket = service.settings.internal_bucket
    assert not blobs.bucket_exists(bucket) or blobs.list(bucket, prefix="dataset-changes/").objects == []


def test_update_rejects_empty_changes(service: LookoutVisionService) -> None:
    service.create_project("p")
    service.create_dataset("p", "train")
    with pytest.raises(InvalidInputError):
        service.update_dataset_entries("p", "train", b"")


def _entries(service: LookoutVisionService, **filters: object) -> list[str]:
    result = service.list_dataset_entries("p", "train", **filters)
    return [json.loads(line)["source-ref"] for line in result["DatasetEntries"]]


def test_list_entries_filters(service: LookoutVisionService) -> None:
    service.create_project("p")
    service.create_dataset("p", "train")
    add_entries(service.sessions, "p", "train", ["normal", "anomaly", None], prefix="IMG_17")
    add_entries(service.sessions, "p", "train", ["normal", "anomaly"], prefix="other")
    everything = _entries(service)
    assert len(everything) == 5
    assert _entries(service, labeled=True) == [r for r in everything if not r.endswith("-0002.jpg")]
    assert _entries(service, labeled=False) == ["s3://src/IMG_17-0002.jpg"]
    assert _entries(service, anomaly_class="anomaly") == [
        "s3://src/IMG_17-0001.jpg",
        "s3://src/other-0004.jpg",
    ]
    assert _entries(service, anomaly_class="normal", source_ref_contains="other") == [
        "s3://src/other-0003.jpg"
    ]
    assert _entries(service, source_ref_contains="IMG_17") == everything[:3]
    assert _entries(service, source_ref_contains="img_17") == []  # case-sensitive
    with pytest.raises(InvalidInputError):
        _entries(service, anomaly_class="cracked")


def test_list_entries_date_filters_use_import_time(service: LookoutVisionService) -> None:
    service.create_project("p")
    service.create_dataset("p", "train")
    add_entries(service.sessions, "p", "train", ["normal", "normal"])
    with write_session(service.sessions) as session:
        first = session.scalars(select(DatasetEntry).order_by(DatasetEntry.id)).first()
        assert first is not None
        first.created_at = utcnow() - timedelta(days=2)
    cutoff = utcnow() - timedelta(days=1)
    assert _entries(service, before_creation_date=cutoff) == ["s3://src/img-0000.jpg"]
    assert _entries(service, after_creation_date=cutoff) == ["s3://src/img-0001.jpg"]
    assert _entries(service, after_creation_date=cutoff, before_creation_date=cutoff) == []


def test_list_entries_pagination_is_stable_and_filter_bound(service: LookoutVisionService) -> None:
    service.create_project("p")
    service.create_dataset("p", "train")
    add_entries(service.sessions, "p", "train", ["normal"] * 7)
    page = service.list_dataset_entries("p", "train", max_results=3)
    refs = [json.loads(line)["source-ref"] for line in page["DatasetEntries"]]
    add_entries(service.sessions, "p", "train", ["anomaly"], prefix="late")  # added between pages
    while "NextToken" in page:
        page = service.list_dataset_entries("p", "train", max_results=3, next_token=page["NextToken"])
        refs += [json.loads(line)["source-ref"] for line in page["DatasetEntries"]]
    assert refs[:7] == [f"s3://src/img-{i:04d}.jpg" for i in range(7)]
    assert refs[7:] == ["s3://src/late-0007.jpg"]
    token = service.list_dataset_entries("p", "train", max_results=3)["NextToken"]
    with pytest.raises(InvalidInputError):
        service.list_dataset_entries("p", "train", labeled=True, next_token=token)
    with pytest.raises(InvalidInputError):
        service.list_dataset_entries("p", "train", next_token="%%%garbage%%%")
