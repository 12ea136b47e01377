"""Validation files written under OutputConfig from the datasets' stored entries (spec B.5)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openlookout.blobs.local import LocalBlobStore
from openlookout.manifests.custom_labels import TerminalManifestError
from openlookout.service.custom_labels.facade import CustomLabelsService
from openlookout.service.custom_labels.validation_files import dataset_check, write_validation_files
from openlookout.store.custom_labels_tables import CLDataset

from .conftest import classification_line, put_images, put_manifest


def _dataset_id(sessions: sessionmaker[Session], arn: str) -> int:
    with sessions() as session:
        return session.scalars(select(CLDataset.id).where(CLDataset.arn == arn)).one()


def test_files_from_stored_datasets(
    service: CustomLabelsService, blobs: LocalBlobStore, sessions: sessionmaker[Session]
) -> None:
    put_images(blobs, ["a.png", "b.png", "c.png", "t.png"])
    project = service.create_project(project_name="p")["ProjectArn"]
    train_lines = [classification_line("a.png", "cat"), classification_line("b.png", "dog")]
    train_lines.append({"source-ref": "s3://images/c.png"})
    train = service.create_dataset(
        project_arn=project, dataset_type="TRAIN", dataset_source=put_manifest(blobs, "train", train_lines)
    )["DatasetArn"]
    test = service.create_dataset(
        project_arn=project,
        dataset_type="TEST",
        dataset_source=put_manifest(blobs, "test", [classification_line("t.png", "bird")]),
    )["DatasetArn"]
    blobs.create_bucket("out")
    with sessions() as session:
        train_check = dataset_check(session, _dataset_id(sessions, train))
        test_check = dataset_check(session, _dataset_id(sessions, test))
    files = write_validation_files(blobs, train_check, test_check, "out", "runs/", "v1")
    assert files.summary_key == "runs/v1/validation/manifest_summary.json"
    summary = json.loads(blobs.get("out", files.summary_key))
    assert summary["statistics"]["training"]["total_json_lines"] == 3
    assert summary["statistics"]["training"]["ignored_json_lines"] == 1
    assert summary["statistics"]["testing"]["valid_json_lines"] == 1
    assert [e["code"] for e in files.terminal_errors] == ["ERROR_INSUFFICIENT_LABEL_OVERLAP"]
    assert files.testing_key is not None
    written = blobs.get("out", files.testing_key).decode().splitlines()
    assert json.loads(written[0])["source-ref"] == "s3://images/t.png"
    with pytest.raises(TerminalManifestError) as caught:
        write_validation_files(blobs, train_check, None, "no-such-bucket", "", "v1")
    assert caught.value.code == "ERROR_CANNOT_WRITE_OUTPUT_S3_BUCKET"
