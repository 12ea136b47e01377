"""The rest-json wire format, driven entirely by the declared service model.

Three jobs: find the operation a request targets (``Router``), turn the raw
request into input parameters (``parse_request``) and turn an output dict into
an HTTP response (``serialize_output``). Nothing here knows a specific operation.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from botocore.model import ListShape, OperationModel, ServiceModel, Shape, StructureShape

from openlookout.api.json_values import decode_base64, from_json, to_json
from openlookout.api.validation import (
    Violation,
    item_path,
    load_json_body,
    top_level_path,
    violations_error,
)
from openlookout.errors import InvalidInputError

_LABEL = re.compile(r"^\{([A-Za-z0-9_]+)\}$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")


class UnknownOperationError(Exception):
    """No operation of the service is bound to this method and path."""

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"No operation matches {method} {path}")
        self.message = f"No operation matches {method} {path}"


@dataclass(frozen=True)
class _Route:
    operation: OperationModel
    method: str
    # One entry per path segment: a literal, or ``None`` where a label goes.
    literals: tuple[str | None, ...]
    labels: tuple[str, ...]

    def match(self, segments: list[str]) -> dict[str, str] | None:
        if len(segments) != len(self.literals):
            return None
        values: dict[str, str] = {}
        labels = iter(self.labels)
        for literal, segment in zip(self.literals, segments, strict=True):
            decoded = unquote(segment)
            if literal is None:
                if not decoded:
                    return None
                values[next(labels)] = decoded
            elif literal != decoded:
                return None
        return values


class Router:
    """Maps ``(method, raw path)`` to an operation and its decoded URI labels."""

    def __init__(self, service: ServiceModel) -> None:
        routes = [self._route(service.operation_model(name)) for name in service.operation_names]
        # Literal segments win over labels, so a fixed path can never be shadowed by a template.
        self._routes = sorted(routes, key=lambda route: -sum(lit is not None for lit in route.literals))

    @staticmethod
    def _route(operation: OperationModel) -> _Route:
        path = operation.http["requestUri"].split("?", 1)[0]
        literals: list[str | None] = []
        labels: list[str] = []
        for segment in path.strip("/").split("/"):
            label = _LABEL.match(segment)
            if label:
                literals.append(None)
                labels.append(label.group(1))
            else:
                literals.append(segment)
        return _Route(operation, operation.http["method"].upper(), tuple(literals), tuple(labels))

    def find(self, method: str, raw_path: str) -> OperationModel | None:
        """The operation a request is for, or None (``match`` raises instead)."""
        try:
            return self.match(method, raw_path)[0]
        except UnknownOperationError:
            return None

    def match(self, method: str, raw_path: str) -> tuple[OperationModel, dict[str, str]]:
        """Each label is one segment, percent-decoded (``%2F`` included) after splitting on ``/``."""
        path = raw_path.split("?", 1)[0]
        segments = path.strip("/").split("/")
        for route in self._routes:
            if route.method != method.upper():
                continue
            labels = route.match(segments)
            if labels is not None:
                return route.operation, labels
        raise UnknownOperationError(method.upper(), path)


# ---------------------------------------------------------------- request parsing


def parse_request(
    operation: OperationModel,
    labels: Mapping[str, str],
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
) -> dict[str, Any]:
    """Input parameters by member name; absent members are left out.

    ``headers`` must have lower-case names. Values keep wire types the parser cannot
    convert (a JSON string where an integer belongs); validation then reports them.
    """
    shape = operation.input_shape
    if shape is None:
        return {}
    query = _query_values(raw_query)
    payload_name = shape.serialization.get("payload")
    params: dict[str, Any] = {}
    body_members = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        path = top_level_path(name, member)
        if location == "uri" and wire_name in labels:
            params[name] = _from_text(member, labels[wire_name], path)
        elif location == "querystring" and wire_name in query:
            values = query[wire_name]
            if isinstance(member, ListShape):
                params[name] = [
                    _from_text(member.member, value, item_path(path, i)) for i, value in enumerate(values)
                ]
            else:
                params[name] = _from_text(member, values[0], path)
        elif location == "header" and wire_name.lower() in headers:
            params[name] = _from_text(member, headers[wire_name.lower()], path)
        elif location is None and name != payload_name:
            body_members[name] = member
    if payload_name is not None:
        payload = shape.members[payload_name]
        if payload.type_name == "blob":
            if body:
                params[payload_name] = body
        elif body:
            params[payload_name] = from_json(
                payload, load_json_body(body), top_level_path(payload_name, payload), _json_timestamp
            )
    elif body_members and body:
        document = load_json_body(body)
        if not isinstance(document, dict):
            raise InvalidInputError("Could not parse request body into JSON: the body must be a JSON object")
        for name, member in body_members.items():
            key = member.serialization.get("name", name)
            if document.get(key) is not None:
                params[name] = from_json(member, document[key], top_level_path(name, member), _json_timestamp)
    return params


def _query_values(raw_query: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        values.setdefault(key, []).append(value)
    return values


def _bad(value: object, path: str, constraint: str) -> InvalidInputError:
    return violations_error([Violation(path, value, constraint)])


def _from_text(shape: Shape, text: str, path: str) -> Any:
    """A URI label, query value or header converted to the member's type."""
    kind = shape.type_name
    if kind in ("integer", "long"):
        if not _INTEGER.match(text):
            raise _bad(text, path, f"Member must be of type {kind}")
        return int(text)
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise _bad(text, path, "Member must be of type boolean")
        return text.lower() == "true"
    if kind in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            raise _bad(text, path, f"Member must be of type {kind}") from None
    if kind == "timestamp":
        return _timestamp(text, path, allow_http_date=True)
    if kind == "blob":
        return decode_base64(text, path)
    return text


def _timestamp(text: str, path: str, *, allow_http_date: bool) -> datetime:
    """ISO-8601 (botocore's query format), epoch seconds, or an HTTP date in headers."""
    try:
        if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
            return datetime.fromtimestamp(float(text), UTC)
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        if not allow_http_date:
            raise _bad(text, path, "Member must be a timestamp (ISO-8601 or epoch seconds)") from None
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            raise _bad(text, path, "Member must be a timestamp (ISO-8601 or epoch seconds)") from None
    # A zone-less time is taken as UTC, which is what every AWS SDK sends.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _json_timestamp(text: str, path: str) -> datetime:
    """A timestamp sent as a JSON string: ISO-8601 or epoch seconds, never an HTTP date."""
    return _timestamp(text, path, allow_http_date=False)


# ---------------------------------------------------------------- response serialisation


@dataclass
class SerializedResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"{}"


def serialize_output(
    shape: StructureShape | None, data: Mapping[str, Any], status: int
) -> SerializedResponse:
    """JSON body of the non-header members; header members become headers.

    A key the shape does not declare is a programming error in the service layer,
    so it raises instead of silently disappearing from the response.
    """
    headers = {"Content-Type": "application/json"}
    document: dict[str, Any] = {}
    members = shape.members if shape is not None else {}
    for name, value in data.items():
        if name not in members:
            raise ValueError(
                f"output member {name!r} is not declared in {shape.name if shape else 'the model'}"
            )
        if value is None:
            continue
        member = members[name]
        if member.serialization.get("location") == "header":
            headers[member.serialization.get("name", name)] = _header_text(member, value)
        else:
            document[member.serialization.get("name", name)] = to_json(member, value)
    body = json.dumps(document, allow_nan=False, separators=(",", ":")).encode()
    return SerializedResponse(status, headers, body)


def _header_text(shape: Shape, value: Any) -> str:
    if shape.type_name == "timestamp":
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
        return aware.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    if shape.type_name == "boolean":
        return "true" if value else "false"
    if shape.type_name == "blob":
        return base64.b64encode(value).decode("ascii")
    return str(value)
