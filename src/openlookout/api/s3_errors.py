"""S3 error codes, and the mapping from auth and blob-store errors onto them."""

from __future__ import annotations

from openlookout.api.auth import AuthError, PayloadHashMismatch
from openlookout.blobs.base import (
    BlobError,
    BucketAlreadyExists,
    BucketNotEmpty,
    EntityTooSmall,
    InvalidPart,
    InvalidPartOrder,
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    PreconditionFailed,
)


class S3Error(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


def access_denied(message: str = "Access Denied") -> S3Error:
    return S3Error(403, "AccessDenied", message)


def not_implemented(what: str) -> S3Error:
    return S3Error(501, "NotImplemented", f"{what} is not implemented by this server.")


def from_auth_error(error: AuthError, presigned: bool) -> S3Error:
    if isinstance(error, PayloadHashMismatch):
        return S3Error(400, "XAmzContentSHA256Mismatch", error.message)
    if error.kind == "MISSING":
        return access_denied()
    if error.kind == "UNKNOWN_KEY":
        return S3Error(403, "InvalidAccessKeyId", error.message)
    if error.kind == "BAD_SIGNATURE":
        return S3Error(403, "SignatureDoesNotMatch", error.message)
    if error.kind == "EXPIRED":
        if presigned:
            return access_denied(error.message)
        return S3Error(403, "RequestTimeTooSkewed", error.message)
    code = "AuthorizationQueryParametersError" if presigned else "AuthorizationHeaderMalformed"
    return S3Error(400, code, error.message)


def from_blob_error(error: BlobError) -> S3Error:
    if isinstance(error, NoSuchBucket):
        return S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=error.bucket)
    if isinstance(error, NoSuchKey):
        return S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=error.key)
    if isinstance(error, BucketAlreadyExists):
        return S3Error(
            409,
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
            BucketName=error.bucket,
        )
    if isinstance(error, BucketNotEmpty):
        return S3Error(
            409, "BucketNotEmpty", "The bucket you tried to delete is not empty", BucketName=error.bucket
        )
    if isinstance(error, NoSuchUpload):
        return S3Error(
            404,
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, "
            "or the upload may have been aborted or completed.",
            UploadId=error.upload_id,
        )
    if isinstance(error, InvalidPartOrder):
        return S3Error(400, "InvalidPartOrder", str(error))
    if isinstance(error, InvalidPart):
        return S3Error(400, "InvalidPart", str(error))
    if isinstance(error, EntityTooSmall):
        return S3Error(400, "EntityTooSmall", str(error))
    if isinstance(error, PreconditionFailed):
        return S3Error(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            Condition=error.condition,
        )
    return S3Error(500, "InternalError", "We encountered an internal error. Please try again.")
