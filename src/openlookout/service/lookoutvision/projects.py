"""Projects: create, describe, list, delete (spec A.3 #3, #6, #10, #15)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from openlookout.errors import ConflictError, NotFoundError
from openlookout.regions import creation_region, request_region
from openlookout.service.common import pagination
from openlookout.service.common.tags import delete_all_tags
from openlookout.service.lookoutvision.arns import project_arn
from openlookout.service.lookoutvision.call import LookoutVisionCall
from openlookout.service.lookoutvision.idempotency import run_once, scope_for
from openlookout.store.base import utcnow
from openlookout.store.lookoutvision_tables import Dataset, Model, Project


def list_project_rows(
    call: LookoutVisionCall,
    operation: str,
    project_name: str,
    key: InstrumentedAttribute[int],
    next_token: str | None,
    max_results: int | None,
    describe: Callable[[Any, Project], dict[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One newest-first page of a project's rows of ``key``'s table, keyed by ``key``:
    (each row described, the NextToken member if more follow)."""
    query = {"op": operation, "project": project_name}
    page = pagination.keyset(next_token, query, int, pagination.page_size(max_results), descending=True)
    table = key.class_
    with call.sessions() as session:
        project = get_project(session, project_name)
        stmt = select(table).where(table.project_id == project.id)
        rows: Sequence[Any] = session.scalars(page.select(stmt, key)).all()
        described = [describe(row, project) for row in page.rows(rows)]
        return described, page.next_token(rows, lambda row: getattr(row, key.key))


def get_project(session: Session, project_name: str, for_update: bool = False) -> Project:
    """The project, row-locked when ``for_update`` (PostgreSQL; SQLite already locks the database)."""
    stmt = in_request_region(select(Project).where(Project.name == project_name))
    if for_update:
        stmt = stmt.with_for_update()
    project = session.scalars(stmt).one_or_none()
    if project is None:
        raise NotFoundError(
            f"The project {project_name} does not exist.", resource_type="PROJECT", resource_id=project_name
        )
    return project


def in_request_region(stmt: Select[Project]) -> Select[Project]:
    """Only the projects of the region the request was signed for (all of them outside a request)."""
    region = request_region()
    return stmt if region is None else stmt.where(Project.region == region)


def project_metadata(project: Project) -> dict[str, Any]:
    return {
        "ProjectArn": project.arn,
        "ProjectName": project.name,
        "CreationTimestamp": project.created_at,
    }


def create_project(
    call: LookoutVisionCall, project_name: str, client_token: str | None = None
) -> dict[str, Any]:
    region = creation_region(call.settings.region)

    def create(session: Session) -> dict[str, Any]:
        taken = select(Project.id).where(Project.region == region, Project.name == project_name)
        if session.scalars(taken).first() is not None:
            raise ConflictError(
                f"A project named {project_name} already exists.",
                resource_type="PROJECT",
                resource_id=project_name,
            )
        project = Project(
            region=region,
            name=project_name,
            arn=project_arn(region, call.settings.account_id, project_name),
            created_at=utcnow(),
            next_model_version=1,
        )
        session.add(project)
        session.flush()
        return {"ProjectMetadata": project_metadata(project)}

    scope = scope_for("CreateProject", client_token, {"ProjectName": project_name}, "PROJECT", project_name)
    return run_once(call.sessions, scope, create).response


def describe_project(call: LookoutVisionCall, project_name: str) -> dict[str, Any]:
    with call.sessions() as session:
        project = get_project(session, project_name)
        datasets = session.scalars(
            select(Dataset).where(Dataset.project_id == project.id).order_by(Dataset.dataset_type.desc())
        ).all()
        return {
            "ProjectDescription": {
                **project_metadata(project),
                "Datasets": [
                    {
                        "DatasetType": d.dataset_type,
                        "CreationTimestamp": d.created_at,
                        "Status": d.status,
                        "StatusMessage": d.status_message,
                    }
                    for d in datasets
                ],
            }
        }


def list_projects(
    call: LookoutVisionCall, next_token: str | None = None, max_results: int | None = None
) -> dict[str, Any]:
    query: dict[str, Any] = {"op": "ListProjects"}
    page = pagination.keyset(next_token, query, str, pagination.page_size(max_results))
    with call.sessions() as session:
        rows = session.scalars(page.select(in_request_region(select(Project)), Project.name)).all()
    return {
        "Projects": [project_metadata(p) for p in page.rows(rows)],
        **page.next_token(rows, lambda p: p.name),
    }


def delete_project(
    call: LookoutVisionCall, project_name: str, client_token: str | None = None
) -> dict[str, Any]:
    def delete(session: Session) -> dict[str, Any]:
        project = get_project(session, project_name)
        dataset_types = session.scalars(
            select(Dataset.dataset_type).where(Dataset.project_id == project.id)
        ).all()
        versions = session.scalars(select(Model.version).where(Model.project_id == project.id)).all()
        if dataset_types or versions:
            blockers = []
            if dataset_types:
                blockers.append("datasets (" + ", ".join(sorted(dataset_types, reverse=True)) + ")")
            if versions:
                blockers.append("model versions (" + ", ".join(str(v) for v in sorted(versions)) + ")")
            raise ConflictError(
                f"The project {project_name} still has {' and '.join(blockers)}. "
                "Delete them before deleting the project.",
                resource_type="PROJECT",
                resource_id=project_name,
            )
        arn = project.arn
        delete_all_tags(session, arn)
        session.delete(project)
        return {"ProjectArn": arn}

    scope = scope_for("DeleteProject", client_token, {"ProjectName": project_name}, "PROJECT", project_name)
    return run_once(call.sessions, scope, delete).response
