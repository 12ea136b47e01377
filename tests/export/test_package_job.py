"""The package_model job: CREATED → RUNNING → SUCCEEDED with the package in the output bucket, or FAILED."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from openlookout.blobs.local import LocalBlobStore
from openlookout.config import Settings
from openlookout.hosting.local import LocalModelHost
from openlookout.jobs.base import JobContext, JobFailed
from openlookout.jobs.handlers import get_handler
from openlookout.jobs.runner import LocalJobRunner
from openlookout.service.lookoutvision import LookoutVisionService
from openlookout.service.lookoutvision.packaging import PackageModelHandler
from openlookout.store.base import utcnow
from openlookout.store.common_tables import Job
from openlookout.store.db import open_database, write_session
from openlookout.store.lookoutvision_tables import Model, Project

pytestmark = pytest.mark.slow
OUT = "edge-out"
ARN_BASE = "arn:aws:greengrass:us-east-1:123456789012:components:"
CONFIG = {
    "Greengrass": {
        "TargetPlatform": {"Os": "LINUX", "Arch": "X86_64"},
        "S3OutputLocation": {"Bucket": OUT, "Prefix": "pk/"},
        "ComponentName": "cookie-detector",
    }
}


class World:
    def __init__(self, data_dir: Path, model_dir: Path) -> None:
        self.settings = Settings(data_dir=data_dir)
        self.sessions = open_database(self.settings)
        self.blobs = LocalBlobStore(self.settings.buckets_dir)
        self.blobs.create_bucket(OUT)
        self.blobs.create_bucket(self.settings.internal_bucket)
        self.ctx = JobContext(self.settings, self.sessions, self.blobs, None)  # type: ignore[arg-type]
        self.service = LookoutVisionService(
            self.settings,
            self.sessions,
            self.blobs,
            None,
            LocalJobRunner(self.settings, self.sessions),
            LocalModelHost(),
        )
        self.service.create_project("cookies")
        prefix = "models/cookies/1/artifacts/"
        for path in sorted(model_dir.iterdir()):
            self.blobs.put(self.settings.internal_bucket, prefix + path.name, path.read_bytes())
        with write_session(self.sessions) as session:
            project = session.scalars(select(Project)).one()
            project.next_model_version = 2
            session.add(
                Model(
                    project_id=project.id,
                    version=1,
                    arn="arn:aws:lookoutvision:us-east-1:123456789012:model/cookies/1",
                    status="TRAINED",
                    status_message="",
                    created_at=utcnow(),
                    updated_at=utcnow(),
                    output_bucket=OUT,
                    artifact_prefix=prefix,
                )
            )

    def last_job(self) -> Job:
        with self.sessions() as session:
            return session.scalars(select(Job).order_by(Job.id.desc())).first()  # type: ignore[return-value]

    def describe(self, name: str) -> dict[str, Any]:
        return self.service.describe_model_packaging_job("cookies", name)["ModelPackagingDescription"]


@pytest.fixture
def world(tmp_path: Path, cookie_model_dir: Path) -> World:
    return World(tmp_path / "data", cookie_model_dir)


def test_job_builds_the_package_in_the_output_bucket(world: World) -> None:
    world.service.start_model_packaging_job("cookies", "1", CONFIG, job_name="edge-1")
    job = world.last_job()
    handler = get_handler(job.kind)
    assert isinstance(handler, PackageModelHandler)
    handler.run(world.ctx, job)
    described = world.describe("edge-1")
    assert (described["Status"], described["StatusMessage"]) == (
        "SUCCEEDED",
        "The model packaging job completed successfully.",
    )
    assert described["ModelPackagingOutputDetails"]["Greengrass"] == {
        "ComponentVersionArn": ARN_BASE + "cookie-detector:versions:1.0.0",
        "ComponentName": "cookie-detector",
        "ComponentVersion": "1.0.0",
    }
    keys = [o.key for o in world.blobs.list(OUT, prefix="pk/").objects]
    base = "pk/cookie-detector/1.0.0/"
    for name in ("model.onnx", "model.json", "recipe.json", "requirements.txt", "package.zip"):
        assert base + name in keys
    assert base + "openlookout_edge/__main__.py" in keys
    recipe = json.loads(world.blobs.get(OUT, base + "recipe.json"))
    assert recipe["Manifests"][0]["Artifacts"][0]["URI"] == f"s3://{OUT}/{base}package.zip"
    config = json.loads(world.blobs.get(OUT, base + "model.json"))
    assert config["source"]["model_version"] == 1
    assert config["source"]["target"] == {"TargetPlatform": {"Os": "LINUX", "Arch": "X86_64"}}


def test_job_fails_with_the_reason_when_the_bucket_is_gone(world: World) -> None:
    world.service.start_model_packaging_job("cookies", "1", CONFIG, job_name="edge-2")
    job = world.last_job()
    world.blobs.delete_bucket(OUT)
    handler = PackageModelHandler()
    with pytest.raises(JobFailed) as err:
        handler.run(world.ctx, job)
    handler.fail(world.ctx, job, err.value.message)
    described = world.describe("edge-2")
    assert described["Status"] == "FAILED"
    assert OUT in described["StatusMessage"]
    assert "ModelPackagingOutputDetails" not in described
