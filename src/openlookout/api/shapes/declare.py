"""Small helpers that turn compact Python declarations into botocore-format shape dicts.

The dicts they return are exactly what a botocore ``service-2.json`` holds, so the
same declarations can be loaded with ``botocore.model.ServiceModel`` and written
out for current boto3 unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ShapeDict = dict[str, Any]


def _with_doc(shape: ShapeDict, doc: str | None) -> ShapeDict:
    if doc:
        shape["documentation"] = doc
    return shape


def _limits(shape: ShapeDict, min_: int | None, max_: int | None) -> ShapeDict:
    if max_ is not None:
        shape["max"] = max_
    if min_ is not None:
        shape["min"] = min_
    return shape


def string(
    min: int | None = None,
    max: int | None = None,
    pattern: str | None = None,
    enum: list[str] | None = None,
    doc: str | None = None,
) -> ShapeDict:
    shape = _limits({"type": "string"}, min, max)
    if pattern is not None:
        shape["pattern"] = pattern
    if enum is not None:
        shape["enum"] = list(enum)
    return _with_doc(shape, doc)


def integer(min: int | None = None, max: int | None = None, doc: str | None = None) -> ShapeDict:
    return _with_doc(_limits({"type": "integer"}, min, max), doc)


def boolean(doc: str | None = None) -> ShapeDict:
    return _with_doc({"type": "boolean"}, doc)


def float_(doc: str | None = None) -> ShapeDict:
    return _with_doc({"type": "float"}, doc)


def timestamp(doc: str | None = None) -> ShapeDict:
    return _with_doc({"type": "timestamp"}, doc)


def blob(
    min: int | None = None, max: int | None = None, *, streaming: bool = False, doc: str | None = None
) -> ShapeDict:
    shape = _limits({"type": "blob"}, min, max)
    if streaming:
        # A streamed payload must carry Content-Length (the server reads it whole).
        shape["requiresLength"] = True
        shape["streaming"] = True
    return _with_doc(shape, doc)


def list_of(member: str, min: int | None = None, max: int | None = None, doc: str | None = None) -> ShapeDict:
    return _with_doc(_limits({"type": "list", "member": {"shape": member}}, min, max), doc)


@dataclass(frozen=True)
class Member:
    """One structure member: its shape name, where it travels on the wire, and flags."""

    shape: str
    required: bool = False
    uri: str | None = None
    query: str | None = None
    header: str | None = None
    idempotency_token: bool = False
    doc: str | None = None

    def to_dict(self) -> ShapeDict:
        ref: ShapeDict = {"shape": self.shape}
        if self.doc:
            ref["documentation"] = self.doc
        if self.idempotency_token:
            ref["idempotencyToken"] = True
        for location, name in (("uri", self.uri), ("querystring", self.query), ("header", self.header)):
            if name is not None:
                ref["location"] = location
                ref["locationName"] = name
        return ref


def m(
    shape: str,
    doc: str | None = None,
    *,
    required: bool = False,
    uri: str | None = None,
    query: str | None = None,
    header: str | None = None,
    idempotency_token: bool = False,
) -> Member:
    return Member(shape, required, uri, query, header, idempotency_token, doc)


def structure(members: dict[str, Member], *, payload: str | None = None, doc: str | None = None) -> ShapeDict:
    shape: ShapeDict = {"type": "structure"}
    required = [name for name, member in members.items() if member.required]
    if required:
        shape["required"] = required
    shape["members"] = {name: member.to_dict() for name, member in members.items()}
    if payload is not None:
        shape["payload"] = payload
    return _with_doc(shape, doc)


def exception(
    status: int, members: dict[str, Member], *, fault: bool = False, doc: str | None = None
) -> ShapeDict:
    shape = structure(members, doc=doc)
    shape["error"] = {"httpStatusCode": status}
    shape["exception"] = True
    if fault:
        shape["fault"] = True
    return shape


def operation(
    name: str,
    method: str,
    uri: str,
    *,
    errors: list[str],
    status: int = 200,
    doc: str,
) -> ShapeDict:
    """An operation whose input/output shapes are ``<name>Request`` / ``<name>Response``."""
    http: ShapeDict = {"method": method, "requestUri": uri}
    if status != 200:
        http["responseCode"] = status
    return {
        "name": name,
        "http": http,
        "input": {"shape": f"{name}Request"},
        "output": {"shape": f"{name}Response"},
        "errors": [{"shape": error} for error in errors],
        "documentation": doc,
    }
