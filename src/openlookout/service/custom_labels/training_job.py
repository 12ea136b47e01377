"""Job ``cl_train_version``: train and evaluate a Custom Labels model (CreateProjectVersion).

Steps: validate the project's datasets again and write the validation files (spec B.4),
stop on terminal errors; split TRAIN 80/20 when there is no TEST dataset; train the
classifier, or the object detector when the training set has bounding boxes
(``training_kinds``); copy the model into the internal bucket; write the evaluation files
(spec B.5); then commit TRAINING_COMPLETED with every result in one transaction. A re-run
after a crash starts over and overwrites the same keys.
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openlookout.access import S3LocationDenied, caller_blobs
from openlookout.blobs.base import BlobError, BlobStore, ensure_bucket
from openlookout.errors import InvalidInputError
from openlookout.jobs.base import JobContext, JobFailed
from openlookout.manifests.custom_labels import ManifestCheck, TerminalManifestError
from openlookout.ml.api import TrainingDataError
from openlookout.service.custom_labels import training_data
from openlookout.service.custom_labels.artifact_crypto import model_prefix, upload_artifacts
from openlookout.service.custom_labels.evaluation import EvaluationKeys, evaluation_keys
from openlookout.service.custom_labels.statuses import ProjectVersionStatus
from openlookout.service.custom_labels.training_kinds import TrainedModel, trainer_for
from openlookout.service.custom_labels.validation_files import (
    ValidationFiles,
    write_validation_files,
)
from openlookout.service.custom_labels.version_inputs import version_manifest_checks
from openlookout.service.custom_labels.version_status import MESSAGES, TRAIN_JOB_KIND
from openlookout.store.base import utcnow
from openlookout.store.common_tables import Job
from openlookout.store.custom_labels_tables import CLProject, CLProjectVersion
from openlookout.store.db import write_session

log = logging.getLogger(__name__)
# The job's percent (jobs/progress.py): validating, training, then saving.
VALIDATION_END, TRAINING_END, SAVING_END = 5.0, 95.0, 98.0


@dataclass(frozen=True)
class VersionTarget:
    """The names a run needs after its first read of the database."""

    project: str
    version: str
    arn: str
    bucket: str  # OutputConfig
    prefix: str


def _asset(bucket: str, key: str) -> dict[str, Any]:
    return {"GroundTruthManifest": {"S3Object": {"Bucket": bucket, "Name": key}}}


def load_results(version: CLProjectVersion) -> dict[str, Any]:
    return json.loads(version.results) if version.results else {}


def _validation_results(files: ValidationFiles) -> dict[str, Any]:
    results: dict[str, Any] = {
        "ManifestSummary": {"S3Object": {"Bucket": files.bucket, "Name": files.summary_key}},
        "TrainingDataResult": {"Validation": {"Assets": [_asset(files.bucket, files.training_key)]}},
        "TestingDataResult": {"Validation": {"Assets": []}},
    }
    if files.testing_key:
        results["TestingDataResult"]["Validation"]["Assets"] = [_asset(files.bucket, files.testing_key)]
    return results


def _merge(results: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Nested dicts merge; anything else is replaced."""
    merged = dict(results)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class TrainCustomLabelsVersionHandler:
    kind = TRAIN_JOB_KIND

    def run(self, ctx: JobContext, job: Job) -> None:
        payload = json.loads(job.payload)
        version_id = int(payload["version_id"])
        # Legacy manifests, their images and OutputConfig are used with the caller's S3 permissions.
        as_caller = caller_blobs(ctx.blobs, ctx.settings.internal_bucket, payload)
        started = time.monotonic()
        with ctx.sessions() as session:
            version = session.get(CLProjectVersion, version_id)
            if version is None:
                raise JobFailed("The project version no longer exists.")
            if version.status != ProjectVersionStatus.TRAINING_IN_PROGRESS:
                return  # a re-run after the final commit
            project = session.get(CLProject, version.project_id)
            assert project is not None
            target = VersionTarget(
                project.name, version.name, version.arn, version.output_bucket, version.output_prefix
            )
            train_check, test_check = version_manifest_checks(session, as_caller, version)
        try:
            as_caller.check("s3:PutObject", target.bucket, target.prefix)
        except S3LocationDenied as denied:
            raise JobFailed(f"ERROR_CANNOT_WRITE_OUTPUT_S3_BUCKET: {denied.message}") from None
        ctx.progress.report("validating the datasets", 0)
        self._validate(ctx, as_caller, version_id, train_check, test_check, target)
        use_case = train_check.use_case
        split = training_data.split_lines(train_check, test_check, use_case)
        self._save_results(
            ctx, version_id, {"TestingDataResult": {"Input": {"AutoCreate": split.auto_created}}}
        )
        with tempfile.TemporaryDirectory(prefix="openlookout-cl-train-") as tmp:
            trained = _train(ctx, split, use_case, Path(tmp) / "model")
            ctx.progress.report("saving the model", TRAINING_END)
            artifact_prefix = model_prefix(target.project, target.version, version_id)
            ensure_bucket(ctx.blobs, ctx.settings.internal_bucket)
            upload_artifacts(ctx, version_id, Path(tmp) / "model", artifact_prefix)
        end = utcnow()
        keys = evaluation_keys(target.bucket, target.prefix, target.project, target.version)
        ctx.progress.report("evaluation files", SAVING_END)
        try:
            trained.write_evaluation(as_caller, keys, target.arn, end)
        except BlobError as exc:
            raise JobFailed(
                "ERROR_CANNOT_WRITE_OUTPUT_S3_BUCKET: "
                f"Cannot write to s3://{target.bucket}/{target.prefix}: {exc}"
            ) from None
        log.info(
            "custom labels %s/%s (%s) trained on %d images in %.1f s, test F1 %.3f",
            target.project,
            target.version,
            use_case,
            trained.num_train,
            trained.train_seconds,
            trained.f1,
        )
        with write_session(ctx.sessions) as session:
            version = session.get(CLProjectVersion, version_id)
            if version is None or version.status != ProjectVersionStatus.TRAINING_IN_PROGRESS:
                return  # deleted meanwhile
            version.status, version.status_message = (
                ProjectVersionStatus.TRAINING_COMPLETED,
                MESSAGES[ProjectVersionStatus.TRAINING_COMPLETED],
            )
            version.training_end = version.updated_at = end
            version.f1_score = trained.f1
            version.artifact_prefix = artifact_prefix
            billable = max(1, math.ceil(time.monotonic() - started))
            version.results = json.dumps(
                _merge(load_results(version), _trained_results(keys, split.auto_created, billable))
            )

    def fail(self, ctx: JobContext, job: Job, message: str) -> None:
        version_id = int(json.loads(job.payload)["version_id"])
        with write_session(ctx.sessions) as session:
            version = session.get(CLProjectVersion, version_id)
            if version is None or version.status != ProjectVersionStatus.TRAINING_IN_PROGRESS:
                return
            version.status, version.status_message = ProjectVersionStatus.TRAINING_FAILED, message
            version.training_end = version.updated_at = utcnow()

    # -- steps ------------------------------------------------------------------------------

    def _validate(
        self,
        ctx: JobContext,
        output: BlobStore,
        version_id: int,
        train: ManifestCheck,
        test: ManifestCheck | None,
        target: VersionTarget,
    ) -> ValidationFiles:
        try:
            files = write_validation_files(output, train, test, target.bucket, target.prefix, target.version)
        except TerminalManifestError as exc:
            raise JobFailed(str(exc)) from None
        # The validation files describe a failed run too, so record them before judging.
        self._save_results(ctx, version_id, _validation_results(files))
        if files.terminal_errors:
            raise JobFailed("; ".join(f"{e['code']}: {e['message']}" for e in files.terminal_errors))
        return files

    def _save_results(self, ctx: JobContext, version_id: int, extra: dict[str, Any]) -> None:
        with write_session(ctx.sessions) as session:
            version = session.get(CLProjectVersion, version_id)
            if version is not None:
                version.results = json.dumps(_merge(load_results(version), extra))


def _train(
    ctx: JobContext, split: training_data.TrainingSplit, use_case: str, model_dir: Path
) -> TrainedModel:
    train_labels = {label for line in split.train for label in line.labels}
    if not any(train_labels & set(line.labels) for line in split.test):
        raise JobFailed(
            "ERROR_INSUFFICIENT_USABLE_LABEL_OVERLAP: no usable test image carries a label of the "
            "training data, so the model cannot be evaluated."
        )
    try:
        stages = ctx.progress.scaled(VALIDATION_END, TRAINING_END)
        return trainer_for(use_case)(ctx.blobs, split, model_dir, stages)
    except TrainingDataError as exc:
        raise JobFailed(f"ERROR_MANIFEST_TOO_FEW_USABLE_LABELS: {exc}") from None
    except (BlobError, InvalidInputError) as exc:
        message = getattr(exc, "message", str(exc))
        raise JobFailed(f"ERROR_FAILED_IMAGES_S3_COPY: An image could not be read: {message}") from None


def _trained_results(keys: EvaluationKeys, auto_created: bool, billable_seconds: int) -> dict[str, Any]:
    return {
        "BillableTrainingTimeInSeconds": billable_seconds,
        "EvaluationResult": {"Summary": {"S3Object": {"Bucket": keys.bucket, "Name": keys.summary}}},
        "TrainingDataResult": {"Output": {"Assets": [_asset(keys.bucket, keys.training_manifest)]}},
        "TestingDataResult": {
            "Output": {"Assets": [_asset(keys.bucket, keys.testing_manifest)], "AutoCreate": auto_created}
        },
    }
