"""Domain and protocol errors → Lookout for Vision error responses.

Every error is ``{"message": ..., <members>}`` with the code in ``x-amzn-ErrorType``
(the header botocore reads first). Unexpected exceptions become a 500 whose message
carries only the request id; the traceback goes to the log.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from openlookout.api.auth import AuthError, json_api_auth_code
from openlookout.api.internal_error import report_internal_error
from openlookout.api.restjson import SerializedResponse, UnknownOperationError
from openlookout.errors import (
    AccessDeniedError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NotSupportedError,
    QuotaExceededError,
    ThrottledError,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class L4VError:
    code: str
    status: int
    message: str
    members: dict[str, str] = field(default_factory=dict)


def to_l4v_error(exc: BaseException) -> L4VError | None:
    """The wire error for a known exception; ``None`` for anything unexpected."""
    if isinstance(exc, InvalidInputError | NotSupportedError):
        return L4VError("ValidationException", 400, exc.message)
    if isinstance(exc, NotFoundError):
        return L4VError("ResourceNotFoundException", 404, exc.message, _resource(exc))
    if isinstance(exc, ConflictError):
        return L4VError("ConflictException", 409, exc.message, _resource(exc))
    if isinstance(exc, QuotaExceededError):
        members = {"QuotaCode": exc.quota_code, "ServiceCode": exc.service_code}
        if exc.resource_id is not None and exc.resource_type is not None:
            members.update(ResourceId=exc.resource_id, ResourceType=exc.resource_type)
        return L4VError("ServiceQuotaExceededException", 402, exc.message, members)
    if isinstance(exc, AccessDeniedError):
        return L4VError("AccessDeniedException", 403, exc.message)
    if isinstance(exc, ThrottledError):
        return L4VError("ThrottlingException", 429, exc.message, {"ServiceCode": "lookoutvision"})
    if isinstance(exc, AuthError):
        message = exc.message
        if exc.kind == "EXPIRED" and not message.startswith("Signature expired"):
            message = f"Signature expired: {message}"
        return L4VError(json_api_auth_code(exc), 403, message)
    if isinstance(exc, UnknownOperationError):
        return L4VError("UnknownOperationException", 404, exc.message)
    return None


def _resource(exc: NotFoundError | ConflictError) -> dict[str, str]:
    return {"ResourceId": exc.resource_id, "ResourceType": exc.resource_type}


def error_response(exc: BaseException, request_id: str, operation: str | None = None) -> SerializedResponse:
    error = to_l4v_error(exc)
    if error is None:
        message = report_internal_error(log, exc, request_id, operation or "lookoutvision")
        error = L4VError("InternalServerException", 500, message)
    body = json.dumps({"message": error.message, **error.members}).encode()
    headers = {
        "Content-Type": "application/json",
        "x-amzn-ErrorType": error.code,
        "x-amzn-RequestId": request_id,
    }
    if isinstance(exc, ThrottledError):
        headers["Retry-After"] = str(exc.retry_after_s)  # RetryAfterSeconds in the model
    return SerializedResponse(error.status, headers, body)
