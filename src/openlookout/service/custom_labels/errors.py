"""Custom Labels refinements of the domain errors, for the codes Rekognition distinguishes.

Each subclasses the closest protocol-neutral error, so code that only knows
``openlookout.errors`` still treats them correctly; ``api/cl_errors.py`` maps the
subclasses to their own Rekognition codes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from openlookout.errors import ConflictError, InvalidInputError, QuotaExceededError


class AlreadyExistsError(ConflictError):
    """A dataset of that type or a policy of that name exists (ResourceAlreadyExistsException)."""


class NotReadyError(ConflictError):
    """The resource is not in a state that allows the call yet (ResourceNotReadyException)."""


class InvalidS3ObjectError(InvalidInputError):
    """A referenced S3 object cannot be read (InvalidS3ObjectException)."""


class PolicyRevisionError(InvalidInputError):
    """The given PolicyRevisionId is not the current one (InvalidPolicyRevisionIdException)."""


class MalformedPolicyError(InvalidInputError):
    """The policy document breaks the project-policy rules (MalformedPolicyDocumentException)."""


class LimitExceededError(QuotaExceededError):
    """A per-project limit is reached (LimitExceededException)."""

    def __init__(self, message: str, quota_code: str) -> None:
        super().__init__(message, quota_code, service_code="rekognition")


@contextmanager
def duplicate_as(error: Exception) -> Iterator[None]:
    """Turn a unique-constraint race (two creates that both passed the existence check) into ``error``."""
    try:
        yield
    except IntegrityError:
        raise error from None
