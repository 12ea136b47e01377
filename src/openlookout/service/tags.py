"""Tags on projects and models, addressed by ARN (spec A.10)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from openlookout.config import Settings
from openlookout.errors import InvalidInputError, NotFoundError, QuotaExceededError
from openlookout.regions import visible
from openlookout.service.arns import ResourceArn, parse_resource_arn
from openlookout.store.db import write_session
from openlookout.store.tables import Model, Project, Tag

MAX_TAGS_PER_RESOURCE = 200
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
# Our own ServiceQuotaExceeded code for "tags per resource" (documented in docs/behaviour.md).
TAGS_PER_RESOURCE_QUOTA_CODE = "L-0E7A6B1C"
_EXTRA_TAG_CHARACTERS = frozenset("_.:/=+-@")


def _is_tag_text(text: str) -> bool:
    """The API pattern ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*``: letters, separators, numbers and a few marks."""
    return all(unicodedata.category(ch)[0] in "LZN" or ch in _EXTRA_TAG_CHARACTERS for ch in text)


def validate_tags(tags: Iterable[dict[str, str]]) -> dict[str, str]:
    """Check a ``[{Key, Value}]`` list; returns it as a dict (a repeated key keeps the last value)."""
    result: dict[str, str] = {}
    for tag in tags:
        key, value = tag.get("Key"), tag.get("Value", "")
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH or not _is_tag_text(key):
            raise InvalidInputError(
                f"Tag key {key!r} is invalid: it must be 1-{MAX_KEY_LENGTH} letters, numbers, spaces "
                "or _.:/=+-@ characters.",
                field="Tags",
            )
        if key.lower().startswith("aws:"):
            raise InvalidInputError(f"Tag key {key!r} is invalid: the aws: prefix is reserved.", field="Tags")
        if not isinstance(value, str) or len(value) > MAX_VALUE_LENGTH or not _is_tag_text(value):
            raise InvalidInputError(
                f"Tag value for key {key!r} is invalid: it must be 0-{MAX_VALUE_LENGTH} letters, numbers, "
                "spaces or _.:/=+-@ characters.",
                field="Tags",
            )
        result[key] = value
    if len(result) > MAX_TAGS_PER_RESOURCE:
        raise InvalidInputError(
            f"At most {MAX_TAGS_PER_RESOURCE} tags can be given; got {len(result)}.", field="Tags"
        )
    return result


def put_tags(session: Session, resource_arn: str, tags: dict[str, str]) -> None:
    """Merge ``tags`` into the resource's tags (existing keys get the new value)."""
    existing = {t.key: t for t in session.scalars(select(Tag).where(Tag.resource_arn == resource_arn))}
    added = [key for key in tags if key not in existing]
    if len(existing) + len(added) > MAX_TAGS_PER_RESOURCE:
        raise QuotaExceededError(
            f"A resource can have at most {MAX_TAGS_PER_RESOURCE} tags; {resource_arn} has "
            f"{len(existing)} and the request adds {len(added)} new keys.",
            quota_code=TAGS_PER_RESOURCE_QUOTA_CODE,
            resource_type="MODEL" if ":model/" in resource_arn else "PROJECT",
            resource_id=resource_arn,
        )
    for key, value in tags.items():
        if key in existing:
            existing[key].value = value
        else:
            session.add(Tag(resource_arn=resource_arn, key=key, value=value))


def delete_all_tags(session: Session, resource_arn: str) -> None:
    session.execute(delete(Tag).where(Tag.resource_arn == resource_arn))


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


def tag_resource(
    sessions: sessionmaker[Session], settings: Settings, resource_arn: str, tags: list[dict[str, str]]
) -> dict[str, object]:
    parsed = parse_resource_arn(resource_arn)
    wanted = validate_tags(tags)
    with write_session(sessions) as session:
        _require_resource(session, settings, parsed, resource_arn)
        put_tags(session, resource_arn, wanted)
    return {}


def untag_resource(
    sessions: sessionmaker[Session], settings: Settings, resource_arn: str, tag_keys: list[str]
) -> dict[str, object]:
    parsed = parse_resource_arn(resource_arn)
    with write_session(sessions) as session:
        _require_resource(session, settings, parsed, resource_arn)
        if tag_keys:
            session.execute(delete(Tag).where(Tag.resource_arn == resource_arn, Tag.key.in_(tag_keys)))
    return {}


def list_tags_for_resource(
    sessions: sessionmaker[Session], settings: Settings, resource_arn: str
) -> dict[str, object]:
    parsed = parse_resource_arn(resource_arn)
    with sessions() as session:
        _require_resource(session, settings, parsed, resource_arn)
        rows = session.scalars(select(Tag).where(Tag.resource_arn == resource_arn).order_by(Tag.key))
        return {"Tags": [{"Key": t.key, "Value": t.value} for t in rows]}
