"""The BlobStore interface every object-store backend implements.

Buckets and keys follow S3 rules. Writes are atomic: a reader sees the old
object or the whole new one, never a partial file (local backend: write to a
temp file, fsync, rename).
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, BinaryIO, ClassVar, Protocol


class BlobError(Exception):
    """Base class for object-store errors."""


class BucketError(BlobError):
    """An error about one bucket; each kind words it in ``MESSAGE``, which names the bucket."""

    MESSAGE: ClassVar[str]

    def __init__(self, bucket: str) -> None:
        super().__init__(self.MESSAGE.format(bucket=bucket))
        self.bucket = bucket


class NoSuchBucket(BucketError):
    MESSAGE = "The bucket {bucket!r} does not exist."


class BucketAlreadyExists(BucketError):
    MESSAGE = "The bucket {bucket!r} already exists."


class BucketNotEmpty(BucketError):
    MESSAGE = "The bucket {bucket!r} is not empty."


class NoSuchKey(BlobError):
    def __init__(self, bucket: str, key: str) -> None:
        super().__init__(f"The object s3://{bucket}/{key} does not exist.")
        self.bucket = bucket
        self.key = key


class NoSuchUpload(BlobError):
    def __init__(self, upload_id: str) -> None:
        super().__init__(f"The multipart upload {upload_id!r} does not exist.")
        self.upload_id = upload_id


class InvalidPart(BlobError):
    def __init__(self, part_number: int, reason: str) -> None:
        super().__init__(f"Part {part_number} is invalid: {reason}")
        self.part_number = part_number


class InvalidPartOrder(BlobError):
    def __init__(self) -> None:
        super().__init__("The list of parts was not in ascending order by part number.")


class EntityTooSmall(BlobError):
    def __init__(self, part_number: int) -> None:
        super().__init__(
            f"Part {part_number} is smaller than the minimum allowed size of 5 MiB (only the last may be)."
        )
        self.part_number = part_number


class PreconditionFailed(BlobError):
    """A conditional write found the object other than the condition required."""

    def __init__(self, bucket: str, key: str, condition: str) -> None:
        super().__init__(f"s3://{bucket}/{key} does not satisfy {condition}.")
        self.condition = condition  # "If-Match" | "If-None-Match"


@dataclass(frozen=True)
class WriteCondition:
    """S3's conditional PutObject: ``if_match`` an ETag, or ``if_absent`` (If-None-Match: *)."""

    if_match: str | None = None
    if_absent: bool = False

    def check(self, bucket: str, key: str, current_etag: str | None) -> None:
        if self.if_absent and current_etag is not None:
            raise PreconditionFailed(bucket, key, "If-None-Match")
        if self.if_match is not None:
            if current_etag is None:
                raise NoSuchKey(bucket, key)
            if self.if_match.strip().strip('"') not in ("*", current_etag.strip('"')):
                raise PreconditionFailed(bucket, key, "If-Match")


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    etag: str  # quoted hex MD5 (multipart: "<md5-of-md5s>-<parts>")
    last_modified: datetime
    content_type: str = "binary/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BucketInfo:
    name: str
    created_at: datetime


@dataclass(frozen=True)
class ListResult:
    objects: list[ObjectInfo]
    common_prefixes: list[str]
    is_truncated: bool
    next_continuation: str | None  # opaque; pass back as ``continuation``


@dataclass(frozen=True)
class PartInfo:
    part_number: int
    etag: str
    size: int
    last_modified: datetime


@dataclass(frozen=True)
class UploadInfo:
    key: str
    upload_id: str
    initiated: datetime


class BlobStore(Protocol):
    # Buckets
    def create_bucket(self, bucket: str) -> None: ...
    def bucket_exists(self, bucket: str) -> bool: ...
    def list_buckets(self) -> list[BucketInfo]: ...
    def delete_bucket(self, bucket: str) -> None: ...

    # Objects
    def put(
        self,
        bucket: str,
        key: str,
        data: bytes | IO[bytes],
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        condition: WriteCondition | None = None,  # checked atomically with the write
    ) -> ObjectInfo: ...
    def get(self, bucket: str, key: str) -> bytes: ...
    def open(self, bucket: str, key: str) -> BinaryIO: ...
    # The handle and the ObjectInfo of one and the same write (a concurrent overwrite cannot mix them).
    def open_object(self, bucket: str, key: str) -> tuple[ObjectInfo, BinaryIO]: ...
    def iter_chunks(self, bucket: str, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]: ...
    def head(self, bucket: str, key: str) -> ObjectInfo: ...
    def delete(self, bucket: str, key: str) -> None: ...  # no error when absent (S3 semantics)
    def copy(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> ObjectInfo: ...
    def list(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str | None = None,
        max_keys: int = 1000,
        continuation: str | None = None,
        start_after: str | None = None,
    ) -> ListResult: ...

    # Multipart upload
    def create_multipart_upload(
        self, bucket: str, key: str, content_type: str | None = None, metadata: dict[str, str] | None = None
    ) -> str: ...
    def upload_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, data: bytes | IO[bytes]
    ) -> str: ...
    # by part number
    def list_parts(self, bucket: str, key: str, upload_id: str) -> builtins.list[PartInfo]: ...
    def list_multipart_uploads(self, bucket: str) -> builtins.list[UploadInfo]: ...  # by key, then initiation
    def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: builtins.list[tuple[int, str]]
    ) -> ObjectInfo: ...
    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None: ...


def ensure_bucket(blobs: BlobStore, bucket: str) -> None:
    """Create ``bucket`` unless it exists; another process creating it first is no error."""
    if not blobs.bucket_exists(bucket):
        # Another worker or replica may make it between our check and our create.
        with contextlib.suppress(BucketAlreadyExists):
            blobs.create_bucket(bucket)
