"""HTTP entry point of the Rekognition Custom Labels API (JSON 1.1 on ``POST /``).

authenticate → resolve ``X-Amz-Target`` → authorize ``rekognition:<Op>`` → parse → validate →
call the service facade in a worker thread → serialise. Every response carries a fresh
``x-amzn-RequestId``. Rekognition operations outside the Custom Labels subset get a 400
that says so.
"""

from __future__ import annotations

import uuid
from functools import cache

from botocore.loaders import Loader
from starlette.requests import Request
from starlette.responses import Response

from openlookout.api.auth import require_service
from openlookout.api.bodies import BodyTooLargeError, body_limit, close_if_unread, drain, read_limited
from openlookout.api.cl_errors import UnknownTargetError, error_body
from openlookout.api.context import AppContext, call_service, request_context
from openlookout.api.jsonrpc import CONTENT_TYPE, parse_body, serialize_body, split_target
from openlookout.api.lookoutvision import snake_case
from openlookout.api.shapes.rekognition import SERVICE, SERVICE_NAME, TARGET_PREFIX
from openlookout.api.validation import validate_input
from openlookout.service.custom_labels.image_errors import ImageTooLargeError

# Creating a resource with Tags needs the tagging permission too, as in AWS IAM.
_TAGGING_CREATES = frozenset({"CreateProject", "CreateDataset", "CreateProjectVersion", "CopyProjectVersion"})


@cache
def all_rekognition_operations() -> frozenset[str]:
    """Every operation of the full Rekognition API, from botocore's bundled model."""
    try:
        model = Loader().load_service_model(SERVICE_NAME, "service-2")
    except Exception:  # a botocore without the model: every unknown name is simply unknown
        return frozenset()
    return frozenset(model["operations"])


def resolve_operation(target: str) -> str:
    name = split_target(target, TARGET_PREFIX)
    if name is None:
        raise UnknownTargetError(
            f"X-Amz-Target {target!r} is not a Rekognition operation (expected {TARGET_PREFIX}.<Operation>)."
        )
    if name in SERVICE.operation_names:
        return name
    if name in all_rekognition_operations():
        raise UnknownTargetError(
            f"{name} is a Rekognition operation outside the Custom Labels subset; openlookout "
            "serves only the Custom Labels operations."
        )
    raise UnknownTargetError(f"{name} is not a Rekognition operation.")


async def _read_body(request: Request, headers: dict[str, str]) -> bytes:
    """The body within its operation's limit; DetectCustomLabels' is its image, so too large an
    image is ImageTooLargeException as AWS answers."""
    name = split_target(headers.get("x-amz-target", ""), TARGET_PREFIX)
    operation = SERVICE.operation_model(name) if name in SERVICE.operation_names else None
    try:
        return await read_limited(request, body_limit(operation), name if operation else None)
    except BodyTooLargeError as error:
        if name == "DetectCustomLabels":
            raise _ImageBodyTooLarge(error.limit, name) from None
        raise


class _ImageBodyTooLarge(BodyTooLargeError, ImageTooLargeError):
    """Mapped to ImageTooLargeException (ImageTooLargeError comes first in cl_errors)."""


async def handle_rekognition(request: Request, ctx: AppContext) -> Response:
    request_id = str(uuid.uuid4())
    operation_name: str | None = None
    try:
        headers = {name.lower(): value for name, value in request.headers.items()}
        ctx.authenticator.precheck(request.scope["query_string"].decode(), headers)
        body = await _read_body(request, headers)
        principal = ctx.authenticator.authenticate(
            request.method,
            request.scope["raw_path"].decode(),
            request.scope["query_string"].decode(),
            headers,
            body,
        )
        require_service(principal, SERVICE_NAME)
        operation_name = resolve_operation(headers.get("x-amz-target", ""))
        operation = SERVICE.operation_model(operation_name)
        context = request_context(ctx, principal, request_id)
        context.caller.require(f"{SERVICE_NAME}:{operation_name}")
        params = parse_body(operation.input_shape, body)
        if operation_name in _TAGGING_CREATES and params.get("Tags"):
            context.caller.require(f"{SERVICE_NAME}:TagResource")
        validate_input(operation.input_shape, params)
        kwargs = {snake_case(name): value for name, value in params.items()}
        if ctx.rekognition is None:
            raise UnknownTargetError("Rekognition Custom Labels is not enabled on this server.")
        method = getattr(ctx.rekognition, snake_case(operation_name))
        result = await call_service(method, kwargs, context)
        status, payload = 200, serialize_body(operation.output_shape, result or {})
    except Exception as exc:
        if isinstance(exc, BodyTooLargeError):
            await drain(request)
        status, payload = error_body(exc, request_id, operation_name)
    response = Response(
        payload, status_code=status, media_type=CONTENT_TYPE, headers={"x-amzn-RequestId": request_id}
    )
    return close_if_unread(request, response)
