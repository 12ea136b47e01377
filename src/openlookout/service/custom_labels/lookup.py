"""Finding Custom Labels rows by ARN, with the Rekognition not-found messages.

An ARN of another region than the request's names nothing (docs/protocol.md, "Regions").
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openlookout.errors import NotFoundError
from openlookout.regions import visible
from openlookout.store.custom_labels_tables import CLDataset, CLProject, CLProjectVersion


def get_project(session: Session, arn: str) -> CLProject:
    project = session.scalars(select(CLProject).where(CLProject.arn == arn)).one_or_none()
    if project is None or not visible(arn):
        raise NotFoundError(f"The project {arn} does not exist.", resource_type="PROJECT", resource_id=arn)
    return project


def get_dataset(session: Session, arn: str) -> CLDataset:
    dataset = session.scalars(select(CLDataset).where(CLDataset.arn == arn)).one_or_none()
    if dataset is None or not visible(arn):
        raise NotFoundError(f"The dataset {arn} does not exist.", resource_type="DATASET", resource_id=arn)
    return dataset


def get_version(session: Session, arn: str) -> CLProjectVersion:
    version = session.scalars(select(CLProjectVersion).where(CLProjectVersion.arn == arn)).one_or_none()
    if version is None or not visible(arn):
        raise NotFoundError(
            f"The project version {arn} does not exist.", resource_type="MODEL", resource_id=arn
        )
    return version


def require_resource(session: Session, arn: str, kind: str) -> None:
    """Raise NotFoundError unless the project, dataset or version named by ``arn`` exists."""
    {"project": get_project, "dataset": get_dataset, "version": get_version}[kind](session, arn)
