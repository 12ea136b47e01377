"""Tags on Custom Labels projects, datasets and project versions (map form, spec B.3 Tags).

They share the ``tags`` table with Lookout for Vision: rows are keyed by ARN and the two
services' ARNs never collide.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openlookout.service.common.tags import delete_all_tags, put_tags, validate_tags
from openlookout.service.custom_labels.arns import parse_arn
from openlookout.service.custom_labels.call import CustomLabelsCall
from openlookout.service.custom_labels.lookup import require_resource
from openlookout.store.common_tables import Tag
from openlookout.store.db import write_session


def checked_tags(tags: dict[str, str] | None) -> dict[str, str]:
    """The tag map after the shared key/value rules (``aws:`` prefix refused in any case)."""
    return validate_tags([{"Key": key, "Value": value} for key, value in (tags or {}).items()])


def tag_at_creation(session: Session, arn: str, tags: dict[str, str] | None) -> None:
    wanted = checked_tags(tags)
    if wanted:
        put_tags(session, arn, wanted)


def forget_tags(session: Session, arn: str) -> None:
    delete_all_tags(session, arn)


def tag_resource(call: CustomLabelsCall, resource_arn: str, tags: dict[str, str]) -> dict[str, object]:
    kind = parse_arn(resource_arn).kind
    wanted = checked_tags(tags)
    with write_session(call.sessions) as session:
        require_resource(session, resource_arn, kind)
        put_tags(session, resource_arn, wanted)
    return {}


def untag_resource(call: CustomLabelsCall, resource_arn: str, tag_keys: list[str]) -> dict[str, object]:
    kind = parse_arn(resource_arn).kind
    with write_session(call.sessions) as session:
        require_resource(session, resource_arn, kind)
        if tag_keys:
            session.execute(delete(Tag).where(Tag.resource_arn == resource_arn, Tag.key.in_(tag_keys)))
    return {}


def list_tags_for_resource(call: CustomLabelsCall, resource_arn: str) -> dict[str, object]:
    kind = parse_arn(resource_arn).kind
    with call.sessions() as session:
        require_resource(session, resource_arn, kind)
        rows = session.scalars(select(Tag).where(Tag.resource_arn == resource_arn).order_by(Tag.key))
        return {"Tags": {t.key: t.value for t in rows}}
