"""Fixtures: a real facade on a temp SQLite database and a local blob store (runner not started)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openlookout.blobs.local import LocalBlobStore
from openlookout.config import Settings
from openlookout.hosting.local import LocalModelHost
from openlookout.jobs.runner import LocalJobRunner
from openlookout.service.lookoutvision import LookoutVisionService
from openlookout.store.base import utcnow
from openlookout.store.common_tables import Job
from openlookout.store.db import open_database, write_session
from openlookout.store.lookoutvision_tables import Dataset, DatasetEntry, Model, Project

OUTPUT = {"S3Location": {"Bucket": "out-bucket", "Prefix": "runs/"}}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def sessions(settings: Settings) -> sessionmaker[Session]:
    return open_database(settings)


@pytest.fixture
def blobs(settings: Settings) -> LocalBlobStore:
    store = LocalBlobStore(settings.buckets_dir)
    store.create_bucket("out-bucket")
    return store


@pytest.fixture
def keyring(settings: Settings) -> Any:
    # The facade only touches the keyring when CreateModel gets a KmsKeyId.
    if importlib.util.find_spec("openlookout.kms.keyring") is None:
        return None
    from openlookout.kms.keyring import Keyring

    return Keyring(settings.keyring_path, settings.region, settings.account_id)


@pytest.fixture
def service(
    settings: Settings, sessions: sessionmaker[Session], blobs: LocalBlobStore, keyring: Any
) -> LookoutVisionService:
    # A runner that is never started: jobs stay QUEUED, which is what these tests inspect.
    runner = LocalJobRunner(settings, sessions)
    return LookoutVisionService(settings, sessions, blobs, keyring, runner, LocalModelHost())


def add_entries(
    sessions: sessionmaker[Session],
    project_name: str,
    dataset_type: str,
    labels: list[str | None],
    masks: list[list[str]] | None = None,
    prefix: str = "img",
) -> None:
    """Insert entries as an import job would (label per entry; mask classes per entry when given)."""
    with write_session(sessions) as session:
        project = session.scalars(select(Project).where(Project.name == project_name)).one()
        dataset = session.scalars(
            select(Dataset).where(Dataset.project_id == project.id, Dataset.dataset_type == dataset_type)
        ).one()
        start = len(
            session.scalars(select(DatasetEntry.id).where(DatasetEntry.dataset_id == dataset.id)).all()
        )
        for i, label in enumerate(labels, start=start):
            ref = f"s3://src/{prefix}-{i:04d}.jpg"
            classes = masks[i - start] if masks is not None else []
            line: dict[str, Any] = {"source-ref": ref}
            if label is not None:
                line["anomaly-label"] = 1 if label == "anomaly" else 0
                line["anomaly-label-metadata"] = {"class-name": label}
            session.add(
                DatasetEntry(
                    dataset_id=dataset.id,
                    source_ref=ref,
                    line=json.dumps(line),
                    label=label,
                    mask_ref=f"s3://src/mask-{i}.png" if masks is not None and label is not None else None,
                    anomaly_classes=json.dumps(classes),
                    width=64,
                    height=64,
                    created_at=utcnow(),
                )
            )


def make_trainable_project(service: LookoutVisionService, sessions: sessionmaker[Session], name: str) -> None:
    service.create_project(name)
    service.create_dataset(name, "train")
    add_entries(sessions, name, "train", ["normal"] * 20 + ["anomaly"] * 10)


def jobs_of_kind(sessions: sessionmaker[Session], kind: str) -> list[Job]:
    with sessions() as session:
        return list(session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def set_model_fields(sessions: sessionmaker[Session], project_name: str, version: int, **fields: Any) -> None:
    with write_session(sessions) as session:
        project = session.scalars(select(Project).where(Project.name == project_name)).one()
        model = session.scalars(
            select(Model).where(Model.project_id == project.id, Model.version == version)
        ).one()
        for key, value in fields.items():
            setattr(model, key, value)


def set_dataset_status(
    sessions: sessionmaker[Session], project_name: str, dataset_type: str, status: str
) -> None:
    with write_session(sessions) as session:
        project = session.scalars(select(Project).where(Project.name == project_name)).one()
        dataset = session.scalars(
            select(Dataset).where(Dataset.project_id == project.id, Dataset.dataset_type == dataset_type)
        ).one()
        dataset.status = status
