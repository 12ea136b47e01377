"""JSON document values to and from Python, shared by the JSON 1.1 and rest-json wire formats.

Both protocols write structures as objects (members under their wire name, None left out),
blobs as base64 text and timestamps as epoch seconds with millisecond precision.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from openlookout.api.validation import Violation, child_path, item_path, violations_error

# (text, path) -> datetime: how a protocol reads a timestamp sent as a JSON string.
TextTimestamp = Callable[[str, str], datetime]


def from_json(shape: Shape, value: Any, path: str, text_timestamp: TextTimestamp | None = None) -> Any:
    """A JSON body value converted to Python types (blobs decoded, timestamps parsed).

    Timestamps given as strings are read by ``text_timestamp`` (None: left as they are).
    Anything of the wrong JSON type is left as it is for validate_input to name.
    """
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        converted = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            # JSON null means "not given", as in AWS services.
            if value.get(key) is not None:
                converted[name] = from_json(member, value[key], child_path(path, name), text_timestamp)
        return converted
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [
            from_json(shape.member, item, item_path(path, i), text_timestamp) for i, item in enumerate(value)
        ]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {
            key: from_json(shape.value, item, f"{path}.{key}", text_timestamp) for key, item in value.items()
        }
    if shape.type_name == "blob" and isinstance(value, str):
        return decode_base64(value, path)
    if shape.type_name == "timestamp" and isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if shape.type_name == "timestamp" and isinstance(value, str) and text_timestamp is not None:
        return text_timestamp(value, path)
    return value


def decode_base64(text: str, path: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise violations_error([Violation(path, text, "Member must be base64-encoded binary data")]) from None


def to_json(shape: Shape, value: Any) -> Any:
    """A Python output value as its JSON document; an undeclared member is a service-layer bug."""
    if isinstance(shape, StructureShape):
        if not isinstance(value, Mapping):
            raise TypeError(f"{shape.name} must be a dict, got {type(value).__name__}")
        out = {}
        for name, item in value.items():
            if name not in shape.members:
                raise ValueError(f"member {name!r} is not declared in {shape.name}")
            if item is not None:
                member = shape.members[name]
                out[member.serialization.get("name", name)] = to_json(member, item)
        return out
    if isinstance(shape, ListShape):
        return [to_json(shape.member, item) for item in value]
    if isinstance(shape, MapShape):
        return {key: to_json(shape.value, item) for key, item in value.items()}
    if shape.type_name == "timestamp":
        return epoch_seconds(value)
    if shape.type_name == "blob":
        return base64.b64encode(value).decode("ascii")
    return value


def epoch_seconds(value: datetime) -> float | int:
    # Naive datetimes are UTC by the service contract; millisecond precision as AWS sends.
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    seconds = round(aware.timestamp(), 3)
    return int(seconds) if seconds.is_integer() else seconds
