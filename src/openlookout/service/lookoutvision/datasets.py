"""Datasets and their entries (spec A.3 #1, #4, #7, #12, #22; A.4; A.5.5).

Imports and updates run as jobs (``import_dataset``, ``update_dataset``); this
module creates the rows, queues the jobs in the same transaction, and answers
the synchronous calls.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openlookout.blobs.base import ensure_bucket
from openlookout.errors import ConflictError, InvalidInputError, NotFoundError
from openlookout.jobs.runner import queue_job
from openlookout.service.common import pagination
from openlookout.service.lookoutvision.call import LookoutVisionCall
from openlookout.service.lookoutvision.idempotency import run_once, scope_for
from openlookout.service.lookoutvision.projects import get_project
from openlookout.service.lookoutvision.statuses import DatasetStatus, ModelStatus
from openlookout.store.base import utcnow
from openlookout.store.lookoutvision_tables import Dataset, DatasetEntry, Model, Project
from openlookout.store.text_match import contains_text

DATASET_TYPES = ("train", "test")
# States in which a dataset's entries are settled: it can be updated or trained on.
COMPLETE_STATES = frozenset(
    {
        DatasetStatus.CREATE_COMPLETE,
        DatasetStatus.UPDATE_COMPLETE,
        DatasetStatus.UPDATE_FAILED_ROLLBACK_COMPLETE,
    }
)
IN_PROGRESS_STATES = frozenset(
    {
        DatasetStatus.CREATE_IN_PROGRESS,
        DatasetStatus.UPDATE_IN_PROGRESS,
        DatasetStatus.UPDATE_FAILED_ROLLBACK_IN_PROGRESS,
        DatasetStatus.DELETE_IN_PROGRESS,
    }
)
MAX_CHANGES_BYTES = 10_485_760
LABELS = ("normal", "anomaly")


def check_dataset_type(dataset_type: str) -> None:
    if dataset_type not in DATASET_TYPES:
        raise InvalidInputError(
            f"DatasetType must be 'train' or 'test'; got {dataset_type!r}.", field="DatasetType"
        )


def find_dataset(session: Session, project: Project, dataset_type: str) -> Dataset | None:
    return session.scalars(
        select(Dataset).where(Dataset.project_id == project.id, Dataset.dataset_type == dataset_type)
    ).one_or_none()


def get_dataset(session: Session, project: Project, dataset_type: str) -> Dataset:
    dataset = find_dataset(session, project, dataset_type)
    if dataset is None:
        raise NotFoundError(
            f"The project {project.name} has no {dataset_type} dataset.",
            resource_type="DATASET",
            resource_id=dataset_type,
        )
    return dataset


def _source_object(dataset_source: dict[str, Any]) -> dict[str, Any]:
    try:
        s3_object = dataset_source["GroundTruthManifest"]["S3Object"]
        if not isinstance(s3_object["Bucket"], str) or not isinstance(s3_object["Key"], str):
            raise TypeError
    except (KeyError, TypeError):
        raise InvalidInputError(
            "DatasetSource must be {GroundTruthManifest: {S3Object: {Bucket, Key, VersionId?}}}.",
            field="DatasetSource",
        ) from None
    return s3_object


def create_dataset(
    call: LookoutVisionCall,
    project_name: str,
    dataset_type: str,
    dataset_source: dict[str, Any] | None = None,
    client_token: str | None = None,
) -> dict[str, Any]:
    check_dataset_type(dataset_type)
    s3 = call.s3
    s3_object = _source_object(dataset_source) if dataset_source is not None else None
    if s3_object is not None:
        # Before anything else: the same AccessDeniedException whether or not the object exists.
        s3.check("s3:GetObject", s3_object["Bucket"], s3_object["Key"])
    queued: list[int] = []

    def create(session: Session) -> dict[str, Any]:
        project = get_project(session, project_name)
        if find_dataset(session, project, dataset_type) is not None:
            raise ConflictError(
                f"The project {project_name} already has a {dataset_type} dataset.",
                resource_type="DATASET",
                resource_id=dataset_type,
            )
        now = utcnow()
        dataset = Dataset(project_id=project.id, dataset_type=dataset_type, created_at=now, updated_at=now)
        if s3_object is None:
            dataset.status, dataset.status_message = (
                DatasetStatus.CREATE_COMPLETE,
                "The dataset was created successfully.",
            )
        else:
            dataset.status, dataset.status_message = DatasetStatus.CREATE_IN_PROGRESS, "Creating the dataset."
        session.add(dataset)
        session.flush()
        if s3_object is not None:
            payload = {
                "dataset_id": dataset.id,
                "bucket": s3_object["Bucket"],
                "key": s3_object["Key"],
                "version_id": s3_object.get("VersionId"),
                # The import job reads the manifest and its images with these permissions.
                "caller": s3.caller.to_payload(),
            }
            job = queue_job(session, "import_dataset", payload, project_id=project.id, dataset_id=dataset.id)
            queued.append(job.id)
        return {"DatasetMetadata": _metadata(dataset)}

    params = {"ProjectName": project_name, "DatasetType": dataset_type, "DatasetSource": dataset_source}
    outcome = run_once(
        call.sessions, scope_for("CreateDataset", client_token, params, "DATASET", dataset_type), create
    )
    for job_id in queued if not outcome.replayed else ():
        call.runner.submit(job_id)
    return outcome.response


def _metadata(dataset: Dataset) -> dict[str, Any]:
    return {
        "DatasetType": dataset.dataset_type,
        "CreationTimestamp": dataset.created_at,
        "Status": dataset.status,
        "StatusMessage": dataset.status_message,
    }


def image_stats(session: Session, dataset_id: int) -> dict[str, int]:
    counts = dict(
        session.execute(
            select(DatasetEntry.label, func.count())
            .where(DatasetEntry.dataset_id == dataset_id)
            .group_by(DatasetEntry.label)
        ).all()
    )
    normal, anomaly = counts.get("normal", 0), counts.get("anomaly", 0)
    return {
        "Total": sum(counts.values()),
        "Labeled": normal + anomaly,
        "Normal": normal,
        "Anomaly": anomaly,
    }


def describe_dataset(call: LookoutVisionCall, project_name: str, dataset_type: str) -> dict[str, Any]:
    check_dataset_type(dataset_type)
    with call.sessions() as session:
        project = get_project(session, project_name)
        dataset = get_dataset(session, project, dataset_type)
        return {
            "DatasetDescription": {
                "ProjectName": project.name,
                "DatasetType": dataset.dataset_type,
                "CreationTimestamp": dataset.created_at,
                "LastUpdatedTimestamp": dataset.updated_at,
                "Status": dataset.status,
                "StatusMessage": dataset.status_message,
                "ImageStats": image_stats(session, dataset.id),
            }
        }


def delete_dataset(
    call: LookoutVisionCall, project_name: str, dataset_type: str, client_token: str | None = None
) -> dict[str, Any]:
    check_dataset_type(dataset_type)

    def delete(session: Session) -> dict[str, Any]:
        project = get_project(session, project_name)
        dataset = get_dataset(session, project, dataset_type)
        if dataset.status in IN_PROGRESS_STATES:
            raise ConflictError(
                f"The {dataset_type} dataset of project {project_name} is {dataset.status}; "
                "wait until the operation finishes before deleting it.",
                resource_type="DATASET",
                resource_id=dataset_type,
            )
        training = session.scalars(
            select(Model.version).where(Model.project_id == project.id, Model.status == ModelStatus.TRAINING)
        ).first()
        if training is not None:
            raise ConflictError(
                f"Model version {training} of project {project_name} is training; the datasets cannot "
                "be deleted until training finishes.",
                resource_type="DATASET",
                resource_id=dataset_type,
            )
        # Entries go with the row (ON DELETE CASCADE); the images in S3 are untouched.
        session.delete(dataset)
        return {}

    params = {"ProjectName": project_name, "DatasetType": dataset_type}
    scope = scope_for("DeleteDataset", client_token, params, "DATASET", dataset_type)
    return run_once(call.sessions, scope, delete).response


def update_dataset_entries(
    call: LookoutVisionCall,
    project_name: str,
    dataset_type: str,
    changes: bytes,
    client_token: str | None = None,
) -> dict[str, Any]:
    sessions, blobs = call.sessions, call.blobs
    check_dataset_type(dataset_type)
    if not 1 <= len(changes) <= MAX_CHANGES_BYTES:
        raise InvalidInputError(
            f"Changes must hold 1 to {MAX_CHANGES_BYTES} bytes; got {len(changes)}.", field="Changes"
        )
    params = {"ProjectName": project_name, "DatasetType": dataset_type, "Changes": changes}
    scope = scope_for("UpdateDatasetEntries", client_token, params, "DATASET", dataset_type)
    # Check before storing the blob, so an obvious refusal leaves nothing behind.
    with sessions() as session:
        get_dataset(session, get_project(session, project_name), dataset_type)
    bucket = call.settings.internal_bucket
    key = f"dataset-changes/{project_name}/{dataset_type}/{uuid.uuid4().hex}.jsonl"
    ensure_bucket(blobs, bucket)
    blobs.put(bucket, key, changes, content_type="application/x-ndjson")
    queued: list[int] = []

    def update(session: Session) -> dict[str, Any]:
        project = get_project(session, project_name)
        dataset = get_dataset(session, project, dataset_type)
        if dataset.status not in COMPLETE_STATES:
            raise ConflictError(
                f"The {dataset_type} dataset of project {project_name} is {dataset.status}; entries can "
                f"only be updated in {', '.join(sorted(COMPLETE_STATES))}.",
                resource_type="DATASET",
                resource_id=dataset_type,
            )
        # Same transaction as the job row: DescribeDataset right after this call shows the update.
        dataset.status, dataset.status_message = DatasetStatus.UPDATE_IN_PROGRESS, "Updating the dataset."
        dataset.updated_at = utcnow()
        # The changes are the service's own blob; the images they name are read as the caller.
        payload = {
            "dataset_id": dataset.id,
            "changes_bucket": bucket,
            "changes_key": key,
            "caller": call.caller.to_payload(),
        }
        job = queue_job(session, "update_dataset", payload, project_id=project.id, dataset_id=dataset.id)
        queued.append(job.id)
        return {"Status": DatasetStatus.UPDATE_IN_PROGRESS}

    try:
        outcome = run_once(sessions, scope, update)
    except BaseException:
        blobs.delete(bucket, key)
        raise
    if outcome.replayed:
        blobs.delete(bucket, key)
    for job_id in queued if not outcome.replayed else ():
        call.runner.submit(job_id)
    return outcome.response


def list_dataset_entries(
    call: LookoutVisionCall,
    project_name: str,
    dataset_type: str,
    labeled: bool | None = None,
    anomaly_class: str | None = None,
    before_creation_date: datetime | None = None,
    after_creation_date: datetime | None = None,
    next_token: str | None = None,
    max_results: int | None = None,
    source_ref_contains: str | None = None,
) -> dict[str, Any]:
    check_dataset_type(dataset_type)
    if anomaly_class is not None and anomaly_class not in LABELS:
        raise InvalidInputError(
            f"AnomalyClass must be 'normal' or 'anomaly'; got {anomaly_class!r}.", field="AnomalyClass"
        )
    for name, value in (
        ("BeforeCreationDate", before_creation_date),
        ("AfterCreationDate", after_creation_date),
    ):
        if value is not None and value.tzinfo is None:
            raise InvalidInputError(f"{name} must carry a time zone.", field=name)
    query = {
        "op": "ListDatasetEntries",
        "project": project_name,
        "type": dataset_type,
        "labeled": labeled,
        "class": anomaly_class,
        "before": before_creation_date,
        "after": after_creation_date,
        "contains": source_ref_contains,
    }
    page = pagination.keyset(next_token, query, int, pagination.page_size(max_results))
    with call.sessions() as session:
        dataset = get_dataset(session, get_project(session, project_name), dataset_type)
        stmt = select(DatasetEntry.id, DatasetEntry.line).where(DatasetEntry.dataset_id == dataset.id)
        if labeled is not None:
            stmt = stmt.where(DatasetEntry.label.is_not(None) if labeled else DatasetEntry.label.is_(None))
        if anomaly_class is not None:
            stmt = stmt.where(DatasetEntry.label == anomaly_class)
        if before_creation_date is not None:
            stmt = stmt.where(DatasetEntry.created_at < before_creation_date)
        if after_creation_date is not None:
            stmt = stmt.where(DatasetEntry.created_at > after_creation_date)
        if source_ref_contains is not None:
            stmt = stmt.where(contains_text(session, DatasetEntry.source_ref, source_ref_contains))
        rows = session.execute(page.select(stmt, DatasetEntry.id)).all()
    return {"DatasetEntries": [line for _, line in page.rows(rows)], **page.next_token(rows, lambda r: r[0])}
