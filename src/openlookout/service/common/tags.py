"""Tag rules both APIs share: validating a tag list, merging it into a resource's tags, dropping them."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openlookout.errors import InvalidInputError, QuotaExceededError
from openlookout.store.common_tables import Tag

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
