"""BlobStore on any S3-compatible endpoint (AWS S3, MinIO, another openlookout) via boto3."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from openlookout.blobs.base import (
    BlobError,
    BucketAlreadyExists,
    BucketInfo,
    BucketNotEmpty,
    EntityTooSmall,
    InvalidPart,
    InvalidPartOrder,
    ListResult,
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    ObjectInfo,
    PartInfo,
    PreconditionFailed,
    UploadInfo,
    WriteCondition,
)
from openlookout.blobs.local import DEFAULT_CONTENT_TYPE


class S3BlobStore:
    def __init__(
        self,
        endpoint_url: str | None,
        region: str,
        access_key_id: str | None,
        secret: str | None,
    ) -> None:
        self.region = region
        # Path-style works with every S3-compatible server; AWS itself still accepts it.
        config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5, "mode": "standard"})
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret,
            config=config,
        )

    # ----------------------------------------------------------------- buckets
    def create_bucket(self, bucket: str) -> None:
        kwargs: dict = {"Bucket": bucket}
        if self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        with _mapped(bucket):
            self.client.create_bucket(**kwargs)

    def bucket_exists(self, bucket: str) -> bool:
        try:
            self.client.head_bucket(Bucket=bucket)
        except ClientError as error:
            if _code(error) in ("404", "NoSuchBucket"):
                return False
            raise
        return True

    def list_buckets(self) -> list[BucketInfo]:
        response = self.client.list_buckets()
        return [BucketInfo(b["Name"], b["CreationDate"]) for b in response.get("Buckets", [])]

    def delete_bucket(self, bucket: str) -> None:
        with _mapped(bucket):
            self.client.delete_bucket(Bucket=bucket)

    # ----------------------------------------------------------------- objects
    def put(
        self,
        bucket: str,
        key: str,
        data: bytes | IO[bytes],
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        kwargs: dict = {"Bucket": bucket, "Key": key, "Body": data, "Metadata": dict(metadata or {})}
        if content_type:
            kwargs["ContentType"] = content_type
        if condition is not None and condition.if_absent:
            kwargs["IfNoneMatch"] = "*"
        if condition is not None and condition.if_match is not None:
            kwargs["IfMatch"] = condition.if_match
        with _mapped(bucket, key):
            # Conditions exist only on a single PUT (s3transfer's uploads cannot carry them).
            if isinstance(data, bytes | bytearray) or condition is not None:
                self.client.put_object(**kwargs)
            else:
                # upload_fileobj streams large inputs as a multipart upload.
                extra = {k: v for k, v in kwargs.items() if k in ("ContentType", "Metadata")}
                self.client.upload_fileobj(data, bucket, key, ExtraArgs=extra)
        return self.head(bucket, key)

    def get(self, bucket: str, key: str) -> bytes:
        with self.open(bucket, key) as body:
            return body.read()

    def open(self, bucket: str, key: str) -> BinaryIO:
        return self._body(bucket, key)

    def _body(self, bucket: str, key: str) -> StreamingBody:
        with _mapped(bucket, key):
            return self.client.get_object(Bucket=bucket, Key=key)["Body"]

    def iter_chunks(self, bucket: str, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        body = self._body(bucket, key)

        def chunks() -> Iterator[bytes]:
            with body:
                yield from body.iter_chunks(chunk_size)

        return chunks()

    def open_object(self, bucket: str, key: str) -> tuple[ObjectInfo, BinaryIO]:
        with _mapped(bucket, key):
            response = self.client.get_object(Bucket=bucket, Key=key)
        return self._info(bucket, key, response), response["Body"]

    def head(self, bucket: str, key: str) -> ObjectInfo:
        with _mapped(bucket, key):
            response = self.client.head_object(Bucket=bucket, Key=key)
        return self._info(bucket, key, response)

    @staticmethod
    def _info(bucket: str, key: str, response: dict) -> ObjectInfo:
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=response["ContentLength"],
            etag=response["ETag"],
            last_modified=response["LastModified"],
            content_type=response.get("ContentType", DEFAULT_CONTENT_TYPE),
            metadata=dict(response.get("Metadata", {})),
        )

    def delete(self, bucket: str, key: str) -> None:
        with _mapped(bucket, key):
            self.client.delete_object(Bucket=bucket, Key=key)

    def copy(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> ObjectInfo:
        with _mapped(src_bucket, src_key):
            # The managed copy switches to multipart copies above 5 GB.
            self.client.copy({"Bucket": src_bucket, "Key": src_key}, dst_bucket, dst_key)
        return self.head(dst_bucket, dst_key)

    def list(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str | None = None,
        max_keys: int = 1000,
        continuation: str | None = None,
        start_after: str | None = None,
    ) -> ListResult:
        kwargs: dict = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": max_keys}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        if continuation:
            kwargs["ContinuationToken"] = continuation
        if start_after:
            kwargs["StartAfter"] = start_after
        with _mapped(bucket):
            response = self.client.list_objects_v2(**kwargs)
        objects = [
            ObjectInfo(
                bucket=bucket,
                key=item["Key"],
                size=item["Size"],
                etag=item["ETag"],
                last_modified=item["LastModified"],
            )
            for item in response.get("Contents", [])
        ]
        prefixes = [p["Prefix"] for p in response.get("CommonPrefixes", [])]
        return ListResult(
            objects, prefixes, bool(response.get("IsTruncated")), response.get("NextContinuationToken")
        )

    # --------------------------------------------------------------- multipart
    def create_multipart_upload(
        self, bucket: str, key: str, content_type: str | None = None, metadata: dict[str, str] | None = None
    ) -> str:
        kwargs: dict = {"Bucket": bucket, "Key": key, "Metadata": dict(metadata or {})}
        if content_type:
            kwargs["ContentType"] = content_type
        with _mapped(bucket, key):
            return self.client.create_multipart_upload(**kwargs)["UploadId"]

    def upload_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, data: bytes | IO[bytes]
    ) -> str:
        with _mapped(bucket, key, upload_id):
            response = self.client.upload_part(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=part_number, Body=data
            )
        return response["ETag"]

    def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: builtins.list[tuple[int, str]]
    ) -> ObjectInfo:
        with _mapped(bucket, key, upload_id, parts):
            self.client.complete_multipart_upload(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag} for n, etag in parts]},
            )
        return self.head(bucket, key)

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        with _mapped(bucket, key, upload_id):
            self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)

    def list_parts(self, bucket: str, key: str, upload_id: str) -> builtins.list[PartInfo]:
        parts: list[PartInfo] = []
        with _mapped(bucket, key, upload_id):
            for page in self.client.get_paginator("list_parts").paginate(
                Bucket=bucket, Key=key, UploadId=upload_id
            ):
                parts.extend(
                    PartInfo(p["PartNumber"], p["ETag"], p["Size"], p["LastModified"])
                    for p in page.get("Parts", [])
                )
        return parts

    def list_multipart_uploads(self, bucket: str) -> builtins.list[UploadInfo]:
        uploads: list[UploadInfo] = []
        with _mapped(bucket):
            for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
                uploads.extend(
                    UploadInfo(u["Key"], u["UploadId"], u["Initiated"]) for u in page.get("Uploads", [])
                )
        return uploads


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def _mapped(
    bucket: str,
    key: str | None = None,
    upload_id: str | None = None,
    parts: list[tuple[int, str]] | None = None,
) -> Iterator[None]:
    """Turn S3 error codes from boto3 into the BlobStore's exceptions."""
    try:
        yield
    except ClientError as exc:
        error = _translate(_code(exc), bucket, key, upload_id, parts)
        if error is None:
            raise
        raise error from exc


def _translate(
    code: str, bucket: str, key: str | None, upload_id: str | None, parts: list[tuple[int, str]] | None
) -> BlobError | None:
    first_part = parts[0][0] if parts else 0
    match code:
        case "NoSuchBucket":
            return NoSuchBucket(bucket)
        case "NoSuchKey" | "404" if key is not None:
            return NoSuchKey(bucket, key)
        case "404":
            return NoSuchBucket(bucket)
        case "BucketAlreadyOwnedByYou" | "BucketAlreadyExists":
            return BucketAlreadyExists(bucket)
        case "BucketNotEmpty":
            return BucketNotEmpty(bucket)
        case "NoSuchUpload":
            return NoSuchUpload(upload_id or "")
        case "InvalidPartOrder":
            return InvalidPartOrder()
        case "InvalidPart":
            return InvalidPart(first_part, "rejected by the object store")
        case "EntityTooSmall":
            return EntityTooSmall(first_part)
        case "PreconditionFailed" if key is not None:
            return PreconditionFailed(bucket, key, "the write condition")
    return None
