"""Model versions: create (queue training), describe, list, delete (spec A.3 #2, #5, #8, #14; A.5.2)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openlookout.blobs.prefix import delete_prefix
from openlookout.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    QuotaExceededError,
)
from openlookout.jobs.runner import queue_job
from openlookout.service.common.kms_keys import check_kms_key
from openlookout.service.common.tags import delete_all_tags, put_tags, validate_tags
from openlookout.service.lookoutvision.arns import model_arn
from openlookout.service.lookoutvision.call import LookoutVisionCall
from openlookout.service.lookoutvision.datasets import COMPLETE_STATES, find_dataset
from openlookout.service.lookoutvision.idempotency import run_once, scope_for
from openlookout.service.lookoutvision.projects import get_project, list_project_rows
from openlookout.service.lookoutvision.statuses import ModelStatus
from openlookout.service.lookoutvision.training_minimums import LabelCounts, Shortfall, shortfalls
from openlookout.store.base import utcnow
from openlookout.store.db import write_session
from openlookout.store.lookoutvision_tables import DatasetEntry, Model, Project

log = logging.getLogger(__name__)

TRAINING_MESSAGE = "The model is being trained."
# Our ServiceQuotaExceeded code for concurrent trainings (documented in docs/behaviour.md).
CONCURRENT_TRAININGS_QUOTA_CODE = "L-7C1D5E0A"
# The action a caller needs to create a model with Tags, besides lookoutvision:CreateModel.
TAG_AT_CREATION = "lookoutvision:TagResource"
UNDELETABLE_STATES = frozenset(
    {ModelStatus.TRAINING, ModelStatus.STARTING_HOSTING, ModelStatus.HOSTED, ModelStatus.STOPPING_HOSTING}
)
_VERSION = re.compile(r"^[1-9][0-9]{0,9}$")


# -- lookups -------------------------------------------------------------------------------------


def parse_model_version(model_version: str, allow_latest: bool) -> int | None:
    """Digits → int; ``latest`` → None (when allowed); anything else → InvalidInputError."""
    if allow_latest and model_version == "latest":
        return None
    if not _VERSION.match(model_version):
        allowed = "a positive integer or 'latest'" if allow_latest else "a positive integer"
        raise InvalidInputError(
            f"ModelVersion must be {allowed}; got {model_version!r}.", field="ModelVersion"
        )
    return int(model_version)


def get_model(session: Session, project: Project, model_version: str, allow_latest: bool = True) -> Model:
    version = parse_model_version(model_version, allow_latest)
    stmt = select(Model).where(Model.project_id == project.id)
    if version is None:
        stmt = stmt.order_by(Model.version.desc()).limit(1)
    else:
        stmt = stmt.where(Model.version == version)
    model = session.scalars(stmt).first()
    if model is None:
        raise NotFoundError(
            f"Model version {model_version} of project {project.name} does not exist.",
            resource_type="MODEL",
            resource_id=model_version,
        )
    return model


def model_state_conflict(model: Model, project_name: str, requirement: str) -> ConflictError:
    """A model in the wrong status for the call; ``requirement`` says what the call needs."""
    return ConflictError(
        f"Model version {model.version} of project {project_name} is {model.status}; {requirement}.",
        resource_type="MODEL",
        resource_id=str(model.version),
    )


# -- response shapes -----------------------------------------------------------------------------


def _performance(model: Model) -> dict[str, float] | None:
    if model.f1_score is None and model.precision is None and model.recall is None:
        return None
    return {
        key: value
        for key, value in (
            ("F1Score", model.f1_score),
            ("Recall", model.recall),
            ("Precision", model.precision),
        )
        if value is not None
    }


def model_metadata(model: Model) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "CreationTimestamp": model.created_at,
        "ModelVersion": str(model.version),
        "ModelArn": model.arn,
        "Status": model.status,
        "StatusMessage": model.status_message,
    }
    if model.description is not None:
        metadata["Description"] = model.description
    if (performance := _performance(model)) is not None:
        metadata["Performance"] = performance
    return metadata


def model_description(model: Model) -> dict[str, Any]:
    description = model_metadata(model)
    description["OutputConfig"] = {
        "S3Location": {"Bucket": model.output_bucket, "Prefix": model.output_prefix}
    }
    if model.evaluation_manifest_key is not None:
        description["EvaluationManifest"] = {
            "Bucket": model.output_bucket,
            "Key": model.evaluation_manifest_key,
        }
    if model.evaluation_result_key is not None:
        description["EvaluationResult"] = {"Bucket": model.output_bucket, "Key": model.evaluation_result_key}
    if model.evaluation_end is not None:
        description["EvaluationEndTimestamp"] = model.evaluation_end
    if model.kms_key_id is not None:
        description["KmsKeyId"] = model.kms_key_id
    if model.min_inference_units is not None:
        description["MinInferenceUnits"] = model.min_inference_units
    if model.max_inference_units is not None:
        description["MaxInferenceUnits"] = model.max_inference_units
    return description


# -- training preconditions (spec A.5.2) ---------------------------------------------------------


def _count_labels(session: Session, dataset_id: int) -> tuple[LabelCounts, bool]:
    """The dataset's labeled images, and whether any of them has a mask."""
    counts, has_masks = LabelCounts(), False
    rows = session.execute(
        select(DatasetEntry.label, DatasetEntry.mask_ref, DatasetEntry.anomaly_classes).where(
            DatasetEntry.dataset_id == dataset_id, DatasetEntry.label.is_not(None)
        )
    )
    for label, mask_ref, classes_json in rows:
        assert label is not None  # selected above
        counts.add(label, json.loads(classes_json or "[]"))
        has_masks = has_masks or mask_ref is not None
    return counts, has_masks


def _problems(shortfall: Shortfall) -> list[str]:
    name, counts, needed = f"{shortfall.dataset} dataset", shortfall.counts, shortfall.needed
    if shortfall.label is not None:
        return [
            f"the {name} has {shortfall.found} images showing only the anomaly label {shortfall.label!r} "
            f"and needs at least {needed.per_label}"
        ]
    problems = []
    if counts.normal < needed.normal:
        problems.append(f"the {name} has {counts.normal} normal images and needs at least {needed.normal}")
    if counts.anomaly < needed.anomaly:
        problems.append(
            f"the {name} has {counts.anomaly} anomalous images and needs at least {needed.anomaly}"
        )
    return problems


def check_training_data(session: Session, project: Project) -> None:
    """Refuse CreateModel synchronously when the datasets cannot be trained on."""
    train = find_dataset(session, project, "train")
    if train is None:
        raise InvalidInputError(
            f"The project {project.name} has no train dataset. Create one before training a model.",
            field="ProjectName",
        )
    test = find_dataset(session, project, "test")
    for dataset in (train, test):
        if dataset is not None and dataset.status not in COMPLETE_STATES:
            raise ConflictError(
                f"The {dataset.dataset_type} dataset of project {project.name} is {dataset.status}; "
                f"training needs it in {', '.join(sorted(COMPLETE_STATES))}.",
                resource_type="DATASET",
                resource_id=dataset.dataset_type,
            )
    train_counts, has_masks = _count_labels(session, train.id)
    test_counts = _count_labels(session, test.id)[0] if test is not None else None
    # The model type follows the train dataset; the labels to count are those shown alone.
    labels: set[str] = set()
    if has_masks:
        labels = set(train_counts.single_label) | set(test_counts.single_label if test_counts else ())
    problems = [
        p for shortfall in shortfalls(train_counts, test_counts, labels) for p in _problems(shortfall)
    ]
    if problems:
        raise InvalidInputError(
            "Not enough labeled images to train a model: " + "; ".join(problems) + ".", field="ProjectName"
        )


# -- operations ----------------------------------------------------------------------------------


def _output_location(output_config: dict[str, Any]) -> tuple[str, str]:
    try:
        location = output_config["S3Location"]
        bucket, prefix = location["Bucket"], location.get("Prefix", "")
        if not isinstance(bucket, str) or not isinstance(prefix, str):
            raise TypeError
    except (KeyError, TypeError, AttributeError):
        raise InvalidInputError(
            "OutputConfig must be {S3Location: {Bucket, Prefix?}}.", field="OutputConfig"
        ) from None
    return bucket, prefix


def create_model(
    call: LookoutVisionCall,
    project_name: str,
    output_config: dict[str, Any],
    description: str | None = None,
    client_token: str | None = None,
    kms_key_id: str | None = None,
    tags: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    settings, s3 = call.settings, call.s3
    if tags:
        # Tagging at creation needs the tagging permission too, as in AWS IAM.
        s3.caller.require(TAG_AT_CREATION)
    bucket, prefix = _output_location(output_config)
    # The evaluation files are written with the caller's S3 permissions; refuse before anything.
    s3.check("s3:PutObject", bucket, prefix)
    wanted_tags = validate_tags(tags or [])
    params = {
        "ProjectName": project_name,
        "OutputConfig": output_config,
        "Description": description,
        "KmsKeyId": kms_key_id,
        "Tags": tags,
    }
    scope = scope_for("CreateModel", client_token, params, "MODEL", project_name)
    queued: list[int] = []

    def create(session: Session) -> dict[str, Any]:
        # Locked: concurrent CreateModel calls must not read the same next_model_version.
        project = get_project(session, project_name, for_update=True)
        check_training_data(session, project)
        if kms_key_id is not None:
            check_kms_key(call.keyring, kms_key_id)
        if not s3.bucket_exists(bucket):
            raise InvalidInputError(
                f"The output bucket {bucket!r} does not exist.", field="OutputConfig.S3Location.Bucket"
            )
        training = session.scalar(
            select(func.count()).select_from(Model).where(Model.status == ModelStatus.TRAINING)
        )
        if (training or 0) >= settings.max_concurrent_trainings:
            raise QuotaExceededError(
                f"{training} models are already training; at most {settings.max_concurrent_trainings} "
                "trainings can run at the same time. Try again when one has finished.",
                quota_code=CONCURRENT_TRAININGS_QUOTA_CODE,
                resource_type="MODEL",
                resource_id=project_name,
            )
        version = project.next_model_version
        project.next_model_version = version + 1
        now = utcnow()
        model = Model(
            project_id=project.id,
            version=version,
            arn=model_arn(project.region, settings.account_id, project.name, version),
            status=ModelStatus.TRAINING,
            status_message=TRAINING_MESSAGE,
            description=description,
            created_at=now,
            updated_at=now,
            output_bucket=bucket,
            output_prefix=prefix,
            kms_key_id=kms_key_id,
        )
        session.add(model)
        session.flush()
        put_tags(session, model.arn, wanted_tags)
        job = queue_job(
            session,
            "train_model",
            {"model_id": model.id, "caller": s3.caller.to_payload()},
            project_id=project.id,
            model_id=model.id,
        )
        queued.append(job.id)
        return {"ModelMetadata": model_metadata(model)}

    outcome = run_once(call.sessions, scope, create)
    for job_id in queued if not outcome.replayed else ():
        call.runner.submit(job_id)
    return outcome.response


def _metadata_of(model: Model, _: Project) -> dict[str, Any]:
    return model_metadata(model)


def describe_model(call: LookoutVisionCall, project_name: str, model_version: str) -> dict[str, Any]:
    with call.sessions() as session:
        model = get_model(session, get_project(session, project_name), model_version)
        return {"ModelDescription": model_description(model)}


def list_models(
    call: LookoutVisionCall, project_name: str, next_token: str | None = None, max_results: int | None = None
) -> dict[str, Any]:
    models, token = list_project_rows(
        call, "ListModels", project_name, Model.version, next_token, max_results, describe=_metadata_of
    )
    return {"Models": models, **token}


def delete_model(
    call: LookoutVisionCall, project_name: str, model_version: str, client_token: str | None = None
) -> dict[str, Any]:
    sessions = call.sessions
    parse_model_version(model_version, allow_latest=False)
    params = {"ProjectName": project_name, "ModelVersion": model_version}
    scope = scope_for("DeleteModel", client_token, params, "MODEL", model_version)
    marked: list[tuple[int, str, str | None]] = []

    def mark_deleting(session: Session) -> dict[str, Any]:
        project = get_project(session, project_name)
        model = get_model(session, project, model_version, allow_latest=False)
        if model.status in UNDELETABLE_STATES:
            raise ConflictError(
                f"Model version {model_version} of project {project_name} is {model.status}; "
                "stop hosting or wait for training to finish before deleting it.",
                resource_type="MODEL",
                resource_id=model_version,
            )
        model.status, model.status_message, model.updated_at = (
            ModelStatus.DELETING,
            "The model is being deleted.",
            utcnow(),
        )
        marked.append((model.id, model.arn, model.artifact_prefix))
        return {"ModelArn": model.arn}

    outcome = run_once(sessions, scope, mark_deleting)
    if not outcome.replayed:
        model_id, arn, artifact_prefix = marked[0]
        # Artefacts first: if this is interrupted the model stays DELETING and a
        # repeated DeleteModel finishes the job.
        for prefix in filter(None, (artifact_prefix, f"models/{project_name}/{model_version}/")):
            delete_prefix(call.blobs, call.settings.internal_bucket, prefix)
        with write_session(sessions) as session:
            model = session.get(Model, model_id)
            if model is not None:
                delete_all_tags(session, arn)
                session.delete(model)
    return outcome.response
