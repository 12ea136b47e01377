"""Who is calling and what it may do: the one permission evaluator (docs/security.md).

The protocol layer turns a verified signature into a ``Caller``; ``Caller.require`` is the
action check of every API. ``CallerBlobStore`` is a blob store seen with a caller's S3
permissions: the service reads and writes every S3 location a request names (manifests,
the images they reference, OutputConfig, S3Object, packaging output) through it, so the
check runs before any byte is read and a caller never obtains through Lookout for Vision
or Custom Labels what it could not read or write over S3 itself. The service's own bucket
is refused to every caller, root included, whatever the object's existence.
"""

from __future__ import annotations

import builtins
import fnmatch
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from openlookout.blobs.base import (
    BlobError,
    BlobStore,
    BucketInfo,
    ListResult,
    ObjectInfo,
    PartInfo,
    UploadInfo,
    WriteCondition,
)
from openlookout.errors import AccessDeniedError


@dataclass(frozen=True)
class Caller:
    """A verified access key and its allow-list (root may do everything)."""

    access_key_id: str
    is_root: bool = False
    allow: tuple[str, ...] = ()

    def may(self, action: str) -> bool:
        return self.is_root or any(fnmatch.fnmatchcase(action, pattern) for pattern in self.allow)

    def require(self, action: str) -> None:
        if not self.may(action):
            raise AccessDeniedError(f"User: {self.access_key_id} is not authorized to perform: {action}")

    def to_payload(self) -> dict[str, Any]:
        """What a job row stores: the permissions the request was made with (no secret)."""
        return {"access_key_id": self.access_key_id, "is_root": self.is_root, "allow": list(self.allow)}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any] | None) -> Caller:
        if payload is None:
            # Jobs queued before callers were recorded: their request passed the action check.
            return SERVICE_CALLER
        return cls(str(payload["access_key_id"]), bool(payload["is_root"]), tuple(payload["allow"]))


# In-process calls (tests, the CLI): every action, but still never the internal bucket.
SERVICE_CALLER = Caller("openlookout", is_root=True)


class S3LocationDenied(AccessDeniedError, BlobError):
    """The caller may not perform ``action`` on the named S3 location.

    A ``BlobError`` too, so every reader that reports an unreadable object reports this
    one the same way; raised before the store is asked, so it says nothing about existence.
    """

    def __init__(self, caller: Caller, action: str, bucket: str, key: str) -> None:
        resource = f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket}"
        super().__init__(
            f"User: {caller.access_key_id} is not authorized to perform: {action} on resource: {resource}"
        )
        self.action, self.bucket, self.key = action, bucket, key


class CallerBlobStore:
    """``blobs`` as ``caller`` may use it over S3 (same action names as the embedded S3 API)."""

    def __init__(self, blobs: BlobStore, caller: Caller, internal_bucket: str) -> None:
        self._blobs = blobs
        self.caller = caller
        self._internal = internal_bucket

    def check(self, action: str, bucket: str, key: str = "") -> None:
        if bucket == self._internal or not self.caller.may(action):
            raise S3LocationDenied(self.caller, action, bucket, key)

    # Buckets: the service never creates or deletes a caller's buckets.
    def create_bucket(self, bucket: str) -> None:
        raise S3LocationDenied(self.caller, "s3:CreateBucket", bucket, "")

    def bucket_exists(self, bucket: str) -> bool:
        # Bucket names are not secret (S3 answers 403, not 404, for a bucket of someone else);
        # objects are. Only the service's own bucket is hidden.
        if bucket == self._internal:
            raise S3LocationDenied(self.caller, "s3:ListBucket", bucket, "")
        return self._blobs.bucket_exists(bucket)

    def list_buckets(self) -> list[BucketInfo]:
        raise S3LocationDenied(self.caller, "s3:ListAllMyBuckets", "*", "")

    def delete_bucket(self, bucket: str) -> None:
        raise S3LocationDenied(self.caller, "s3:DeleteBucket", bucket, "")

    # Objects
    def put(
        self,
        bucket: str,
        key: str,
        data: bytes | IO[bytes],
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        self.check("s3:PutObject", bucket, key)
        return self._blobs.put(
            bucket, key, data, content_type=content_type, metadata=metadata, condition=condition
        )

    def get(self, bucket: str, key: str) -> bytes:
        self.check("s3:GetObject", bucket, key)
        return self._blobs.get(bucket, key)

    def open(self, bucket: str, key: str) -> BinaryIO:
        self.check("s3:GetObject", bucket, key)
        return self._blobs.open(bucket, key)

    def open_object(self, bucket: str, key: str) -> tuple[ObjectInfo, BinaryIO]:
        self.check("s3:GetObject", bucket, key)
        return self._blobs.open_object(bucket, key)

    def iter_chunks(self, bucket: str, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        self.check("s3:GetObject", bucket, key)
        return self._blobs.iter_chunks(bucket, key, chunk_size)

    def head(self, bucket: str, key: str) -> ObjectInfo:
        self.check("s3:GetObject", bucket, key)
        return self._blobs.head(bucket, key)

    def delete(self, bucket: str, key: str) -> None:
        self.check("s3:DeleteObject", bucket, key)
        self._blobs.delete(bucket, key)

    def copy(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> ObjectInfo:
        self.check("s3:GetObject", src_bucket, src_key)
        self.check("s3:PutObject", dst_bucket, dst_key)
        return self._blobs.copy(src_bucket, src_key, dst_bucket, dst_key)

    def list(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str | None = None,
        max_keys: int = 1000,
        continuation: str | None = None,
        start_after: str | None = None,
    ) -> ListResult:
        self.check("s3:ListBucket", bucket, prefix)
        return self._blobs.list(bucket, prefix, delimiter, max_keys, continuation, start_after)

    # Multipart upload: every step is part of writing the object (s3:PutObject in AWS IAM).
    def create_multipart_upload(
        self, bucket: str, key: str, content_type: str | None = None, metadata: dict[str, str] | None = None
    ) -> str:
        self.check("s3:PutObject", bucket, key)
        return self._blobs.create_multipart_upload(bucket, key, content_type, metadata)

    def upload_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, data: bytes | IO[bytes]
    ) -> str:
        self.check("s3:PutObject", bucket, key)
        return self._blobs.upload_part(bucket, key, upload_id, part_number, data)

    # Listing uploads and parts: the S3 API's action names (api/s3_routes.py).
    def list_parts(self, bucket: str, key: str, upload_id: str) -> builtins.list[PartInfo]:
        self.check("s3:ListMultipartUploadParts", bucket, key)
        return self._blobs.list_parts(bucket, key, upload_id)

    def list_multipart_uploads(self, bucket: str) -> builtins.list[UploadInfo]:
        self.check("s3:ListBucketMultipartUploads", bucket)
        return self._blobs.list_multipart_uploads(bucket)

    def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: builtins.list[tuple[int, str]]
    ) -> ObjectInfo:
        self.check("s3:PutObject", bucket, key)
        return self._blobs.complete_multipart_upload(bucket, key, upload_id, parts)

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        self.check("s3:AbortMultipartUpload", bucket, key)
        self._blobs.abort_multipart_upload(bucket, key, upload_id)


def caller_blobs(blobs: BlobStore, internal_bucket: str, payload: Mapping[str, Any]) -> CallerBlobStore:
    """The store as the caller recorded in a job payload (``"caller"``) may use it."""
    return CallerBlobStore(blobs, Caller.from_payload(payload.get("caller")), internal_bucket)
