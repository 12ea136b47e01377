"""Protocol-neutral domain errors.

The service layer raises these; each wire protocol maps them to its own AWS
error codes and HTTP statuses (see ``api/l4v_errors.py``). Keeping the
mapping out of the service lets Lookout for Vision and Rekognition share it.
"""

from __future__ import annotations


class OpenLookoutError(Exception):
    """Base class: ``message`` is shown to the user verbatim."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInputError(OpenLookoutError):
    """A request parameter or referenced input is invalid (L4V: ValidationException)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(OpenLookoutError):
    """A named resource does not exist (L4V: ResourceNotFoundException)."""

    def __init__(self, message: str, resource_type: str, resource_id: str) -> None:
        super().__init__(message)
        self.resource_type = resource_type  # PROJECT | DATASET | MODEL | TRIAL | MODEL_PACKAGE_JOB
        self.resource_id = resource_id


class ConflictError(OpenLookoutError):
    """The resource exists or is in a state that forbids the call (L4V: ConflictException)."""

    def __init__(self, message: str, resource_type: str, resource_id: str) -> None:
        super().__init__(message)
        self.resource_type = resource_type
        self.resource_id = resource_id


class QuotaExceededError(OpenLookoutError):
    """A service quota is reached (L4V: ServiceQuotaExceededException, HTTP 402)."""

    def __init__(
        self,
        message: str,
        quota_code: str,
        service_code: str = "lookoutvision",
        resource_type: str | None = None,
        resource_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.quota_code = quota_code
        self.service_code = service_code
        self.resource_type = resource_type
        self.resource_id = resource_id


class AccessDeniedError(OpenLookoutError):
    """The caller may not perform the action (L4V: AccessDeniedException)."""


class NotSupportedError(OpenLookoutError):
    """The operation exists in the API but is not available in this release.

    Mapped to a clear client error (never a 500 and never a fake success).
    """


class ThrottledError(OpenLookoutError):
    """More requests than the capacity serves; retry later (L4V: ThrottlingException, HTTP 429;
    Custom Labels: ProvisionedThroughputExceededException, as AWS answers past a model's units)."""

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
