"""A real metadata database, blob store and keyring in a temp folder, and helpers to run jobs."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openlookout.blobs.local import LocalBlobStore
from openlookout.config import Settings
from openlookout.jobs.base import JobContext, JobFailed, JobHandler
from openlookout.kms.keyring import Keyring
from openlookout.store.base import utcnow
from openlookout.store.common_tables import Job
from openlookout.store.db import open_database
from openlookout.store.lookoutvision_tables import Dataset, DatasetEntry, Model, Project

REPO_ROOT = Path(__file__).resolve().parents[2]
COOKIES_DIR = REPO_ROOT.parent / "shared" / "datasets" / "lfv-cookies"
UPSTREAM_PREFIX = "s3://lookoutvision-us-east-1-0e205be246/getting-started/"
COOKIE_BUCKET = "cookie-bucket"
PROJECT = "cookies"
ACCOUNT = "123456789012"


@dataclass
class World:
    settings: Settings
    sessions: sessionmaker[Session]
    blobs: LocalBlobStore
    ctx: JobContext

    def add_project(self, name: str = PROJECT) -> int:
        with self.sessions.begin() as session:
            project = Project(
                region="us-east-1", name=name, arn=f"arn:aws:lookoutvision:us-east-1:{ACCOUNT}:project/{name}"
            )
            session.add(project)
            session.flush()
            return project.id

    def add_dataset(
        self, project_id: int, dataset_type: str = "train", status: str = "CREATE_IN_PROGRESS"
    ) -> int:
        with self.sessions.begin() as session:
            dataset = Dataset(
                project_id=project_id, dataset_type=dataset_type, status=status, status_message=""
            )
            session.add(dataset)
            session.flush()
            return dataset.id

    def add_model(
        self, project_id: int, output_bucket: str = "output", prefix: str = "", kms_key_id: str | None = None
    ) -> int:
        with self.sessions.begin() as session:
            project = session.get(Project, project_id)
            assert project is not None
            model = Model(
                project_id=project_id,
                version=1,
                arn=f"arn:aws:lookoutvision:us-east-1:{ACCOUNT}:model/{project.name}/1",
                status="TRAINING",
                status_message="The model is being trained.",
                output_bucket=output_bucket,
                output_prefix=prefix,
                kms_key_id=kms_key_id,
            )
            session.add(model)
            session.flush()
            return model.id

    def model(self, model_id: int) -> Model:
        with self.sessions() as session:
            model = session.get(Model, model_id)
            assert model is not None
            return model

    def add_job(self, kind: str, payload: dict[str, Any]) -> Job:
        with self.sessions.begin() as session:
            job = Job(kind=kind, payload=json.dumps(payload), status="RUNNING")
            session.add(job)
        return job

    def dataset(self, dataset_id: int) -> Dataset:
        with self.sessions() as session:
            dataset = session.get(Dataset, dataset_id)
            assert dataset is not None
            return dataset

    def entries(self, dataset_id: int) -> list[DatasetEntry]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(DatasetEntry)
                    .where(DatasetEntry.dataset_id == dataset_id)
                    .order_by(DatasetEntry.source_ref)
                )
            )

    def put(self, bucket: str, key: str, data: bytes) -> str:
        if not self.blobs.bucket_exists(bucket):
            self.blobs.create_bucket(bucket)
        self.blobs.put(bucket, key, data)
        return f"s3://{bucket}/{key}"


def run_job(world: World, handler: JobHandler, job: Job) -> str | None:
    """Run a job as the worker does; returns the failure message, or None on success."""
    try:
        handler.run(world.ctx, job)
    except JobFailed as exc:
        handler.fail(world.ctx, job, exc.message)
        return exc.message
    return None


def make_world(data_dir: Path) -> World:
    settings = Settings(data_dir=data_dir)
    sessions = open_database(settings, migrate=True)
    blobs = LocalBlobStore(settings.buckets_dir)
    keyring = Keyring(settings.keyring_path, settings.region, settings.account_id)
    ctx = JobContext(settings=settings, sessions=sessions, blobs=blobs, keyring=keyring)
    return World(settings=settings, sessions=sessions, blobs=blobs, ctx=ctx)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path / "data")
    yield made
    made.sessions.kw["bind"].dispose()


@pytest.fixture
def cookies() -> Path:
    if not (COOKIES_DIR / "manifests" / "train_segmentation.manifest").is_file():
        pytest.skip(f"cookie dataset not found at {COOKIES_DIR} (shared/ must sit beside the repo)")
    return COOKIES_DIR


def upload_cookies(world: World, cookies: Path, bucket: str = COOKIE_BUCKET) -> None:
    """Lay the cookie files out the way the upstream manifests name them (SOURCE.md mapping)."""
    layout = {
        "training-images": [
            *sorted((cookies / "train" / "normal").glob("*.jpg")),
            *sorted((cookies / "train" / "anomaly").glob("*.jpg")),
        ],
        "mask-images": [
            *sorted((cookies / "train" / "masks").glob("*.png")),
            cookies / "manifests" / "dummy_anomaly_mask.png",
        ],
    }
    for folder, paths in layout.items():
        for path in paths:
            world.put(bucket, f"getting-started/{folder}/{path.name}", path.read_bytes())


def cookie_manifest(cookies: Path, name: str, bucket: str = COOKIE_BUCKET) -> bytes:
    data = (cookies / "manifests" / name).read_bytes()
    return data.replace(UPSTREAM_PREFIX.encode(), f"s3://{bucket}/getting-started/".encode())


def png(width: int, height: int, seed: int = 0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def manifest_line(
    ref: str, label: str | None = "normal", mask: str | None = None, attribute: str = "lbl"
) -> str:
    obj: dict[str, Any] = {"source-ref": ref}
    if label is not None:
        obj[attribute] = 1 if label == "normal" else 0  # inverted, as real clients write it
        obj[f"{attribute}-metadata"] = {
            "class-name": label,
            "type": "groundtruth/image-classification",
            "human-annotated": "yes",
            "creation-date": utcnow().isoformat(),
        }
    if mask is not None:
        obj["m-ref"] = mask
        obj["m-ref-metadata"] = {
            "internal-color-map": {"0": {"class-name": "scratch", "hex-color": "#FF0000"}},
            "type": "groundtruth/semantic-segmentation",
            "human-annotated": "yes",
        }
    return json.dumps(obj)
