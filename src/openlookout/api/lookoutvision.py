"""HTTP entry point of the Lookout for Vision API (rest-json under ``/2020-11-20/``).

authenticate → route → authorize → parse → validate → call the service facade in a
worker thread → serialise. Every response carries a fresh ``x-amzn-RequestId``.
"""

from __future__ import annotations

import re
import uuid

from starlette.requests import Request
from starlette.responses import Response

from openlookout.api.auth import require_service
from openlookout.api.bodies import BodyTooLargeError, body_limit, close_if_unread, drain, read_limited
from openlookout.api.context import AppContext, call_service, request_context
from openlookout.api.l4v_errors import error_response
from openlookout.api.restjson import Router, SerializedResponse, parse_request, serialize_output
from openlookout.api.shapes.lookoutvision import SERVICE, SERVICE_NAME
from openlookout.api.validation import Violation, validate_input, violations_error

ROUTER = Router(SERVICE)
CLIENT_TOKEN_HEADER = "x-amzn-client-token"
CLIENT_TOKEN_PATTERN = SERVICE.shape_for("ClientToken").metadata["pattern"]


def snake_case(name: str) -> str:
    """``ProjectName`` → ``project_name``; ``DetectAnomalies`` → ``detect_anomalies``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


async def handle_lookoutvision(request: Request, ctx: AppContext) -> Response:
    request_id = str(uuid.uuid4())
    operation_name: str | None = None
    try:
        method = request.method
        raw_path = request.scope["raw_path"].decode()
        raw_query = request.scope["query_string"].decode()
        headers = {name.lower(): value for name, value in request.headers.items()}
        _check_client_token_bytes(headers)
        ctx.authenticator.precheck(raw_query, headers)  # no byte of an unsigned body is read
        target = ROUTER.find(method, raw_path)
        body = await read_limited(request, body_limit(target), target.name if target else None)
        principal = ctx.authenticator.authenticate(method, raw_path, raw_query, headers, body)
        require_service(principal, SERVICE_NAME)
        operation, labels = ROUTER.match(method, raw_path)
        operation_name = operation.name
        context = request_context(ctx, principal, request_id)
        context.caller.require(f"{SERVICE_NAME}:{operation.name}")
        params = parse_request(operation, labels, raw_query, headers, body)
        validate_input(operation.input_shape, params)
        # DetectAnomalies' raw image arrives as body= and content_type= like any other member.
        kwargs = {snake_case(name): value for name, value in params.items()}
        method_impl = getattr(ctx.lookoutvision, snake_case(operation.name))
        result = await call_service(method_impl, kwargs, context)
        status = operation.http.get("responseCode", 200)
        serialized = serialize_output(operation.output_shape, result or {}, status)
    except Exception as exc:
        if isinstance(exc, BodyTooLargeError):
            await drain(request)
        serialized = error_response(exc, request_id, operation_name)
    return close_if_unread(request, _to_starlette(serialized, request_id))


def _check_client_token_bytes(headers: dict[str, str]) -> None:
    """A non-ASCII ClientToken is a validation error, found before the signature is checked.

    HTTP carries header bytes without a declared encoding, so such a value cannot be signed
    unambiguously; its pattern rules it out whatever the signature says.
    """
    token = headers.get(CLIENT_TOKEN_HEADER)
    if token is not None and not token.isascii():
        constraint = f"Member must satisfy regular expression pattern: {CLIENT_TOKEN_PATTERN}"
        raise violations_error([Violation("X-Amzn-Client-Token", token, constraint)])


def _to_starlette(serialized: SerializedResponse, request_id: str) -> Response:
    headers = dict(serialized.headers)
    headers["x-amzn-RequestId"] = request_id
    media_type = headers.pop("Content-Type", "application/json")
    return Response(serialized.body, status_code=serialized.status, headers=headers, media_type=media_type)
