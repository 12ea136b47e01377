"""Model packaging jobs (StartModelPackagingJob, DescribeModelPackagingJob,
ListModelPackagingJobs; spec A.4, A.9) and their ``package_model`` job handler.

StartModelPackagingJob validates the Greengrass configuration (``export/target.py``), checks
that the model is TRAINED or HOSTED, that the output bucket exists and that the component
name and version are unused, then records a CREATED job and queues it. The handler moves
it to RUNNING, builds the edge package from the model's artefacts (``export/package.py``),
uploads it under ``<Prefix><ComponentName>/<ComponentVersion>/`` and marks it SUCCEEDED,
or FAILED with the reason (docs/packaging.md).
"""

from __future__ import annotations

import json
import logging
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from openlookout.access import S3LocationDenied, caller_blobs
from openlookout.blobs.transfer import download_prefix
from openlookout.config import Settings
from openlookout.errors import ConflictError, InvalidInputError, NotFoundError
from openlookout.export.recipe import ComponentInfo
from openlookout.export.target import GreengrassTarget, parse_greengrass
from openlookout.jobs.base import JobContext, JobFailed
from openlookout.jobs.runner import queue_job
from openlookout.service.common.tags import validate_tags
from openlookout.service.lookoutvision.call import LookoutVisionCall
from openlookout.service.lookoutvision.idempotency import run_once, scope_for
from openlookout.service.lookoutvision.models import get_model, model_state_conflict
from openlookout.service.lookoutvision.projects import get_project, list_project_rows
from openlookout.service.lookoutvision.statuses import ModelStatus, PackagingJobStatus
from openlookout.store.base import utcnow
from openlookout.store.common_tables import Job
from openlookout.store.db import write_session
from openlookout.store.lookoutvision_tables import Model, ModelPackagingJob, Project

log = logging.getLogger(__name__)

JOB_KIND = "package_model"
RESOURCE_TYPE = "MODEL_PACKAGE_JOB"
PACKAGING_METHOD = "Greengrass"
PACKAGEABLE = frozenset({ModelStatus.TRAINED, ModelStatus.HOSTED})
MESSAGES = {
    PackagingJobStatus.CREATED: "The model packaging job was created.",
    PackagingJobStatus.RUNNING: "The model packaging job is running.",
    PackagingJobStatus.SUCCEEDED: "The model packaging job completed successfully.",
}


def component_version_arn(settings: Settings, name: str, version: str) -> str:
    return f"arn:aws:greengrass:{settings.region}:{settings.account_id}:components:{name}:versions:{version}"


def package_prefix(job: ModelPackagingJob) -> str:
    """Key prefix of the package's objects in the output bucket."""
    return f"{job.output_prefix}{job.component_name}/{job.component_version}/"


def _metadata(job: ModelPackagingJob, project_name: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "JobName": job.job_name,
        "ProjectName": project_name,
        "ModelVersion": str(job.model_version),
        "ModelPackagingMethod": job.packaging_method,
        "Status": job.status,
        "StatusMessage": job.status_message,
        "CreationTimestamp": job.created_at,
        "LastUpdatedTimestamp": job.updated_at,
    }
    if job.description is not None:
        data["ModelPackagingJobDescription"] = job.description
    return data


def _description(job: ModelPackagingJob, project_name: str, settings: Settings) -> dict[str, Any]:
    data = _metadata(job, project_name)
    data["ModelPackagingConfiguration"] = json.loads(job.configuration)
    if job.status == PackagingJobStatus.SUCCEEDED:
        name, version = job.component_name, job.component_version
        data["ModelPackagingOutputDetails"] = {
            "Greengrass": {
                "ComponentVersionArn": component_version_arn(settings, name, version),
                "ComponentName": name,
                "ComponentVersion": version,
            }
        }
    return data


def _check_unused(session: Session, project: Project, job_name: str, target: GreengrassTarget) -> None:
    if session.scalar(
        select(ModelPackagingJob.id).where(
            ModelPackagingJob.project_id == project.id, ModelPackagingJob.job_name == job_name
        )
    ):
        raise ConflictError(
            f"A model packaging job named {job_name} already exists in project {project.name}.",
            resource_type=RESOURCE_TYPE,
            resource_id=job_name,
        )
    if session.scalar(
        select(ModelPackagingJob.id).where(
            ModelPackagingJob.component_name == target.component_name,
            ModelPackagingJob.component_version == target.component_version,
        )
    ):
        raise ConflictError(
            f"Version {target.component_version} of component {target.component_name} already exists; "
            "choose another ComponentVersion or ComponentName.",
            resource_type=RESOURCE_TYPE,
            resource_id=job_name,
        )


def _check_packageable(model: Model, project_name: str) -> None:
    if model.status not in PACKAGEABLE:
        only = " or ".join(sorted(PACKAGEABLE))
        raise model_state_conflict(model, project_name, f"only {only} models can be packaged")


def start_model_packaging_job(
    call: LookoutVisionCall,
    project_name: str,
    model_version: str,
    configuration: dict[str, Any],
    job_name: str | None = None,
    description: str | None = None,
    client_token: str | None = None,
) -> dict[str, Any]:
    s3 = call.s3
    # The package is written with the caller's S3 permissions: refused before anything else.
    location = (configuration.get("Greengrass") or {}).get("S3OutputLocation") or {}
    if isinstance(location.get("Bucket"), str):
        s3.check("s3:PutObject", location["Bucket"], str(location.get("Prefix") or ""))
    params = {
        "ProjectName": project_name,
        "ModelVersion": model_version,
        "Configuration": configuration,
        "JobName": job_name,
        "Description": description,
    }
    scope = scope_for("StartModelPackagingJob", client_token, params, RESOURCE_TYPE, job_name or project_name)
    queued: list[int] = []

    def create(session: Session) -> dict[str, Any]:
        project = get_project(session, project_name)
        model = get_model(session, project, model_version)
        target = parse_greengrass(configuration, model.version)
        validate_tags(configuration["Greengrass"].get("Tags") or [])
        _check_packageable(model, project_name)
        name = job_name or str(uuid.uuid4())
        _check_unused(session, project, name, target)
        if not s3.bucket_exists(target.bucket):
            raise InvalidInputError(
                f"The output bucket {target.bucket!r} does not exist; create it or choose another "
                "S3OutputLocation.",
                field="Configuration.Greengrass.S3OutputLocation.Bucket",
            )
        now = utcnow()
        job = ModelPackagingJob(
            project_id=project.id,
            job_name=name,
            model_version=model.version,
            status=PackagingJobStatus.CREATED,
            status_message=MESSAGES[PackagingJobStatus.CREATED],
            description=description,
            packaging_method=PACKAGING_METHOD,
            configuration=json.dumps(target.configuration, sort_keys=True),
            component_name=target.component_name,
            component_version=target.component_version,
            output_bucket=target.bucket,
            output_prefix=target.prefix,
            created_at=now,
            updated_at=now,
        )
        session.add(job)
        session.flush()
        payload = {"packaging_job_id": job.id, "caller": s3.caller.to_payload()}
        queued.append(queue_job(session, JOB_KIND, payload, project_id=project.id).id)
        return {"JobName": name}

    try:
        outcome = run_once(call.sessions, scope, create)
    except IntegrityError:
        # A concurrent call took the same job name or component version between our check and insert.
        raise ConflictError(
            "Another model packaging job with this JobName or component version was just created.",
            resource_type=RESOURCE_TYPE,
            resource_id=job_name or "",
        ) from None
    for job_id in queued if not outcome.replayed else ():
        call.runner.submit(job_id)
    return outcome.response


def _get_job(session: Session, project: Project, job_name: str) -> ModelPackagingJob:
    job = session.scalars(
        select(ModelPackagingJob).where(
            ModelPackagingJob.project_id == project.id, ModelPackagingJob.job_name == job_name
        )
    ).one_or_none()
    if job is None:
        raise NotFoundError(
            f"The model packaging job {job_name} does not exist in project {project.name}.",
            resource_type=RESOURCE_TYPE,
            resource_id=job_name,
        )
    return job


def describe_model_packaging_job(call: LookoutVisionCall, project_name: str, job_name: str) -> dict[str, Any]:
    with call.sessions() as session:
        project = get_project(session, project_name)
        job = _get_job(session, project, job_name)
        return {"ModelPackagingDescription": _description(job, project.name, call.settings)}


def list_model_packaging_jobs(
    call: LookoutVisionCall, project_name: str, next_token: str | None = None, max_results: int | None = None
) -> dict[str, Any]:
    """Newest first, paginated by the job's row id."""
    jobs, token = list_project_rows(
        call,
        "ListModelPackagingJobs",
        project_name,
        ModelPackagingJob.id,
        next_token,
        max_results,
        lambda job, project: _metadata(job, project.name),
    )
    return {"ModelPackagingJobs": jobs, **token}


# -- the job handler -------------------------------------------------------------------------------


def _set_status(sessions: sessionmaker[Session], job_id: int, status: str, message: str) -> None:
    with write_session(sessions) as session:
        job = session.get(ModelPackagingJob, job_id)
        if job is not None:
            job.status, job.status_message, job.updated_at = status, message, utcnow()


class PackageModelHandler:
    """Payload ``{packaging_job_id}``."""

    kind = JOB_KIND

    def run(self, ctx: JobContext, job: Job) -> None:
        payload = json.loads(job.payload)
        job_id = int(payload["packaging_job_id"])
        output = caller_blobs(ctx.blobs, ctx.settings.internal_bucket, payload)
        with ctx.sessions() as session:
            packaging = session.get(ModelPackagingJob, job_id)
            if packaging is None:
                return  # the project was deleted meanwhile
            project = session.get(Project, packaging.project_id)
            model = session.scalars(
                select(Model).where(
                    Model.project_id == packaging.project_id, Model.version == packaging.model_version
                )
            ).one_or_none()
            if project is None or model is None or not model.artifact_prefix:
                raise JobFailed("The model no longer exists or has no trained artefacts.")
            artifact_prefix, prefix, bucket = (
                model.artifact_prefix,
                package_prefix(packaging),
                packaging.output_bucket,
            )
            source_info = (project.name, model.version, model.arn)
            config = json.loads(packaging.configuration)["Greengrass"]
            name, version = packaging.component_name, packaging.component_version
        _set_status(ctx.sessions, job_id, PackagingJobStatus.RUNNING, MESSAGES[PackagingJobStatus.RUNNING])
        progress = ctx.progress
        progress.report("checking the output location", 0)
        try:
            output.check("s3:PutObject", bucket, prefix)
        except S3LocationDenied as denied:
            raise JobFailed(f"The output location cannot be written: {denied.message}") from None
        if not output.bucket_exists(bucket):
            raise JobFailed(f"The output bucket '{bucket}' no longer exists.")
        # The export pulls in torch: import it only in the worker that builds the package.
        from openlookout.export.package import ZIP_FILE, PackageSource, build_package

        target = parse_greengrass({"Greengrass": config}, source_info[1])
        component = ComponentInfo(
            name=name,
            version=version,
            description=target.component_description
            or f"openlookout model {source_info[0]}/{source_info[1]}",
            architecture=target.architecture,
            artifact_uri=f"s3://{bucket}/{prefix}{ZIP_FILE}",
        )
        targeting = {
            k: config[k] for k in ("TargetDevice", "TargetPlatform", "CompilerOptions") if k in config
        }
        with tempfile.TemporaryDirectory(prefix="openlookout-package-") as tmp:
            model_dir, out_dir = Path(tmp) / "model", Path(tmp) / "package"
            progress.report("downloading the model", 5)
            download_prefix(ctx.blobs, ctx.settings.internal_bucket, artifact_prefix, model_dir)
            progress.report("building the package", 20)
            files = build_package(
                model_dir, out_dir, PackageSource(*source_info, target=targeting), component
            )
            for done, relative in enumerate(files):
                progress.count("uploading the package", done, len(files), 80, 100)
                with (out_dir / relative).open("rb") as handle:
                    output.put(bucket, prefix + relative.as_posix(), handle)
        _set_status(
            ctx.sessions, job_id, PackagingJobStatus.SUCCEEDED, MESSAGES[PackagingJobStatus.SUCCEEDED]
        )

    def fail(self, ctx: JobContext, job: Job, message: str) -> None:
        job_id = int(json.loads(job.payload)["packaging_job_id"])
        _set_status(ctx.sessions, job_id, PackagingJobStatus.FAILED, message)
