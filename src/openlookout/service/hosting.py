"""Hosting and edge packaging until model hosting lands (spec A.3 #9, #11, #13, #17-19; A.7-A.9).

Every call resolves its project and model first, so a wrong name still gives
ResourceNotFoundException. Calls that need a hosted model follow the real rule
(ConflictException: the model is not hosted); starting hosting or packaging is
refused with NotSupportedError rather than faked.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openlookout.errors import ConflictError, NotFoundError, NotSupportedError
from openlookout.service import pagination
from openlookout.service.models import get_model
from openlookout.service.projects import get_project
from openlookout.store.tables import Model

HOSTED = "HOSTED"
HOSTING_UNAVAILABLE = (
    "Model hosting (StartModel, StopModel, DetectAnomalies) is not available in this release of openlookout."
)
PACKAGING_UNAVAILABLE = "Model packaging jobs are not available in this release of openlookout."


def _resolve_model(sessions: sessionmaker[Session], project_name: str, model_version: str) -> Model:
    with sessions() as session:
        return get_model(session, get_project(session, project_name), model_version)


def _require_hosted(model: Model, project_name: str) -> None:
    if model.status != HOSTED:
        raise ConflictError(
            f"Model version {model.version} of project {project_name} is not hosted (status {model.status}). "
            "Start the model first.",
            resource_type="MODEL",
            resource_id=str(model.version),
        )


def start_model(sessions: sessionmaker[Session], project_name: str, model_version: str) -> dict[str, Any]:
    _resolve_model(sessions, project_name, model_version)
    raise NotSupportedError(HOSTING_UNAVAILABLE)


def stop_model(sessions: sessionmaker[Session], project_name: str, model_version: str) -> dict[str, Any]:
    _require_hosted(_resolve_model(sessions, project_name, model_version), project_name)
    raise NotSupportedError(HOSTING_UNAVAILABLE)


def detect_anomalies(
    sessions: sessionmaker[Session], project_name: str, model_version: str
) -> dict[str, Any]:
    _require_hosted(_resolve_model(sessions, project_name, model_version), project_name)
    raise NotSupportedError(HOSTING_UNAVAILABLE)


def start_model_packaging_job(
    sessions: sessionmaker[Session], project_name: str, model_version: str
) -> dict[str, Any]:
    _resolve_model(sessions, project_name, model_version)
    raise NotSupportedError(PACKAGING_UNAVAILABLE)


def describe_model_packaging_job(
    sessions: sessionmaker[Session], project_name: str, job_name: str
) -> dict[str, Any]:
    with sessions() as session:
        get_project(session, project_name)
    raise NotFoundError(
        f"The model packaging job {job_name} does not exist in project {project_name}.",
        resource_type="MODEL_PACKAGE_JOB",
        resource_id=job_name,
    )


def list_model_packaging_jobs(
    sessions: sessionmaker[Session], project_name: str, next_token: str | None, max_results: int | None
) -> dict[str, Any]:
    pagination.page_size(max_results)
    pagination.decode_token(next_token, {"op": "ListModelPackagingJobs", "project": project_name})
    with sessions() as session:
        get_project(session, project_name)
    return {"ModelPackagingJobs": []}
