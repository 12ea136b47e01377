"""Project versions (models): DescribeProjectVersions and the operations that need training.

Training, hosting and copying Custom Labels models land in a later release. Until then
every call still checks what it names (the project or version must exist) and then
answers a clear InvalidParameterException, never a fake success.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openlookout.errors import InvalidInputError, NotSupportedError
from openlookout.service import pagination
from openlookout.service.custom_labels.lookup import get_project, get_version
from openlookout.store.custom_labels_tables import CLProjectVersion

_NOT_YET = "Custom Labels model training is not available in this release of openlookout"


def describe(version: CLProjectVersion) -> dict[str, Any]:
    output = {"S3Bucket": version.output_bucket, "S3KeyPrefix": version.output_prefix}
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
        "Feature": "CUSTOM_LABELS",
    }
    if version.f1_score is not None:
        result["EvaluationResult"] = {"F1Score": version.f1_score}
    return {key: value for key, value in result.items() if value is not None}


def describe_project_versions(
    sessions: sessionmaker[Session],
    project_arn: str,
    version_names: list[str] | None = None,
    next_token: str | None = None,
    max_results: int | None = None,
) -> dict[str, Any]:
    """Newest first (spec B.3), paged by creation order."""
    limit = pagination.page_size(max_results)
    names = sorted(set(version_names)) if version_names else None
    query = {"op": "DescribeProjectVersions", "project": project_arn, "names": names}
    before = pagination.decode_token(next_token, query)
    if before is not None and not isinstance(before, int):
        raise InvalidInputError("The NextToken is not valid for this request.", field="NextToken")
    with sessions() as session:
        project = get_project(session, project_arn)
        stmt = select(CLProjectVersion).where(CLProjectVersion.project_id == project.id)
        if names is not None:
            stmt = stmt.where(CLProjectVersion.name.in_(names))
        if before is not None:
            stmt = stmt.where(CLProjectVersion.id < before)
        rows = session.scalars(stmt.order_by(CLProjectVersion.id.desc()).limit(limit + 1)).all()
        result: dict[str, Any] = {"ProjectVersionDescriptions": [describe(v) for v in rows[:limit]]}
    if len(rows) > limit:
        result["NextToken"] = pagination.encode_token(rows[limit - 1].id, query)
    return result


def create_project_version(sessions: sessionmaker[Session], project_arn: str, **_: Any) -> dict[str, Any]:
    with sessions() as session:
        get_project(session, project_arn)
    raise NotSupportedError(f"{_NOT_YET}: CreateProjectVersion cannot train a model yet.")


def copy_project_version(
    sessions: sessionmaker[Session],
    source_project_arn: str,
    source_project_version_arn: str,
    destination_project_arn: str,
    **_: Any,
) -> dict[str, Any]:
    with sessions() as session:
        get_project(session, source_project_arn)
        get_project(session, destination_project_arn)
        get_version(session, source_project_version_arn)
    raise NotSupportedError(f"{_NOT_YET}: CopyProjectVersion is not available yet.")


def require_version(sessions: sessionmaker[Session], project_version_arn: str, operation: str) -> None:
    """For Start/Stop/Delete/DetectCustomLabels: NotFound for an unknown version, else not yet."""
    with sessions() as session:
        get_version(session, project_version_arn)
    raise NotSupportedError(f"{_NOT_YET}: {operation} is not available yet.")
