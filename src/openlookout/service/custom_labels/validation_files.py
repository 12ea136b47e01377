"""The validation results a training run writes under OutputConfig (spec B.4, B.5).

``manifest_summary.json`` plus ``training_manifest_with_validation.json`` and
``testing_manifest_with_validation.json``, built from the datasets' current entries. The
training job (CreateProjectVersion) calls ``write_validation_files`` first and fails with
the returned terminal errors, if any, in its StatusMessage.

Key layout (undocumented by AWS): ``<S3KeyPrefix><VersionName>/validation/<file>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from openlookout.blobs.base import BlobError, BlobStore
from openlookout.manifests.custom_labels import (
    ManifestCheck,
    TerminalManifestError,
    manifest_summary,
    manifest_with_validation,
    validate_line,
)
from openlookout.store.custom_labels_tables import CLDatasetEntry

SUMMARY_FILE = "manifest_summary.json"
TRAINING_FILE = "training_manifest_with_validation.json"
TESTING_FILE = "testing_manifest_with_validation.json"


@dataclass(frozen=True)
class ValidationFiles:
    bucket: str
    summary_key: str
    training_key: str
    testing_key: str | None
    # Terminal errors ({code, message}) found in either dataset or across both.
    terminal_errors: list[dict[str, str]]


def dataset_check(session: Session, dataset_id: int) -> ManifestCheck:
    """The dataset's entries validated again, in insertion order, as one manifest."""
    lines = session.scalars(
        select(CLDatasetEntry.line).where(CLDatasetEntry.dataset_id == dataset_id).order_by(CLDatasetEntry.id)
    ).all()
    return ManifestCheck([validate_line(text, index) for index, text in enumerate(lines)])


def validation_prefix(output_prefix: str, version_name: str) -> str:
    return f"{output_prefix}{version_name}/validation/"


def write_validation_files(
    blobs: BlobStore,
    train: ManifestCheck,
    test: ManifestCheck | None,
    bucket: str,
    output_prefix: str,
    version_name: str,
) -> ValidationFiles:
    """Write the three files; TerminalManifestError ERROR_CANNOT_WRITE_OUTPUT_S3_BUCKET if we cannot."""
    prefix = validation_prefix(output_prefix, version_name)
    summary = manifest_summary(train, test)
    keys = {name: prefix + name for name in (SUMMARY_FILE, TRAINING_FILE, TESTING_FILE)}
    documents = {
        SUMMARY_FILE: json.dumps(summary, indent=2).encode(),
        TRAINING_FILE: manifest_with_validation(train.lines),
    }
    if test is not None:
        documents[TESTING_FILE] = manifest_with_validation(test.lines)
    try:
        for name, data in documents.items():
            blobs.put(bucket, keys[name], data, content_type="application/json")
    except BlobError as exc:
        raise TerminalManifestError(
            "ERROR_CANNOT_WRITE_OUTPUT_S3_BUCKET", f"Cannot write to s3://{bucket}/{prefix}: {exc}"
        ) from None
    terminal = [*summary["errors"]]
    for statistics in summary["statistics"].values():
        terminal.extend(statistics["errors"])
    return ValidationFiles(
        bucket=bucket,
        summary_key=keys[SUMMARY_FILE],
        training_key=keys[TRAINING_FILE],
        testing_key=keys[TESTING_FILE] if test is not None else None,
        terminal_errors=terminal,
    )
