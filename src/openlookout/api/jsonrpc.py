"""The AWS JSON 1.1 wire format (``POST /`` + ``X-Amz-Target``), driven by the declared model.

``parse_body`` turns the request body into input parameters (blobs base64-decoded, epoch
timestamps to aware datetimes) and ``serialize_body`` does the reverse for an output dict.
Constraint checks are ``api/validation.py``'s ``validate_input``, shared with rest-json.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from openlookout.api.validation import (
    Violation,
    child_path,
    item_path,
    load_json_body,
    top_level_path,
    violations_error,
)
from openlookout.errors import InvalidInputError

CONTENT_TYPE = "application/x-amz-json-1.1"


def split_target(target: str, prefix: str) -> str | None:
    """``RekognitionService.CreateProject`` → ``CreateProject``; None for another service's prefix."""
    service, _, operation = target.partition(".")
    return operation if service == prefix and operation else None


def parse_body(shape: StructureShape | None, body: bytes) -> dict[str, Any]:
    """Input parameters from a JSON 1.1 body; an empty body is an empty object (as AWS allows)."""
    if not body.strip():
        return {}
    document = load_json_body(body)
    if not isinstance(document, dict):
        raise InvalidInputError("The request body must be a JSON object.")
    if shape is None:
        return {}
    params: dict[str, Any] = {}
    for name, member in shape.members.items():
        # JSON null means "not given", as in AWS services; unknown members are ignored.
        if document.get(name) is not None:
            params[name] = _from_json(member, document[name], top_level_path(name, member))
    return params


def _from_json(shape: Shape, value: Any, path: str) -> Any:
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return {
            name: _from_json(member, value[name], child_path(path, name))
            for name, member in shape.members.items()
            if value.get(name) is not None
        }
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_from_json(shape.member, item, item_path(path, i)) for i, item in enumerate(value)]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {key: _from_json(shape.value, item, f"{path}.{key}") for key, item in value.items()}
    if shape.type_name == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise violations_error(
                [Violation(path, value, "Member must be base64-encoded binary data")]
            ) from None
    if shape.type_name == "timestamp" and isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    # Anything of the wrong JSON type is left as it is for validate_input to name.
    return value


def serialize_body(shape: StructureShape | None, data: Mapping[str, Any]) -> bytes:
    """JSON 1.1 body of an output dict; an undeclared member is a service-layer bug and raises."""
    document = _to_json(shape, data) if shape is not None else {}
    if shape is None and data:
        raise ValueError("output members given for an operation without an output shape")
    return json.dumps(document, allow_nan=False, separators=(",", ":")).encode()


def _to_json(shape: Shape, value: Any) -> Any:
    if isinstance(shape, StructureShape):
        if not isinstance(value, Mapping):
            raise TypeError(f"{shape.name} must be a dict, got {type(value).__name__}")
        out = {}
        for name, item in value.items():
            if name not in shape.members:
                raise ValueError(f"member {name!r} is not declared in {shape.name}")
            if item is not None:
                out[name] = _to_json(shape.members[name], item)
        return out
    if isinstance(shape, ListShape):
        return [_to_json(shape.member, item) for item in value]
    if isinstance(shape, MapShape):
        return {key: _to_json(shape.value, item) for key, item in value.items()}
    if shape.type_name == "timestamp":
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
        seconds = round(aware.timestamp(), 3)
        return int(seconds) if seconds.is_integer() else seconds
    if shape.type_name == "blob":
        return base64.b64encode(value).decode("ascii")
    return value
