"""Request bodies read with a limit, never past it (issue 12: bounded memory per request).

Every protocol handler authenticates what it can from the headers first (``Authenticator.
precheck``), then reads the body through ``read_limited`` with the operation's limit from
``body_limit``. A body whose ``Content-Length`` is over the limit is refused before a byte of
it is read; one that grows past it (chunked transfer) is refused as soon as it does. The
limits are documented in docs/security.md ("Limits").
"""

from __future__ import annotations

import math

import anyio
from botocore.model import OperationModel, Shape, StructureShape
from starlette.requests import Request
from starlette.responses import Response

from openlookout.errors import InvalidInputError

# A JSON request without blobs: the longest the models allow (tags, manifests' S3 locations,
# descriptions, policies of 20 KB) fits many times over.
JSON_BODY_CAP = 1 << 20
# DetectAnomalies' raw image: the Lookout for Vision image limit (8 MB, taken as MiB).
DETECT_ANOMALIES_CAP = 8 << 20
# A rejected body of a caller whose key we know is read and thrown away up to this much, so
# that a client which sent it whole (no Expect: 100-continue) can read the error answer.
_DRAIN_CAP = 32 << 20
_DRAIN_SECONDS = 10.0


class BodyTooLargeError(InvalidInputError):
    """The request body is over its operation's limit."""

    def __init__(self, limit: int, operation: str | None, size: int | None = None) -> None:
        what = f" of {operation}" if operation else ""
        got = f" ({size} bytes declared)" if size is not None else ""
        super().__init__(f"The request body is larger than the {limit}-byte limit{what}{got}.")
        self.limit = limit
        self.operation = operation


def _blob_allowance(shape: Shape, depth: int = 0) -> int:
    """Base64 bytes that the blob members with a declared maximum may take in a JSON body."""
    if depth > 8 or not isinstance(shape, StructureShape):
        return 0
    total = 0
    for member in shape.members.values():
        maximum = member.metadata.get("max")
        if member.type_name == "blob" and maximum:
            total += 4 * math.ceil(maximum / 3)
        else:
            total += _blob_allowance(member, depth + 1)
    return total


def body_limit(operation: OperationModel | None) -> int:
    """The most body bytes an operation may receive: a JSON cap plus its blobs' base64 size."""
    if operation is None:
        return JSON_BODY_CAP
    shape = operation.input_shape
    payload = shape.serialization.get("payload") if shape is not None else None
    if payload and shape.members[payload].serialization.get("streaming"):
        return DETECT_ANOMALIES_CAP  # the only streamed payload of both APIs
    return JSON_BODY_CAP + (_blob_allowance(shape) if shape is not None else 0)


def declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


async def read_limited(request: Request, limit: int, operation: str | None = None) -> bytes:
    """The whole body, or BodyTooLargeError without reading (much) more than ``limit`` bytes."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise BodyTooLargeError(limit, operation, declared)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLargeError(limit, operation)
    return bytes(body)


async def drain(request: Request) -> None:
    """Read and discard a refused body (bounded in bytes and time) so the client sees the answer.

    Only for callers whose key is known: an unauthenticated body is never read.
    """
    declared = declared_length(request)
    if declared is not None and declared > _DRAIN_CAP:
        return
    seen = 0
    with anyio.move_on_after(_DRAIN_SECONDS):
        try:
            async for chunk in request.stream():
                seen += len(chunk)
                if seen > _DRAIN_CAP:
                    return
        except Exception:  # already consumed, or the client went away: nothing left to drain
            return


def close_if_unread(request: Request, response: Response) -> Response:
    """Ask the server to close the connection when the body was left (partly) unread.

    Otherwise the unread bytes, or a client that held the body back after an early answer to
    ``Expect: 100-continue``, would be taken for the start of the next request.
    """
    has_body = declared_length(request) != 0 or "chunked" in request.headers.get("transfer-encoding", "")
    # Starlette marks the stream consumed once the last body message arrived.
    if has_body and not getattr(request, "_stream_consumed", False) and not hasattr(request, "_body"):
        response.headers["Connection"] = "close"
    return response
