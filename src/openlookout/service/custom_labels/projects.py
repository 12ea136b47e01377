"""Custom Labels projects: CreateProject, DescribeProjects, DeleteProject (spec B.3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openlookout.errors import ConflictError, NotSupportedError
from openlookout.regions import creation_region, request_region
from openlookout.service.common import pagination
from openlookout.service.custom_labels import arns
from openlookout.service.custom_labels import tags as resource_tags
from openlookout.service.custom_labels.call import CustomLabelsCall
from openlookout.service.custom_labels.errors import duplicate_as
from openlookout.service.custom_labels.lookup import get_project
from openlookout.service.custom_labels.statuses import ProjectStatus
from openlookout.store.base import utcnow
from openlookout.store.custom_labels_tables import CLDataset, CLProject, CLProjectVersion
from openlookout.store.db import write_session

CUSTOM_LABELS = "CUSTOM_LABELS"
CONTENT_MODERATION = "CONTENT_MODERATION"


def create_project(
    call: CustomLabelsCall,
    project_name: str,
    feature: str | None = None,
    auto_update: str | None = None,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    if feature == CONTENT_MODERATION:
        raise NotSupportedError(
            "Feature CONTENT_MODERATION (adapters) is not supported by openlookout yet; "
            "create a CUSTOM_LABELS project instead."
        )
    # AutoUpdate only applies to adapters; for Custom Labels it has no effect (docs/custom_labels.md).
    del auto_update
    resource_tags.checked_tags(tags)
    in_use = ConflictError(
        f"A project named {project_name} already exists.", resource_type="PROJECT", resource_id=project_name
    )
    region = creation_region(call.settings.region)
    with duplicate_as(in_use), write_session(call.sessions) as session:
        taken = select(CLProject.id).where(CLProject.region == region, CLProject.name == project_name)
        if session.scalars(taken).first() is not None:
            raise in_use
        now = utcnow()
        arn = arns.project_arn(region, call.settings.account_id, project_name, now)
        project = CLProject(
            region=region,
            name=project_name,
            arn=arn,
            feature=CUSTOM_LABELS,
            status=ProjectStatus.CREATED,
            created_at=now,
        )
        session.add(project)
        resource_tags.tag_at_creation(session, arn, tags)
    return {"ProjectArn": arn}


def dataset_metadata(dataset: CLDataset) -> dict[str, Any]:
    return {
        "CreationTimestamp": dataset.created_at,
        "DatasetType": dataset.dataset_type,
        "DatasetArn": dataset.arn,
        "Status": dataset.status,
        "StatusMessage": dataset.status_message,
        "StatusMessageCode": dataset.status_message_code,
    }


def _description(session: Session, project: CLProject) -> dict[str, Any]:
    datasets = session.scalars(
        select(CLDataset).where(CLDataset.project_id == project.id).order_by(CLDataset.dataset_type.desc())
    ).all()
    return {
        "ProjectArn": project.arn,
        "CreationTimestamp": project.created_at,
        "Status": project.status,
        "Datasets": [dataset_metadata(d) for d in datasets],
        "Feature": project.feature,
    }


def describe_projects(
    call: CustomLabelsCall,
    next_token: str | None = None,
    max_results: int | None = None,
    project_names: list[str] | None = None,
    features: list[str] | None = None,
) -> dict[str, Any]:
    """Oldest first (creation order); ``Features`` defaults to CUSTOM_LABELS only."""
    wanted_features = sorted(set(features or [CUSTOM_LABELS]))
    names = sorted(set(project_names)) if project_names else None
    query: dict[str, Any] = {"op": "DescribeProjects", "names": names, "features": wanted_features}
    page = pagination.keyset(next_token, query, int, pagination.page_size(max_results))
    with call.sessions() as session:
        stmt = select(CLProject).where(CLProject.feature.in_(wanted_features))
        if (region := request_region()) is not None:
            stmt = stmt.where(CLProject.region == region)
        if names is not None:
            stmt = stmt.where(CLProject.name.in_(names))
        rows = session.scalars(page.select(stmt, CLProject.id)).all()
        return {
            "ProjectDescriptions": [_description(session, p) for p in page.rows(rows)],
            **page.next_token(rows, lambda p: p.id),
        }


def delete_project(call: CustomLabelsCall, project_arn: str) -> dict[str, Any]:
    """Refused while versions exist; datasets and policies go with the project."""
    with write_session(call.sessions) as session:
        project = get_project(session, project_arn)
        versions = session.scalars(
            select(CLProjectVersion.name).where(CLProjectVersion.project_id == project.id)
        ).all()
        if versions:
            raise ConflictError(
                f"The project still has project versions ({', '.join(sorted(versions))}); "
                "delete them before deleting the project.",
                resource_type="PROJECT",
                resource_id=project_arn,
            )
        dataset_arns = session.scalars(select(CLDataset.arn).where(CLDataset.project_id == project.id)).all()
        for arn in [project.arn, *dataset_arns]:
            resource_tags.forget_tags(session, arn)
        # Rows of datasets, entries and policies go through ON DELETE CASCADE.
        session.execute(delete(CLProject).where(CLProject.id == project.id))
    return {"Status": ProjectStatus.DELETING}
