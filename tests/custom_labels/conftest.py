"""A real Custom Labels facade on a temp SQLite database and local blob store.

``InlineRunner`` runs each submitted job's real handler in the calling thread (as a
worker process would, minus the process), so dataset imports finish before the call
returns and tests can look at the final state directly.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from openlookout.blobs.local import LocalBlobStore
from openlookout.composition import build_keyring, build_model_hosts
from openlookout.config import Settings
from openlookout.jobs.base import JobContext, JobFailed
from openlookout.jobs.handlers import get_handler
from openlookout.kms.keyring import Keyring
from openlookout.service.custom_labels.facade import CustomLabelsService
from openlookout.store.common_tables import Job
from openlookout.store.db import open_database, write_session

IMAGES = "images"
MANIFESTS = "manifests"


class InlineRunner:
    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], blobs: LocalBlobStore, keyring: Keyring
    ) -> None:
        self.ctx = JobContext(settings=settings, sessions=sessions, blobs=blobs, keyring=keyring)
        self.paused = False
        self.pending: list[int] = []

    def submit(self, job_id: int) -> None:
        self.pending.append(job_id)
        if not self.paused:
            self.drain()

    def drain(self) -> None:
        while self.pending:
            job_id = self.pending.pop(0)
            with self.ctx.sessions() as session:
                job = session.get(Job, job_id)
                assert job is not None
                session.expunge(job)
            handler = get_handler(job.kind)
            try:
                handler.run(self.ctx, job)
                status = "SUCCEEDED"
            except JobFailed as exc:
                handler.fail(self.ctx, job, exc.message)
                status = "FAILED"
            with write_session(self.ctx.sessions) as session:
                row = session.get(Job, job_id)
                assert row is not None
                row.status = status


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def sessions(settings: Settings) -> sessionmaker[Session]:
    return open_database(settings)


@pytest.fixture
def blobs(settings: Settings) -> LocalBlobStore:
    store = LocalBlobStore(settings.buckets_dir)
    store.create_bucket(IMAGES)
    store.create_bucket(MANIFESTS)
    return store


@pytest.fixture
def keyring(settings: Settings) -> Keyring:
    return build_keyring(settings)


@pytest.fixture
def runner(
    settings: Settings, sessions: sessionmaker[Session], blobs: LocalBlobStore, keyring: Keyring
) -> InlineRunner:
    return InlineRunner(settings, sessions, blobs, keyring)


@pytest.fixture
def service(
    settings: Settings,
    sessions: sessionmaker[Session],
    blobs: LocalBlobStore,
    runner: InlineRunner,
    keyring: Keyring,
) -> CustomLabelsService:
    host = build_model_hosts(settings).custom_labels
    return CustomLabelsService(settings, sessions, blobs, runner, host, keyring)


def png(width: int = 80, height: int = 64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 30, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def put_images(blobs: LocalBlobStore, names: list[str], width: int = 80, height: int = 64) -> None:
    data = png(width, height)
    for name in names:
        blobs.put(IMAGES, name, data)


def classification_line(
    name: str, label: str, bucket: str = IMAGES, attribute: str = "cls"
) -> dict[str, Any]:
    return {
        "source-ref": f"s3://{bucket}/{name}",
        attribute: 1,
        f"{attribute}-metadata": {
            "class-name": label,
            "confidence": 1,
            "type": "groundtruth/image-classification",
            "human-annotated": "yes",
            "creation-date": "2024-01-01T00:00:00",
            "job-name": "labeling",
        },
    }


def detection_line(name: str, boxes: list[tuple[str, int, int, int, int]]) -> dict[str, Any]:
    """``boxes``: (label, left, top, width, height) in pixels of an 80x64 image."""
    labels = sorted({box[0] for box in boxes})
    class_ids = {label: i for i, label in enumerate(labels)}
    return {
        "source-ref": f"s3://{IMAGES}/{name}",
        "bounding-box": {
            "image_size": [{"width": 80, "height": 64, "depth": 3}],
            "annotations": [
                {"class_id": class_ids[label], "left": left, "top": top, "width": w, "height": h}
                for label, left, top, w, h in boxes
            ],
        },
        "bounding-box-metadata": {
            "objects": [{"confidence": 1} for _ in boxes],
            "class-map": {str(i): label for label, i in class_ids.items()},
            "type": "groundtruth/object-detection",
            "human-annotated": "yes",
            "creation-date": "2024-01-01T00:00:00",
        },
    }


def manifest_bytes(lines: list[dict[str, Any] | str]) -> bytes:
    return "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines).encode()


def put_manifest(blobs: LocalBlobStore, key: str, lines: list[dict[str, Any] | str]) -> dict[str, Any]:
    blobs.put(MANIFESTS, key, manifest_bytes(lines))
    return {"GroundTruthManifest": {"S3Object": {"Bucket": MANIFESTS, "Name": key}}}
