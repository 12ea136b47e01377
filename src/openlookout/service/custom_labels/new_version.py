"""What CreateProjectVersion and CopyProjectVersion share: a version name free in its project,
the new row, and its job queued in the creating transaction (``versions.py``, ``copy_version.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openlookout.errors import ConflictError
from openlookout.jobs.runner import queue_job
from openlookout.service.custom_labels import tags as resource_tags
from openlookout.service.custom_labels.arns import version_arn
from openlookout.service.custom_labels.version_status import MESSAGES
from openlookout.store.custom_labels_tables import CLProject, CLProjectVersion


def name_in_use(version_name: str, where: str) -> ConflictError:
    """``where`` names the project in the message: "the project", "the destination project"."""
    return ConflictError(
        f"A project version named {version_name} already exists in {where}.",
        resource_type="MODEL",
        resource_id=version_name,
    )


def refuse_taken_name(session: Session, project_id: int, version_name: str, in_use: ConflictError) -> None:
    taken = session.scalars(
        select(CLProjectVersion.id).where(
            CLProjectVersion.project_id == project_id, CLProjectVersion.name == version_name
        )
    ).first()
    if taken is not None:
        raise in_use


def new_version(
    project: CLProject,
    version_name: str,
    status: str,
    output_config: dict[str, Any],
    kms_key_id: str | None,
    description: str | None,
    now: datetime,
) -> CLProjectVersion:
    """A version row in ``status`` (with its message), writing to ``output_config``."""
    return CLProjectVersion(
        project_id=project.id,
        name=version_name,
        arn=version_arn(project.arn, version_name, now),
        status=status,
        status_message=MESSAGES[status],
        description=description,
        created_at=now,
        updated_at=now,
        output_bucket=output_config["S3Bucket"],
        output_prefix=output_config.get("S3KeyPrefix") or "",
        kms_key_id=kms_key_id,
    )


def queue_version_job(
    session: Session,
    version: CLProjectVersion,
    kind: str,
    caller: dict[str, Any],
    tags: dict[str, str] | None,
) -> int:
    """Add ``version``, tag it and queue its job; the id is to submit once the transaction commits."""
    session.add(version)
    session.flush()
    job = queue_job(session, kind, {"version_id": version.id, "caller": caller})
    resource_tags.tag_at_creation(session, version.arn, tags)
    return job.id
