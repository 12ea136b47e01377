"""CopyProjectVersion (spec B.3): a trained version becomes a new version of another project.

The call checks the request and creates the destination version as COPYING_IN_PROGRESS;
the job ``cl_copy_version`` (``copy_job.py``) copies the model and its evaluation files,
then sets COPYING_COMPLETED (or COPYING_FAILED). A caller from another account than the
server's needs a project policy on the source project that allows it (``policies.copy_allowed``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from openlookout.errors import AccessDeniedError, ConflictError, InvalidInputError
from openlookout.service.common.kms_keys import check_kms_key
from openlookout.service.custom_labels import tags as resource_tags
from openlookout.service.custom_labels.call import CustomLabelsCall
from openlookout.service.custom_labels.errors import duplicate_as
from openlookout.service.custom_labels.lookup import get_project, get_version
from openlookout.service.custom_labels.new_version import (
    name_in_use,
    new_version,
    queue_version_job,
    refuse_taken_name,
)
from openlookout.service.custom_labels.policies import copy_allowed, project_policy_documents
from openlookout.service.custom_labels.statuses import ProjectVersionStatus
from openlookout.service.custom_labels.version_status import COPY_JOB_KIND, IN_PROGRESS
from openlookout.store.base import utcnow
from openlookout.store.custom_labels_tables import CLProject, CLProjectVersion
from openlookout.store.db import write_session

ACTION = "rekognition:CopyProjectVersion"


def _check_cross_account(
    session: Session, caller_account: str, source_project: CLProject, source: CLProjectVersion
) -> None:
    documents = project_policy_documents(session, source_project.id)
    if not copy_allowed(documents, caller_account, [source.arn, source_project.arn]):
        raise AccessDeniedError(
            f"User: arn:aws:iam::{caller_account}:root is not authorized to perform: {ACTION} on "
            f"resource: {source.arn}; a project policy on the source project must allow it."
        )


def _check_source(source: CLProjectVersion, source_project: CLProject) -> None:
    if source.project_id != source_project.id:
        raise InvalidInputError(
            f"The project version {source.arn} does not belong to the project {source_project.arn}.",
            field="SourceProjectVersionArn",
        )
    if source.status in IN_PROGRESS:
        raise ConflictError(
            f"The source project version is {source.status}; wait until it completes before copying it.",
            resource_type="MODEL",
            resource_id=source.arn,
        )
    if not source.artifact_prefix:
        raise InvalidInputError(
            f"The source project version is {source.status} and has no trained model to copy.",
            field="SourceProjectVersionArn",
        )


def copy_project_version(
    call: CustomLabelsCall,
    source_project_arn: str,
    source_project_version_arn: str,
    destination_project_arn: str,
    version_name: str,
    output_config: dict[str, Any],
    tags: dict[str, str] | None = None,
    kms_key_id: str | None = None,
) -> dict[str, Any]:
    """A caller whose access key belongs to another account than the server's copies across
    accounts: that needs a project policy on the source project allowing it. The copy's
    OutputConfig is written with the caller's S3 permissions."""
    resource_tags.checked_tags(tags)
    s3, caller_account, server_account = call.s3, call.context.account, call.settings.account_id
    if not output_config.get("S3Bucket"):
        raise InvalidInputError("OutputConfig.S3Bucket is required.", field="OutputConfig")
    s3.check("s3:PutObject", output_config["S3Bucket"], output_config.get("S3KeyPrefix") or "")
    if kms_key_id is not None:
        check_kms_key(call.keyring, kms_key_id)
    in_use = name_in_use(version_name, "the destination project")
    with duplicate_as(in_use), write_session(call.sessions) as session:
        source_project = get_project(session, source_project_arn)
        source = get_version(session, source_project_version_arn)
        destination = get_project(session, destination_project_arn)
        if caller_account is not None and caller_account != server_account:
            _check_cross_account(session, caller_account, source_project, source)
        _check_source(source, source_project)
        refuse_taken_name(session, destination.id, version_name, in_use)
        now = utcnow()
        copy = new_version(
            destination,
            version_name,
            ProjectVersionStatus.COPYING_IN_PROGRESS,
            output_config,
            kms_key_id,
            source.description,
            now,
        )
        copy.source_version_arn = source.arn
        # The inputs describe what the model was trained on, so the copy echoes them.
        copy.training_data, copy.testing_data = source.training_data, source.testing_data
        copy.results = json.dumps(_input_results(source))
        job_id = queue_version_job(session, copy, COPY_JOB_KIND, s3.caller.to_payload(), tags)
        arn = copy.arn
    call.runner.submit(job_id)
    return {"ProjectVersionArn": arn}


def _input_results(source: CLProjectVersion) -> dict[str, Any]:
    results: dict[str, Any] = json.loads(source.results) if source.results else {}
    return {
        member: {"Input": results[member]["Input"]}
        for member in ("TrainingDataResult", "TestingDataResult")
        if "Input" in results.get(member, {})
    }
