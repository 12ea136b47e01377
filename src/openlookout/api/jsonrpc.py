"""The AWS JSON 1.1 wire format (``POST /`` + ``X-Amz-Target``), driven by the declared model.

``parse_body`` turns the request body into input parameters (blobs base64-decoded, epoch
timestamps to aware datetimes) and ``serialize_body`` does the reverse for an output dict.
Constraint checks are ``api/validation.py``'s ``validate_input``, shared with rest-json.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.model import StructureShape

from openlookout.api.json_values import from_json, to_json
from openlookout.api.validation import load_json_body, top_level_path
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
            params[name] = from_json(member, document[name], top_level_path(name, member))
    return params


def serialize_body(shape: StructureShape | None, data: Mapping[str, Any]) -> bytes:
    """JSON 1.1 body of an output dict; an undeclared member is a service-layer bug and raises."""
    document = to_json(shape, data) if shape is not None else {}
    if shape is None and data:
        raise ValueError("output members given for an operation without an output shape")
    return json.dumps(document, allow_nan=False, separators=(",", ":")).encode()
