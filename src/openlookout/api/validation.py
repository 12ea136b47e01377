"""Check parsed request parameters against every constraint of the input shape.

Violations are reported the way AWS services word them, e.g.::

    1 validation error detected: Value 'a b' at 'projectName' failed to satisfy
    constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9][a-zA-Z0-9_\\-]*

Member paths use the wire name of a top-level member (``projectName``), the
member name with a lower-case first letter below it (``outputConfig.s3Location.bucket``)
and ``<n>.member`` for the n-th list item, counted from 1 (``tags.1.member.key``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from openlookout.api.shapes.patterns import compile_pattern
from openlookout.errors import InvalidInputError

# Longest value quoted back in a message: huge blobs or manifest lines would only bloat it.
_MAX_QUOTED = 256
# Values nested deeper are rendered as "..." (they are type errors anyway; no recursion limit).
_MAX_RENDER_DEPTH = 8

_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "float": (int, float),
    "double": (int, float),
    "timestamp": (datetime,),
    "blob": (bytes,),
    "list": (list,),
    "structure": (dict,),
    "map": (dict,),
}


@dataclass(frozen=True)
class Violation:
    path: str
    value: object
    constraint: str

    def describe(self) -> str:
        value = render_value(self.value)
        return f"Value {value} at '{self.path}' failed to satisfy constraint: {self.constraint}"


def render_value(value: object) -> str:
    """Quote a value as AWS messages do: ``null`` bare, everything else in single quotes."""
    if value is None:
        return "null"
    text = _plain(value)
    if len(text) > _MAX_QUOTED:
        text = text[:_MAX_QUOTED] + "..."
    return f"'{text}'"


def load_json_body(body: bytes) -> Any:
    """The request body as JSON; any undecodable body, however deeply nested, is a client error."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"Could not parse request body into JSON: {exc}") from None
    except RecursionError:
        raise InvalidInputError(
            "Could not parse request body into JSON: the document is nested too deeply."
        ) from None


def _plain(value: object, depth: int = 0) -> str:
    if depth > _MAX_RENDER_DEPTH:
        return "..."
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_plain(item, depth + 1) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_plain(item, depth + 1)}" for key, item in value.items()) + "}"
    return str(value)


def top_level_path(name: str, member: Shape) -> str:
    """Path of a top-level input member: its wire name when it has one, else camelCase."""
    return member.serialization.get("name") or _camel(name)


def child_path(parent: str, name: str) -> str:
    return f"{parent}.{_camel(name)}" if parent else _camel(name)


def item_path(parent: str, index: int) -> str:
    return f"{parent}.{index + 1}.member"


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def violations_error(violations: list[Violation]) -> InvalidInputError:
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    details = "; ".join(violation.describe() for violation in violations)
    return InvalidInputError(f"{count} validation {noun} detected: {details}", violations[0].path)


def validate_input(shape: StructureShape, params: Mapping[str, Any]) -> None:
    """Raise ``InvalidInputError`` naming every violated constraint of ``params``."""
    violations: list[Violation] = []
    for name, member in shape.members.items():
        path = top_level_path(name, member)
        _check_member(member, params.get(name), path, name in shape.required_members, violations)
    if violations:
        raise violations_error(violations)


def _check_member(shape: Shape, value: Any, path: str, required: bool, out: list[Violation]) -> None:
    if value is None:
        if required:
            out.append(Violation(path, None, "Member must not be null"))
        return
    expected = _PYTHON_TYPES.get(shape.type_name, (object,))
    # bool is a subclass of int, but a JSON true is no integer.
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        out.append(Violation(path, value, f"Member must be of type {shape.type_name}"))
        return
    # botocore builds a StructureShape, ListShape or MapShape only for type_name "structure",
    # "list" or "map", so the isinstance check above has made value a dict, a list, a dict.
    if isinstance(shape, StructureShape):
        assert isinstance(value, dict)
        for name, member in shape.members.items():
            _check_member(
                member, value.get(name), child_path(path, name), name in shape.required_members, out
            )
        return
    _check_length(shape, value, path, out)
    _check_range(shape, value, path, out)
    if isinstance(shape, ListShape):
        assert isinstance(value, list)
        for index, item in enumerate(value):
            _check_member(shape.member, item, item_path(path, index), True, out)
    elif isinstance(shape, MapShape):
        assert isinstance(value, dict)
        for key, item in value.items():
            _check_member(shape.key, key, f"{path}.key", True, out)
            _check_member(shape.value, item, f"{path}.{key}", True, out)
    elif isinstance(value, str):
        _check_text(shape, value, path, out)


def _check_length(shape: Shape, value: Any, path: str, out: list[Violation]) -> None:
    if shape.type_name not in ("string", "blob", "list", "map"):
        return
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and len(value) < low:
        out.append(Violation(path, value, f"Member must have length greater than or equal to {low}"))
    if high is not None and len(value) > high:
        out.append(Violation(path, value, f"Member must have length less than or equal to {high}"))


def _check_range(shape: Shape, value: Any, path: str, out: list[Violation]) -> None:
    if shape.type_name not in ("integer", "long", "float", "double"):
        return
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        out.append(Violation(path, value, f"Member must have value greater than or equal to {low}"))
    if high is not None and value > high:
        out.append(Violation(path, value, f"Member must have value less than or equal to {high}"))


def _check_text(shape: Shape, value: str, path: str, out: list[Violation]) -> None:
    pattern = shape.metadata.get("pattern")
    if pattern is not None and not compile_pattern(pattern).fullmatch(value):
        out.append(Violation(path, value, f"Member must satisfy regular expression pattern: {pattern}"))
    enum = shape.enum
    if enum and value not in enum:
        out.append(Violation(path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]"))
