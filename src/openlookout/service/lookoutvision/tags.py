"""Lookout for Vision's TagResource, UntagResource and ListTagsForResource: tags on projects and
models, addressed by ARN (spec A.10); the tag rules themselves are in ``service/common/tags.py``."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openlookout.config import Settings
from openlookout.errors import NotFoundError
from openlookout.regions import visible
from openlookout.service.common.tags import put_tags, validate_tags
from openlookout.service.lookoutvision.arns import ResourceArn, parse_resource_arn
from openlookout.service.lookoutvision.call import LookoutVisionCall
from openlookout.store.common_tables import Tag
from openlookout.store.db import write_session
from openlookout.store.lookoutvision_tables import Model, Project


def _require_resource(session: Session, settings: Settings, arn: ResourceArn, raw_arn: str) -> None:
    kind = "MODEL" if arn.model_version is not None else "PROJECT"
    missing = NotFoundError(
        f"The resource {raw_arn} does not exist.", resource_type=kind, resource_id=raw_arn
    )
    # Another region's resource does not exist for this request (docs/protocol.md, "Regions").
    if arn.account_id != settings.account_id or not visible(raw_arn):
        raise missing
    project = session.scalars(
        select(Project).where(Project.region == arn.region, Project.name == arn.project_name)
    ).one_or_none()
    if project is None:
        raise missing
    if arn.model_version is not None:
        model = session.scalars(
            select(Model).where(Model.project_id == project.id, Model.version == arn.model_version)
        ).one_or_none()
        if model is None:
            raise missing


def tag_resource(call: LookoutVisionCall, resource_arn: str, tags: list[dict[str, str]]) -> dict[str, object]:
    parsed = parse_resource_arn(resource_arn)
    wanted = validate_tags(tags)
    with write_session(call.sessions) as session:
        _require_resource(session, call.settings, parsed, resource_arn)
        put_tags(session, resource_arn, wanted)
    return {}


def untag_resource(call: LookoutVisionCall, resource_arn: str, tag_keys: list[str]) -> dict[str, object]:
    parsed = parse_resource_arn(resource_arn)
    with write_session(call.sessions) as session:
        _require_resource(session, call.settings, parsed, resource_arn)
        if tag_keys:
            session.execute(delete(Tag).where(Tag.resource_arn == resource_arn, Tag.key.in_(tag_keys)))
    return {}


def list_tags_for_resource(call: LookoutVisionCall, resource_arn: str) -> dict[str, object]:
    parsed = parse_resource_arn(resource_arn)
    with call.sessions() as session:
        _require_resource(session, call.settings, parsed, resource_arn)
        rows = session.scalars(select(Tag).where(Tag.resource_arn == resource_arn).order_by(Tag.key))
        return {"Tags": [{"Key": t.key, "Value": t.value} for t in rows]}
