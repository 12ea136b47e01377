"""What a project version trains from: the project's datasets or the legacy manifests.

CreateProjectVersion either trains on the project's TRAIN (and TEST) datasets, or, for a
project without datasets, on the Ground Truth manifests named by ``TrainingData`` and
``TestingData`` (spec B.3, legacy path). ``check_legacy_inputs`` checks such a request in
the call; ``version_manifest_checks`` gives the training job the validated lines of either
source. ``None`` as the test check means "split the training data 80/20".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openlookout.blobs.base import BlobStore
from openlookout.errors import InvalidInputError
from openlookout.jobs.base import JobFailed
from openlookout.manifests.custom_labels import (
    ManifestCheck,
    TerminalManifestError,
    ValidatedLine,
    check_manifest_file,
    split_lines,
    validate_line,
)
from openlookout.service.custom_labels.dataset_job import check_images, read_manifest
from openlookout.service.custom_labels.datasets import check_readable
from openlookout.service.custom_labels.validation_files import dataset_check
from openlookout.store.custom_labels_tables import CLDataset, CLProjectVersion


@dataclass(frozen=True)
class ManifestRef:
    bucket: str
    name: str

    def asset(self) -> dict[str, Any]:
        return {"GroundTruthManifest": {"S3Object": {"Bucket": self.bucket, "Name": self.name}}}


@dataclass(frozen=True)
class LegacyInputs:
    """A checked TrainingData/TestingData pair; ``testing`` is empty when ``auto_create``."""

    training: tuple[ManifestRef, ...]
    testing: tuple[ManifestRef, ...]
    auto_create: bool

    def training_json(self) -> str:
        return json.dumps({"Assets": [ref.asset() for ref in self.training]})

    def testing_json(self) -> str:
        if self.auto_create:
            return json.dumps({"AutoCreate": True})
        return json.dumps({"Assets": [ref.asset() for ref in self.testing]})


# -- CreateProjectVersion request checks ------------------------------------------------------


def _manifest_refs(member: str, value: dict[str, Any] | None) -> tuple[ManifestRef, ...]:
    refs = []
    for number, asset in enumerate((value or {}).get("Assets") or [], start=1):
        s3_object = ((asset or {}).get("GroundTruthManifest") or {}).get("S3Object") or {}
        bucket, name = s3_object.get("Bucket"), s3_object.get("Name")
        if not bucket or not name:
            raise InvalidInputError(
                f"{member}.Assets[{number}] needs GroundTruthManifest.S3Object with Bucket and Name.",
                field=member,
            )
        refs.append(ManifestRef(bucket, name))
    return tuple(refs)


def check_legacy_inputs(
    blobs: BlobStore,
    training_data: dict[str, Any] | None,
    testing_data: dict[str, Any] | None,
    project_has_datasets: bool,
) -> LegacyInputs | None:
    """None when neither member is given (train from the datasets); else the checked manifests.

    InvalidInputError for a malformed pair or a project with datasets; InvalidS3ObjectError
    for a manifest that cannot be read.
    """
    if training_data is None and testing_data is None:
        return None
    if project_has_datasets:
        raise InvalidInputError(
            "TrainingData and TestingData can only be used with a project that has no datasets; "
            "this project has datasets, so call CreateProjectVersion without them.",
            field="TrainingData",
        )
    if training_data is None or testing_data is None:
        raise InvalidInputError(
            "TrainingData and TestingData must be given together.",
            field="TrainingData" if training_data is None else "TestingData",
        )
    training = _manifest_refs("TrainingData", training_data)
    if not training:
        raise InvalidInputError("TrainingData.Assets needs at least one manifest.", field="TrainingData")
    testing = _manifest_refs("TestingData", testing_data)
    auto_create = bool(testing_data.get("AutoCreate"))
    if auto_create == bool(testing):
        raise InvalidInputError(
            "TestingData needs exactly one of Assets (the test manifests) or AutoCreate=true "
            "(split the training manifests 80/20).",
            field="TestingData",
        )
    for ref in (*training, *testing):
        check_readable(blobs, ref.bucket, ref.name)
    return LegacyInputs(training, testing, auto_create)


def input_results(version: CLProjectVersion, has_test_dataset: bool) -> dict[str, Any]:
    """``TrainingDataResult.Input`` / ``TestingDataResult.Input`` for DescribeProjectVersions."""
    if version.training_data is None:
        return {
            "TrainingDataResult": {"Input": {"Assets": []}},
            "TestingDataResult": {"Input": {"Assets": [], "AutoCreate": not has_test_dataset}},
        }
    testing = json.loads(version.testing_data or "{}")
    return {
        "TrainingDataResult": {"Input": json.loads(version.training_data)},
        "TestingDataResult": {
            "Input": {"Assets": testing.get("Assets", []), "AutoCreate": bool(testing.get("AutoCreate"))}
        },
    }


# -- what the training job reads --------------------------------------------------------------


def version_manifest_checks(
    session: Session, blobs: BlobStore, version: CLProjectVersion
) -> tuple[ManifestCheck, ManifestCheck | None]:
    """The validated TRAIN and TEST lines of ``version``; a None test means autosplit.

    Raises JobFailed (the message starts with the Rekognition code) when a source is gone
    or unreadable.
    """
    if version.training_data is None:
        return _dataset_checks(session, version.project_id)
    training = json.loads(version.training_data)["Assets"]
    testing = json.loads(version.testing_data or "{}")
    train = _manifests_check(blobs, training)
    test = None if testing.get("AutoCreate") else _manifests_check(blobs, testing.get("Assets", []))
    return train, test


def _dataset_checks(session: Session, project_id: int) -> tuple[ManifestCheck, ManifestCheck | None]:
    rows = session.scalars(select(CLDataset).where(CLDataset.project_id == project_id))
    datasets = {d.dataset_type: d for d in rows}
    if "TRAIN" not in datasets:
        raise JobFailed("The project has no training dataset.")
    train = dataset_check(session, datasets["TRAIN"].id)
    test = dataset_check(session, datasets["TEST"].id) if "TEST" in datasets else None
    return train, test


def _manifests_check(blobs: BlobStore, assets: list[dict[str, Any]]) -> ManifestCheck:
    """The manifests as one, validated like a dataset import (image checks included).

    Several manifests are read as one file in the order given; a repeated source-ref keeps
    its last line, as a dataset import does.
    """
    texts: list[str] = []
    for asset in assets:
        s3_object = asset["GroundTruthManifest"]["S3Object"]
        data = read_manifest(blobs, s3_object["Bucket"], s3_object["Name"])
        try:
            check_manifest_file(data)  # the file-level rules, per manifest
        except TerminalManifestError as exc:
            raise JobFailed(f"{exc} (s3://{s3_object['Bucket']}/{s3_object['Name']})") from None
        texts.extend(split_lines(data))
    lines = _last_per_source_ref([validate_line(text, index) for index, text in enumerate(texts)])
    _require_one_bucket(lines)
    check_images(blobs, lines)
    return ManifestCheck(lines)


def _last_per_source_ref(lines: list[ValidatedLine]) -> list[ValidatedLine]:
    last = {line.source_ref: line.index for line in lines if line.source_ref is not None}
    return [line for line in lines if line.source_ref is None or last[line.source_ref] == line.index]


def _require_one_bucket(lines: list[ValidatedLine]) -> None:
    buckets = sorted({line.bucket for line in lines if line.is_valid and line.bucket})
    if len(buckets) > 1:
        raise JobFailed(
            f"ERROR_IMAGES_IN_MULTIPLE_S3_BUCKETS: The images are in {len(buckets)} buckets "
            f"({', '.join(buckets)}); they must all be in one."
        )
