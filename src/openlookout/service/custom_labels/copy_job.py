"""Job ``cl_copy_version``: copy a trained project version into its destination (CopyProjectVersion).

Steps: copy the model files in the internal bucket (opened with the source's key, sealed
with the copy's ``KmsKeyId``), copy the evaluation and validation files into the copy's
OutputConfig under the copy's names, then commit COPYING_COMPLETED with the source's
evaluation in one transaction. A re-run after a crash starts over and overwrites the same keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from openlookout.access import caller_blobs
from openlookout.blobs.base import BlobError, BlobStore, ensure_bucket
from openlookout.jobs.base import JobContext, JobFailed
from openlookout.kms.keyring import InvalidCiphertextError, Keyring, UnknownKeyError
from openlookout.service.custom_labels.artifact_crypto import (
    keys_under,
    model_prefix,
    seal,
    unseal,
)
from openlookout.service.custom_labels.statuses import ProjectVersionStatus
from openlookout.service.custom_labels.version_status import COPY_JOB_KIND, MESSAGES
from openlookout.store.base import utcnow
from openlookout.store.common_tables import Job
from openlookout.store.custom_labels_tables import CLProject, CLProjectVersion
from openlookout.store.db import write_session

SUMMARY_NAME = "EvaluationResultSummary-{project}-{version}.json"


@dataclass(frozen=True)
class VersionNames:
    """How one side of the copy names its files."""

    project: str
    version: str
    arn: str
    bucket: str  # OutputConfig
    prefix: str

    @property
    def summary_key(self) -> str:
        return self.prefix + SUMMARY_NAME.format(project=self.project, version=self.version)

    @property
    def version_folder(self) -> str:
        return f"{self.prefix}{self.version}/"


@dataclass(frozen=True)
class CopyPlan:
    source: VersionNames
    copy: VersionNames
    source_model: str  # artifact prefix in the internal bucket
    copy_model: str
    copy_kms_key_id: str | None
    source_results: dict[str, Any]
    f1_score: float | None
    training_end: datetime | None


def destination_key(name: str, source: VersionNames, copy: VersionNames) -> str:
    """Where a source output file goes: the same place in the copy's own layout."""
    if name == source.summary_key:
        return copy.summary_key
    if name.startswith(source.version_folder):
        return copy.version_folder + name[len(source.version_folder) :]
    return copy.version_folder + "copied/" + name.rsplit("/", 1)[-1]


def _output_objects(results: dict[str, Any]) -> list[dict[str, str]]:
    """Every S3Object of the results that training wrote (the inputs are the user's own)."""
    found = []
    if "EvaluationResult" in results:
        found.append(results["EvaluationResult"]["Summary"]["S3Object"])
    if "ManifestSummary" in results:
        found.append(results["ManifestSummary"]["S3Object"])
    for member in ("TrainingDataResult", "TestingDataResult"):
        for part in ("Output", "Validation"):
            for asset in results.get(member, {}).get(part, {}).get("Assets", []):
                found.append(asset["GroundTruthManifest"]["S3Object"])
    return found


# The job's percent (jobs/progress.py): the model files, then the output files.
MODEL_END = 90.0


class CopyCustomLabelsVersionHandler:
    kind = COPY_JOB_KIND

    def run(self, ctx: JobContext, job: Job) -> None:
        payload = json.loads(job.payload)
        version_id = int(payload["version_id"])
        plan = self._plan(ctx, version_id)
        if plan is None:
            return  # a re-run after the final commit
        # The copy's OutputConfig is written with the permissions CopyProjectVersion was called with.
        output = caller_blobs(ctx.blobs, ctx.settings.internal_bucket, payload)
        _copy_model(ctx, ctx.keyring, plan)
        ctx.progress.report("copying the output files", MODEL_END)
        results = _copy_outputs(ctx.blobs, output, plan)
        with write_session(ctx.sessions) as session:
            version = session.get(CLProjectVersion, version_id)
            if version is None or version.status != ProjectVersionStatus.COPYING_IN_PROGRESS:
                return  # deleted meanwhile
            version.status, version.status_message = (
                ProjectVersionStatus.COPYING_COMPLETED,
                MESSAGES[ProjectVersionStatus.COPYING_COMPLETED],
            )
            version.updated_at = utcnow()
            version.training_end, version.f1_score = plan.training_end, plan.f1_score
            version.artifact_prefix = plan.copy_model
            version.results = json.dumps(results)

    def fail(self, ctx: JobContext, job: Job, message: str) -> None:
        version_id = int(json.loads(job.payload)["version_id"])
        with write_session(ctx.sessions) as session:
            version = session.get(CLProjectVersion, version_id)
            if version is None or version.status != ProjectVersionStatus.COPYING_IN_PROGRESS:
                return
            version.status, version.status_message = ProjectVersionStatus.COPYING_FAILED, message
            version.updated_at = utcnow()

    def _plan(self, ctx: JobContext, version_id: int) -> CopyPlan | None:
        with ctx.sessions() as session:
            copy = session.get(CLProjectVersion, version_id)
            if copy is None:
                raise JobFailed("The project version no longer exists.")
            if copy.status != ProjectVersionStatus.COPYING_IN_PROGRESS:
                return None
            source = session.scalars(
                select(CLProjectVersion).where(CLProjectVersion.arn == copy.source_version_arn)
            ).one_or_none()
            if source is None or not source.artifact_prefix:
                raise JobFailed(
                    f"The source project version {copy.source_version_arn} was deleted or has no "
                    "trained model any more."
                )
            source_project = session.get(CLProject, source.project_id)
            copy_project = session.get(CLProject, copy.project_id)
            assert source_project is not None and copy_project is not None
            return CopyPlan(
                source=_names(source_project, source),
                copy=_names(copy_project, copy),
                source_model=source.artifact_prefix,
                copy_model=model_prefix(copy_project.name, copy.name, copy.id),
                copy_kms_key_id=copy.kms_key_id,
                source_results=json.loads(source.results) if source.results else {},
                f1_score=source.f1_score,
                training_end=source.training_end,
            )


def _names(project: CLProject, version: CLProjectVersion) -> VersionNames:
    return VersionNames(project.name, version.name, version.arn, version.output_bucket, version.output_prefix)


def _copy_model(ctx: JobContext, keyring: Keyring, plan: CopyPlan) -> None:
    bucket = ctx.settings.internal_bucket
    ensure_bucket(ctx.blobs, bucket)
    try:
        keys = list(keys_under(ctx.blobs, bucket, plan.source_model))
        if not keys:
            raise JobFailed(f"The source project version {plan.source.arn} has no model files.")
        for done, key in enumerate(keys):
            ctx.progress.count("copying the model", done, len(keys), 0, MODEL_END)
            data = unseal(keyring, plan.source.arn, ctx.blobs.get(bucket, key))
            stored = seal(keyring, plan.copy_kms_key_id, plan.copy.arn, data)
            ctx.blobs.put(bucket, plan.copy_model + key[len(plan.source_model) :], stored)
    except BlobError as exc:
        raise JobFailed(f"The source model could not be read: {exc}") from None
    except (InvalidCiphertextError, UnknownKeyError) as exc:
        raise JobFailed(f"The source model could not be decrypted: {exc}") from None


def _copy_outputs(blobs: BlobStore, output: BlobStore, plan: CopyPlan) -> dict[str, Any]:
    """Copy the output files and return the copy's results pointing at them.

    The source's files are the service's own record of that version; the copies go to
    ``output``, the store as the caller may write it.
    """
    results = json.loads(json.dumps(plan.source_results))  # a deep copy to rewrite in place
    for s3_object in _output_objects(results):
        source_uri = f"s3://{s3_object['Bucket']}/{s3_object['Name']}"
        try:
            data = blobs.get(s3_object["Bucket"], s3_object["Name"])
        except BlobError:
            raise JobFailed(
                f"The source version's output file {source_uri} cannot be read; the copy needs it for "
                "its evaluation results."
            ) from None
        key = destination_key(s3_object["Name"], plan.source, plan.copy)
        if key == plan.copy.summary_key:
            data = _summary_for_copy(data, plan.copy.arn)
        try:
            output.put(plan.copy.bucket, key, data, content_type="application/json")
        except BlobError as exc:
            raise JobFailed(
                f"ERROR_CANNOT_WRITE_OUTPUT_S3_BUCKET: Cannot write to s3://{plan.copy.bucket}/{key}: {exc}"
            ) from None
        s3_object["Bucket"], s3_object["Name"] = plan.copy.bucket, key
    return results


def _summary_for_copy(data: bytes, copy_arn: str) -> bytes:
    """The evaluation summary names the version it describes: the copy, from now on."""
    try:
        summary = json.loads(data)
        summary["EvaluationDetails"]["ProjectVersionArn"] = copy_arn
    except (ValueError, KeyError, TypeError):
        return data  # not the document we wrote: copy it unchanged
    return json.dumps(summary, indent=2).encode()
