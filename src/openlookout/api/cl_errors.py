"""Domain and protocol errors → Rekognition (JSON 1.1) error responses (spec B.1).

The body is ``{"__type": <code>, "Code": <code>, "Message": ...}``: botocore reads the code
from ``__type``. Client errors are HTTP 400, InternalServerError and ThrottlingException 500.
Unexpected exceptions become an InternalServerError quoting the request id; the
traceback goes to the log.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from openlookout.api.auth import AuthError, json_api_auth_code
from openlookout.api.internal_error import report_internal_error
from openlookout.api.jsonrpc import CONTENT_TYPE
from openlookout.errors import (
    AccessDeniedError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NotSupportedError,
    QuotaExceededError,
    ThrottledError,
)
from openlookout.service.custom_labels.errors import (
    AlreadyExistsError,
    InvalidS3ObjectError,
    LimitExceededError,
    MalformedPolicyError,
    NotReadyError,
    PolicyRevisionError,
)
from openlookout.service.custom_labels.image_errors import ImageTooLargeError, InvalidImageFormatError

log = logging.getLogger(__name__)


# Most specific first: the refinements subclass the generic domain errors
# (plain InvalidInputError is handled after this list).
_BY_TYPE: list[tuple[type[Exception], str]] = [
    (ImageTooLargeError, "ImageTooLargeException"),
    (InvalidImageFormatError, "InvalidImageFormatException"),
    (InvalidS3ObjectError, "InvalidS3ObjectException"),
    (PolicyRevisionError, "InvalidPolicyRevisionIdException"),
    (MalformedPolicyError, "MalformedPolicyDocumentException"),
    (AlreadyExistsError, "ResourceAlreadyExistsException"),
    (NotReadyError, "ResourceNotReadyException"),
    (LimitExceededError, "LimitExceededException"),
    (NotSupportedError, "InvalidParameterException"),
    (NotFoundError, "ResourceNotFoundException"),
    (ConflictError, "ResourceInUseException"),
    (QuotaExceededError, "ServiceQuotaExceededException"),
    (AccessDeniedError, "AccessDeniedException"),
    # Past a running model's inference units AWS answers this one (a 400), not ThrottlingException,
    # which Rekognition keeps for its own faults (500); botocore retries both as throttling.
    (ThrottledError, "ProvisionedThroughputExceededException"),
]


class UnknownTargetError(Exception):
    """The X-Amz-Target names no operation we serve (message says why)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CLError:
    code: str
    status: int
    message: str


def to_cl_error(exc: BaseException) -> CLError | None:
    """The wire error for a known exception; None for anything unexpected."""
    for kind, code in _BY_TYPE:
        if isinstance(exc, kind):
            return CLError(code, 400, str(getattr(exc, "message", exc)))
    if isinstance(exc, InvalidInputError):
        code = "InvalidPaginationTokenException" if exc.field == "NextToken" else "InvalidParameterException"
        return CLError(code, 400, exc.message)
    if isinstance(exc, AuthError):
        return CLError(json_api_auth_code(exc), 400, exc.message)
    if isinstance(exc, UnknownTargetError):
        return CLError("UnknownOperationException", 400, exc.message)
    return None


def error_body(exc: BaseException, request_id: str, operation: str | None) -> tuple[int, bytes]:
    error = to_cl_error(exc)
    if error is None:
        message = report_internal_error(log, exc, request_id, operation or "rekognition")
        error = CLError("InternalServerError", 500, message)
    body = {"__type": error.code, "Code": error.code, "Message": error.message}
    return error.status, json.dumps(body).encode()


__all__ = ["CONTENT_TYPE", "CLError", "UnknownTargetError", "error_body", "to_cl_error"]
