"""Shared helpers of the packaging tests (a module of its own: test files must not import conftest)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openlookout.store.base import utcnow
from openlookout.store.db import write_session
from openlookout.store.lookoutvision_tables import Model, Project

OUT_BUCKET = "edge-out"


def greengrass(**overrides: Any) -> dict[str, Any]:
    """A valid Configuration; keyword arguments replace (or, with None, remove) Greengrass fields."""
    config: dict[str, Any] = {
        "TargetPlatform": {"Os": "LINUX", "Arch": "X86_64"},
        "S3OutputLocation": {"Bucket": OUT_BUCKET, "Prefix": "packages/"},
        "ComponentName": "cookie-detector",
    }
    for key, value in overrides.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    return {"Greengrass": config}


def add_model(sessions: sessionmaker[Session], project_name: str, status: str) -> int:
    """A model row in ``status`` for an existing project; returns its version."""
    with write_session(sessions) as session:
        project = session.scalars(select(Project).where(Project.name == project_name)).one()
        version = project.next_model_version
        project.next_model_version = version + 1
        session.add(
            Model(
                project_id=project.id,
                version=version,
                arn=f"arn:aws:lookoutvision:us-east-1:123456789012:model/{project_name}/{version}",
                status=status,
                status_message="",
                created_at=utcnow(),
                updated_at=utcnow(),
                output_bucket=OUT_BUCKET,
            )
        )
        return version
