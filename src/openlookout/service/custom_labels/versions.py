"""Project versions (models): CreateProjectVersion, DescribeProjectVersions, DeleteProjectVersion.

CreateProjectVersion trains on the project's TRAIN dataset and evaluates on its TEST dataset,
or on an 80/20 split of TRAIN when the project has no TEST dataset (job ``cl_train_version``,
``training_job.py``): image-level labels train a classifier, bounding boxes a detector.
A project without datasets may instead name Ground Truth manifests in TrainingData and
TestingData (``version_inputs.py``). Hosting is in ``hosting.py``; CopyProjectVersion in
``copy_version.py``.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openlookout.blobs.base import BlobError
from openlookout.blobs.prefix import delete_prefix
from openlookout.errors import ConflictError, InvalidInputError
from openlookout.service.common import pagination
from openlookout.service.common.kms_keys import check_kms_key
from openlookout.service.custom_labels import tags as resource_tags
from openlookout.service.custom_labels.call import CustomLabelsCall
from openlookout.service.custom_labels.datasets import BUSY_STATES, READY_STATES
from openlookout.service.custom_labels.errors import duplicate_as
from openlookout.service.custom_labels.lookup import get_project, get_version
from openlookout.service.custom_labels.new_version import (
    name_in_use,
    new_version,
    queue_version_job,
    refuse_taken_name,
)
from openlookout.service.custom_labels.statuses import ProjectVersionStatus
from openlookout.service.custom_labels.version_inputs import check_legacy_inputs, input_results
from openlookout.service.custom_labels.version_status import BUSY, IN_PROGRESS, TRAIN_JOB_KIND
from openlookout.store.base import utcnow
from openlookout.store.custom_labels_tables import CLDataset, CLProjectVersion
from openlookout.store.db import write_session


def describe(version: CLProjectVersion) -> dict[str, Any]:
    output = {"S3Bucket": version.output_bucket, "S3KeyPrefix": version.output_prefix}
    results: dict[str, Any] = json.loads(version.results) if version.results else {}
    evaluation = results.get("EvaluationResult")
    if version.f1_score is not None:
        evaluation = {"F1Score": version.f1_score, **(evaluation or {})}
    trained = version.training_end is not None and version.f1_score is not None
    result: dict[str, Any] = {
        "ProjectVersionArn": version.arn,
        "CreationTimestamp": version.created_at,
        "Status": version.status,
        "StatusMessage": version.status_message,
        "OutputConfig": output,
        "VersionDescription": version.description,
        "KmsKeyId": version.kms_key_id,
        "SourceProjectVersionArn": version.source_version_arn,
        "TrainingEndTimestamp": version.training_end,
        "MinInferenceUnits": version.min_inference_units,
        "MaxInferenceUnits": version.max_inference_units,
        # Billed time and evaluation exist only for a successful training (spec B.3).
        "BillableTrainingTimeInSeconds": results.get("BillableTrainingTimeInSeconds") if trained else None,
        "TrainingDataResult": results.get("TrainingDataResult"),
        "TestingDataResult": results.get("TestingDataResult"),
        "EvaluationResult": evaluation if trained else None,
        "ManifestSummary": results.get("ManifestSummary"),
        "Feature": "CUSTOM_LABELS",
    }
    return {key: value for key, value in result.items() if value is not None}


def describe_project_versions(
    call: CustomLabelsCall,
    project_arn: str,
    version_names: list[str] | None = None,
    next_token: str | None = None,
    max_results: int | None = None,
) -> dict[str, Any]:
    """Newest first (spec B.3), paged by creation order."""
    names = sorted(set(version_names)) if version_names else None
    query = {"op": "DescribeProjectVersions", "project": project_arn, "names": names}
    page = pagination.keyset(next_token, query, int, pagination.page_size(max_results), descending=True)
    with call.sessions() as session:
        project = get_project(session, project_arn)
        stmt = select(CLProjectVersion).where(CLProjectVersion.project_id == project.id)
        if names is not None:
            stmt = stmt.where(CLProjectVersion.name.in_(names))
        rows = session.scalars(page.select(stmt, CLProjectVersion.id)).all()
        return {
            "ProjectVersionDescriptions": [describe(v) for v in page.rows(rows)],
            **page.next_token(rows, lambda v: v.id),
        }


# -- CreateProjectVersion ---------------------------------------------------------------------


def _project_datasets(session: Session, project_id: int) -> dict[str, CLDataset]:
    return {
        d.dataset_type: d
        for d in session.scalars(select(CLDataset).where(CLDataset.project_id == project_id))
    }


def _check_training_datasets(datasets: dict[str, CLDataset]) -> None:
    if "TRAIN" not in datasets:
        raise InvalidInputError(
            "The project has no training dataset; create a TRAIN dataset (and optionally a TEST "
            "dataset) before CreateProjectVersion.",
            field="ProjectArn",
        )
    for dataset in datasets.values():
        if dataset.status in BUSY_STATES:
            raise ConflictError(
                f"The {dataset.dataset_type} dataset is {dataset.status}; wait until it is complete.",
                resource_type="DATASET",
                resource_id=dataset.arn,
            )
        if dataset.status not in READY_STATES:
            raise InvalidInputError(
                f"The {dataset.dataset_type} dataset is {dataset.status}; it cannot be used for training.",
                field="ProjectArn",
            )


def _check_request(output_config: dict[str, Any], feature_config: dict[str, Any] | None) -> None:
    if not output_config.get("S3Bucket"):
        raise InvalidInputError("OutputConfig.S3Bucket is required.", field="OutputConfig")
    if feature_config:
        raise InvalidInputError(
            "FeatureConfig applies to CONTENT_MODERATION projects only; this is a CUSTOM_LABELS project.",
            field="FeatureConfig",
        )


def create_project_version(
    call: CustomLabelsCall,
    project_arn: str,
    version_name: str,
    output_config: dict[str, Any],
    training_data: dict[str, Any] | None = None,
    testing_data: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
    kms_key_id: str | None = None,
    version_description: str | None = None,
    feature_config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    resource_tags.checked_tags(tags)
    s3 = call.s3
    if output_config.get("S3Bucket"):
        # Validation and evaluation files are written with the caller's S3 permissions.
        s3.check("s3:PutObject", output_config["S3Bucket"], output_config.get("S3KeyPrefix") or "")
    in_use = name_in_use(version_name, "the project")
    with duplicate_as(in_use), write_session(call.sessions) as session:
        project = get_project(session, project_arn)
        _check_request(output_config, feature_config)
        if kms_key_id is not None:
            check_kms_key(call.keyring, kms_key_id)
        datasets = _project_datasets(session, project.id)
        legacy = check_legacy_inputs(s3, training_data, testing_data, bool(datasets))
        refuse_taken_name(session, project.id, version_name, in_use)
        if legacy is None:
            _check_training_datasets(datasets)
        now = utcnow()
        version = new_version(
            project,
            version_name,
            ProjectVersionStatus.TRAINING_IN_PROGRESS,
            output_config,
            kms_key_id,
            version_description,
            now,
        )
        version.training_data = legacy.training_json() if legacy else None
        version.testing_data = legacy.testing_json() if legacy else None
        version.results = json.dumps(input_results(version, has_test_dataset="TEST" in datasets))
        job_id = queue_version_job(session, version, TRAIN_JOB_KIND, s3.caller.to_payload(), tags)
        arn = version.arn
    call.runner.submit(job_id)
    return {"ProjectVersionArn": arn}


# -- DeleteProjectVersion and CopyProjectVersion ------------------------------------------------


def delete_project_version(call: CustomLabelsCall, project_version_arn: str) -> dict[str, Any]:
    """Refused while training, starting, running or stopping; otherwise gone when the call returns."""
    with write_session(call.sessions) as session:
        version = get_version(session, project_version_arn)
        if version.status in BUSY:
            raise ConflictError(
                f"The project version is {version.status}; "
                + (
                    "wait for its training or copy to end before deleting it."
                    if version.status in IN_PROGRESS
                    else "stop it before deleting it."
                ),
                resource_type="MODEL",
                resource_id=project_version_arn,
            )
        prefix = version.artifact_prefix
        resource_tags.forget_tags(session, version.arn)
        session.delete(version)
    if prefix:
        # The model's copy may be unreachable: nothing refers to it any more either way.
        with contextlib.suppress(BlobError):
            delete_prefix(call.blobs, call.settings.internal_bucket, prefix)
    return {"Status": ProjectVersionStatus.DELETING}
