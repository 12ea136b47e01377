"""Custom Labels datasets: create (empty, manifest, copy), describe, delete, update, distribute.

Manifest imports and entry updates run as ``cl_import_dataset`` jobs queued in the same
transaction that moves the dataset to ``*_IN_PROGRESS``. Copies and the 80/20
distribution only move rows, so they complete inside the call (docs/custom_labels.md).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from openlookout.access import S3LocationDenied
from openlookout.blobs.base import BlobError, BlobStore, ensure_bucket
from openlookout.errors import ConflictError, InvalidInputError
from openlookout.jobs.runner import queue_job
from openlookout.service.custom_labels import arns, entries
from openlookout.service.custom_labels import tags as resource_tags
from openlookout.service.custom_labels.call import CustomLabelsCall
from openlookout.service.custom_labels.errors import (
    AlreadyExistsError,
    InvalidS3ObjectError,
    NotReadyError,
    duplicate_as,
)
from openlookout.service.custom_labels.lookup import get_dataset, get_project
from openlookout.service.custom_labels.statuses import DatasetStatus
from openlookout.store.base import utcnow
from openlookout.store.custom_labels_tables import CLDataset
from openlookout.store.db import write_session

IMPORT_JOB_KIND = "cl_import_dataset"
SUCCESS = "SUCCESS"
# States whose entries are settled: they can be listed, updated, copied and distributed.
READY_STATES = frozenset(
    {DatasetStatus.CREATE_COMPLETE, DatasetStatus.UPDATE_COMPLETE, DatasetStatus.UPDATE_FAILED}
)
BUSY_STATES = frozenset(
    {DatasetStatus.CREATE_IN_PROGRESS, DatasetStatus.UPDATE_IN_PROGRESS, DatasetStatus.DELETE_IN_PROGRESS}
)
# DistributeDatasetEntries moves every 5th training entry (20 %), see distribute_dataset_entries.
TEST_SHARE_STRIDE = 5


def _find(session: Session, project_id: int, dataset_type: str) -> CLDataset | None:
    return session.scalars(
        select(CLDataset).where(CLDataset.project_id == project_id, CLDataset.dataset_type == dataset_type)
    ).one_or_none()


def _manifest_object(source: dict[str, Any]) -> tuple[str, str]:
    s3_object = (source.get("GroundTruthManifest") or {}).get("S3Object") or {}
    bucket, name = s3_object.get("Bucket"), s3_object.get("Name")
    if not bucket or not name:
        raise InvalidInputError(
            "DatasetSource.GroundTruthManifest.S3Object needs Bucket and Name.", field="DatasetSource"
        )
    return bucket, name


def check_readable(blobs: BlobStore, bucket: str, name: str) -> None:
    """InvalidS3ObjectException unless the manifest exists and (as the caller) can be read."""
    try:
        blobs.head(bucket, name)
    except S3LocationDenied as denied:
        raise InvalidS3ObjectError(f"Unable to get object metadata from S3: {denied.message}") from None
    except BlobError:
        raise InvalidS3ObjectError(
            f"Unable to get object metadata from S3: s3://{bucket}/{name} does not exist or cannot be read."
        ) from None


def create_dataset(
    call: CustomLabelsCall,
    project_arn: str,
    dataset_type: str,
    dataset_source: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    s3 = call.s3
    source = dataset_source or {}
    if source.get("GroundTruthManifest") and source.get("DatasetArn"):
        raise InvalidInputError(
            "DatasetSource takes either GroundTruthManifest or DatasetArn, not both.", field="DatasetSource"
        )
    manifest = _manifest_object(source) if source.get("GroundTruthManifest") else None
    if manifest is not None:
        check_readable(s3, *manifest)
    resource_tags.checked_tags(tags)
    queued: list[int] = []
    exists = AlreadyExistsError(
        f"The project already has a {dataset_type} dataset.",
        resource_type="DATASET",
        resource_id=dataset_type,
    )
    with duplicate_as(exists), write_session(call.sessions) as session:
        project = get_project(session, project_arn)
        if _find(session, project.id, dataset_type) is not None:
            raise exists
        copy_from = _copy_source(session, source["DatasetArn"]) if source.get("DatasetArn") else None
        now = utcnow()
        dataset = CLDataset(
            project_id=project.id,
            dataset_type=dataset_type,
            arn=arns.dataset_arn(project.arn, dataset_type, now),
            status=DatasetStatus.CREATE_COMPLETE,
            status_message="The dataset was created successfully.",
            status_message_code=SUCCESS,
            created_at=now,
            updated_at=now,
        )
        session.add(dataset)
        session.flush()
        if copy_from is not None:
            entries.copy_entries(session, copy_from.id, dataset.id, now)
        if manifest is not None:
            dataset.status, dataset.status_message = DatasetStatus.CREATE_IN_PROGRESS, "Creating the dataset."
            payload = {
                "dataset_id": dataset.id,
                "bucket": manifest[0],
                "key": manifest[1],
                "mode": "create",
                # The job reads the manifest and its images with the caller's S3 permissions.
                "caller": s3.caller.to_payload(),
            }
            job = queue_job(session, IMPORT_JOB_KIND, payload, dataset_id=dataset.id)
            queued.append(job.id)
        resource_tags.tag_at_creation(session, dataset.arn, tags)
        arn = dataset.arn
    for job_id in queued:
        call.runner.submit(job_id)
    return {"DatasetArn": arn}


def _copy_source(session: Session, arn: str) -> CLDataset:
    return _ready_dataset(session, arn, "source dataset", "it can be copied once it is complete")


def describe_dataset(call: CustomLabelsCall, dataset_arn: str) -> dict[str, Any]:
    with call.sessions() as session:
        dataset = get_dataset(session, dataset_arn)
        return {
            "DatasetDescription": {
                "CreationTimestamp": dataset.created_at,
                "LastUpdatedTimestamp": dataset.updated_at,
                "Status": dataset.status,
                "StatusMessage": dataset.status_message,
                "StatusMessageCode": dataset.status_message_code,
                "DatasetStats": entries.dataset_stats(session, dataset.id),
            }
        }


def _require_not_busy(dataset: CLDataset, action: str) -> None:
    if dataset.status in BUSY_STATES:
        raise ConflictError(
            f"The dataset is {dataset.status}; it can be {action} when that finishes.",
            resource_type="DATASET",
            resource_id=dataset.arn,
        )


def delete_dataset(call: CustomLabelsCall, dataset_arn: str) -> dict[str, Any]:
    """Deleted within the call: a DescribeDataset right after answers ResourceNotFoundException."""
    with write_session(call.sessions) as session:
        dataset = get_dataset(session, dataset_arn)
        _require_not_busy(dataset, "deleted")
        resource_tags.forget_tags(session, dataset.arn)
        table = CLDataset.__table__
        assert isinstance(table, Table)  # a declarative class maps a Table (typed FromClause)
        session.execute(table.delete().where(CLDataset.id == dataset.id))
    return {}


def _ready_dataset(
    session: Session, arn: str, what: str = "dataset", hint: str = "try again when it is complete"
) -> CLDataset:
    """The dataset once its entries are settled (``READY_STATES``); ``what``, ``hint`` word the refusal."""
    dataset = get_dataset(session, arn)
    if dataset.status not in READY_STATES:
        raise NotReadyError(
            f"The {what} {arn} is {dataset.status}; {hint}.",
            resource_type="DATASET",
            resource_id=arn,
        )
    return dataset


def list_dataset_entries(
    call: CustomLabelsCall,
    dataset_arn: str,
    contains_labels: list[str] | None = None,
    labeled: bool | None = None,
    source_ref_contains: str | None = None,
    has_errors: bool | None = None,
    next_token: str | None = None,
    max_results: int | None = None,
) -> dict[str, Any]:
    with call.sessions() as session:
        dataset = _ready_dataset(session, dataset_arn)
        return entries.list_entries(
            session,
            dataset.id,
            contains_labels=contains_labels,
            labeled=labeled,
            source_ref_contains=source_ref_contains,
            has_errors=has_errors,
            next_token=next_token,
            max_results=max_results,
        )


def list_dataset_labels(
    call: CustomLabelsCall,
    dataset_arn: str,
    next_token: str | None = None,
    max_results: int | None = None,
) -> dict[str, Any]:
    with call.sessions() as session:
        dataset = _ready_dataset(session, dataset_arn)
        return entries.list_labels(session, dataset.id, next_token, max_results)


def update_dataset_entries(
    call: CustomLabelsCall, dataset_arn: str, changes: dict[str, Any]
) -> dict[str, Any]:
    ground_truth: bytes = changes["GroundTruth"]
    # The changes are the service's own blob (internal bucket, its own rights).
    blobs = call.blobs
    bucket, key = call.settings.internal_bucket, f"cl-dataset-changes/{uuid.uuid4().hex}.jsonl"
    ensure_bucket(blobs, bucket)
    blobs.put(bucket, key, ground_truth, content_type="application/jsonl")
    queued: list[int] = []
    try:
        with write_session(call.sessions) as session:
            dataset = get_dataset(session, dataset_arn)
            _require_not_busy(dataset, "updated")
            # Same transaction as the job row: a DescribeDataset right after this call shows the update.
            dataset.status, dataset.status_message = DatasetStatus.UPDATE_IN_PROGRESS, "Updating the dataset."
            dataset.status_message_code = SUCCESS
            dataset.updated_at = utcnow()
            # The changes are the service's own blob; the images they name are read as the caller.
            payload = {
                "dataset_id": dataset.id,
                "bucket": bucket,
                "key": key,
                "mode": "update",
                "caller": call.context.caller.to_payload(),
            }
            queued.append(queue_job(session, IMPORT_JOB_KIND, payload, dataset_id=dataset.id).id)
    except BaseException:
        blobs.delete(bucket, key)
        raise
    for job_id in queued:
        call.runner.submit(job_id)
    return {}


def _split_rank(source_ref: str) -> str:
    return hashlib.sha256(source_ref.encode()).hexdigest()


def choose_test_entries(labels_by_entry: dict[int, list[str]], refs: dict[int, str]) -> list[int]:
    """Deterministic, label-stratified 20 % sample.

    Entries are ordered by their label set, then by the SHA-256 of their source-ref (a fixed
    pseudo-random order within each label set); every 5th entry starting with the 3rd is
    taken. Each label set thus gives about a fifth of its entries, and the same dataset
    always splits the same way. ``round(n / 5)`` entries are chosen.
    """
    ordered = sorted(labels_by_entry, key=lambda e: (labels_by_entry[e], _split_rank(refs[e])))
    offset = TEST_SHARE_STRIDE // 2
    return [entry for position, entry in enumerate(ordered) if position % TEST_SHARE_STRIDE == offset]


def distribute_dataset_entries(call: CustomLabelsCall, datasets: list[dict[str, str]]) -> dict[str, Any]:
    with write_session(call.sessions) as session:
        found = [get_dataset(session, item["Arn"]) for item in datasets]
        by_type = {d.dataset_type: d for d in found}
        if set(by_type) != {"TRAIN", "TEST"} or found[0].project_id != found[1].project_id:
            raise InvalidInputError(
                "Datasets must be the TRAIN and the TEST dataset of the same project.", field="Datasets"
            )
        for dataset in found:
            if dataset.status not in READY_STATES:
                raise NotReadyError(
                    f"The dataset {dataset.arn} is {dataset.status}; try again when it is complete.",
                    resource_type="DATASET",
                    resource_id=dataset.arn,
                )
        train, test = by_type["TRAIN"], by_type["TEST"]
        if entries.entry_count(session, test.id):
            raise InvalidInputError(
                "The TEST dataset must be empty to receive distributed entries.", field="Datasets"
            )
        chosen = choose_test_entries(
            entries.entry_labels(session, train.id), entries.source_refs(session, train.id)
        )
        entries.move_entries(session, chosen, test.id)
        now = utcnow()
        for dataset in found:
            dataset.status, dataset.status_message = (
                DatasetStatus.UPDATE_COMPLETE,
                "The dataset was updated successfully.",
            )
            dataset.status_message_code, dataset.updated_at = SUCCESS, now
    return {}
