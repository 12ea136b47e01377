"""The embedded, path-style S3 API: ``/<bucket>/<key>`` on the service's own port.

A thin protocol layer over ``ctx.blobs``: it authenticates (SigV4), authorises
``s3:<Action>``, decodes aws-chunked bodies, verifies request checksums, and
renders S3's XML and headers. Object bodies are streamed back, never copied
whole into memory.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import format_datetime
from typing import BinaryIO
from urllib.parse import quote, unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from openlookout.api import s3_xml
from openlookout.api.auth import AuthError, Principal
from openlookout.api.context import AppContext
from openlookout.api.s3_checksums import ChecksumMismatch, InvalidChecksumHeader, verify_checksums
from openlookout.api.s3_chunked import ChunkedEncodingError, decode_aws_chunked
from openlookout.api.s3_errors import (
    S3Error,
    access_denied,
    from_auth_error,
    from_blob_error,
    not_implemented,
)
from openlookout.blobs.base import BlobError, ObjectInfo
from openlookout.blobs.local import MAX_KEY_BYTES, is_valid_bucket_name
from openlookout.errors import AccessDeniedError

logger = logging.getLogger(__name__)

_STREAM_CHUNK = 1 << 20
_SIGNED_STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
# Body framings we can authenticate: unsigned chunks (TLS or checksum-protected) or chained chunk signatures.
_STREAMING_MODES = frozenset({_SIGNED_STREAMING, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
# Query parameters that name an S3 sub-resource we do not serve (ACLs, tagging, ...).
_UNSUPPORTED_SUBRESOURCES = frozenset(
    [
        "accelerate",
        "acl",
        "analytics",
        "attributes",
        "cors",
        "delete",
        "encryption",
        "intelligent-tiering",
        "inventory",
        "legal-hold",
        "lifecycle",
        "logging",
        "metrics",
        "notification",
        "object-lock",
        "ownershipControls",
        "policy",
        "policyStatus",
        "publicAccessBlock",
        "replication",
        "requestPayment",
        "restore",
        "retention",
        "select",
        "tagging",
        "torrent",
        "versioning",
        "versions",
        "website",
    ]
)


@dataclass
class _Call:
    """One parsed S3 request."""

    ctx: AppContext
    method: str
    bucket: str
    key: str
    params: dict[str, str]
    headers: Mapping[str, str]
    body: bytes
    host: str


_Handler = Callable[[_Call], Awaitable[Response]]


async def handle_s3(request: Request, ctx: AppContext) -> Response:
    request_id = secrets.token_hex(8).upper()
    try:
        response = await _handle(request, ctx)
    except S3Error as error:
        response = _error_response(error, request_id, request)
    except Exception:
        logger.exception("S3 request %s failed", request_id)
        error = S3Error(500, "InternalError", "We encountered an internal error. Please try again.")
        response = _error_response(error, request_id, request)
    response.headers["x-amz-request-id"] = request_id
    response.headers["x-amz-id-2"] = request_id
    return response


def _error_response(error: S3Error, request_id: str, request: Request) -> Response:
    headers = {}
    if error.status == 416 and "ActualObjectSize" in error.extra:
        headers["Content-Range"] = f"bytes */{error.extra['ActualObjectSize']}"
    if request.method == "HEAD":
        # S3 answers HEAD errors with the status alone.
        return Response(status_code=error.status, headers=headers)
    extra = {"Resource": request.url.path, **error.extra}
    body = s3_xml.error_document(error.code, error.message, request_id, extra)
    return Response(body, status_code=error.status, media_type="application/xml", headers=headers)


async def _handle(request: Request, ctx: AppContext) -> Response:
    raw_path = _raw_path(request)
    raw_query = request.scope.get("query_string", b"").decode("latin-1")
    params = _query_params(raw_query)
    bucket, key = _split_path(raw_path)
    method = request.method.upper()
    operation, action = _resolve_operation(method, bucket, key, params, request.headers)
    body = await request.body()
    principal = _authenticate(ctx, method, raw_path, raw_query, request.headers, body, params)
    try:
        ctx.authenticator.authorize(principal, action)
    except AccessDeniedError as denied:
        raise access_denied(denied.message) from None
    if bucket and bucket == ctx.settings.internal_bucket:
        raise access_denied()
    call = _Call(ctx, method, bucket, key, params, request.headers, body, request.headers.get("host", ""))
    try:
        return await _HANDLERS[operation](call)
    except BlobError as error:
        raise from_blob_error(error) from None
    except ValueError as error:
        # The stores refuse malformed names, keys and tokens with ValueError.
        raise S3Error(400, "InvalidArgument", str(error)) from None


def _raw_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    if raw:
        return raw.decode("latin-1")
    return quote(request.url.path, safe="/~")


def _query_params(raw_query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in raw_query.split("&") if raw_query else []:
        if part:
            name, _, value = part.partition("=")
            params.setdefault(unquote(name), unquote(value))
    return params


def _split_path(raw_path: str) -> tuple[str, str]:
    bucket, _, key = raw_path.lstrip("/").partition("/")
    return unquote(bucket), unquote(key)


def _authenticate(
    ctx: AppContext,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    params: Mapping[str, str],
) -> Principal:
    presigned = "X-Amz-Signature" in params and "authorization" not in headers
    try:
        principal = ctx.authenticator.authenticate(method, raw_path, raw_query, headers, body)
    except AuthError as error:
        raise from_auth_error(error, presigned) from None
    if principal.service != "s3":
        code = "AuthorizationQueryParametersError" if presigned else "AuthorizationHeaderMalformed"
        message = f"Credential should be scoped to correct service: 's3', not '{principal.service}'"
        raise S3Error(400, code, message)
    return principal


def _resolve_operation(
    method: str, bucket: str, key: str, params: Mapping[str, str], headers: Mapping[str, str]
) -> tuple[str, str]:
    """(operation name, IAM-style action) of a request, or an S3Error."""
    unsupported = _UNSUPPORTED_SUBRESOURCES.intersection(params)
    if not bucket:
        if method == "GET":
            return "ListBuckets", "s3:ListAllMyBuckets"
        raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
    if unsupported:
        raise not_implemented(f"The '{sorted(unsupported)[0]}' sub-resource")
    if not key:
        if method == "GET" and "location" in params:
            return "GetBucketLocation", "s3:GetBucketLocation"
        if method == "GET" and "uploads" in params:
            raise not_implemented("ListMultipartUploads")
        if method == "GET":
            if params.get("list-type") != "2":
                raise not_implemented("ListObjects (version 1); use ListObjectsV2, which")
            return "ListObjectsV2", "s3:ListBucket"
        simple = {"PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket"}
        if method in simple:
            return simple[method], f"s3:{simple[method]}"
        raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
    if method == "PUT":
        if "partNumber" in params or "uploadId" in params:
            if "x-amz-copy-source" in headers:
                raise not_implemented("UploadPartCopy")
            return "UploadPart", "s3:UploadPart"
        if "x-amz-copy-source" in headers:
            return "CopyObject", "s3:CopyObject"
        return "PutObject", "s3:PutObject"
    if method in ("GET", "HEAD"):
        if "uploadId" in params:
            raise not_implemented("ListParts")
        if "partNumber" in params:
            raise not_implemented("GetObject by part number")
        if params.get("versionId", "null") != "null":
            raise not_implemented("Object versioning")
        return ("GetObject", "s3:GetObject") if method == "GET" else ("HeadObject", "s3:GetObject")
    if method == "DELETE":
        if "uploadId" in params:
            return "AbortMultipartUpload", "s3:AbortMultipartUpload"
        return "DeleteObject", "s3:DeleteObject"
    if method == "POST":
        if "uploads" in params:
            return "CreateMultipartUpload", "s3:CreateMultipartUpload"
        if "uploadId" in params:
            return "CompleteMultipartUpload", "s3:CompleteMultipartUpload"
        raise not_implemented("This POST operation")
    raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")


# ---------------------------------------------------------------- bodies


def _payload(call: _Call) -> bytes:
    """The object bytes of a PUT: aws-chunked decoded, length and checksums verified."""
    headers = {k.lower(): v for k, v in call.headers.items()}
    content_sha = headers.get("x-amz-content-sha256", "")
    body = call.body
    trailers: dict[str, str] = {}
    if content_sha.startswith("STREAMING-") and content_sha not in _STREAMING_MODES:
        raise not_implemented(f"x-amz-content-sha256 {content_sha}")
    if "aws-chunked" in headers.get("content-encoding", "") or content_sha.startswith("STREAMING-"):
        try:
            decoded = decode_aws_chunked(body)
        except ChunkedEncodingError as error:
            raise S3Error(400, "IncompleteBody", str(error)) from None
        if content_sha == _SIGNED_STREAMING:
            try:
                call.ctx.authenticator.verify_chunk_signatures(
                    headers, decoded.chunk_signatures, decoded.chunk_hashes
                )
            except AuthError as error:
                raise from_auth_error(error, presigned=False) from None
        body, trailers = decoded.payload, decoded.trailers
        declared = headers.get("x-amz-decoded-content-length")
        if declared is not None and declared.isdigit() and int(declared) != len(body):
            raise S3Error(400, "IncompleteBody", "You did not provide the number of bytes specified.")
    try:
        verify_checksums({**headers, **trailers}, body)
    except ChecksumMismatch as error:
        raise S3Error(400, "BadDigest", str(error)) from None
    except InvalidChecksumHeader as error:
        raise S3Error(400, "InvalidDigest", str(error)) from None
    return body


def _user_metadata(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name.lower().removeprefix("x-amz-meta-"): value
        for name, value in headers.items()
        if name.lower().startswith("x-amz-meta-")
    }


def _check_key(key: str) -> None:
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise S3Error(400, "KeyTooLongError", "Your key is too long")


def _object_headers(info: ObjectInfo) -> dict[str, str]:
    headers = {
        "ETag": info.etag,
        "Last-Modified": format_datetime(info.last_modified, usegmt=True),
        "Content-Type": info.content_type,
        "Accept-Ranges": "bytes",
    }
    for name, value in info.metadata.items():
        headers[f"x-amz-meta-{name}"] = value
    return headers


def _xml(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/xml")


# --------------------------------------------------------------- buckets


async def _list_buckets(call: _Call) -> Response:
    buckets = await run_in_threadpool(call.ctx.blobs.list_buckets)
    visible = [b for b in buckets if b.name != call.ctx.settings.internal_bucket]
    return _xml(s3_xml.list_buckets_document(visible, call.ctx.settings.account_id))


async def _create_bucket(call: _Call) -> Response:
    if not is_valid_bucket_name(call.bucket):
        raise S3Error(400, "InvalidBucketName", "The specified bucket is not valid.", BucketName=call.bucket)
    await run_in_threadpool(call.ctx.blobs.create_bucket, call.bucket)
    return Response(status_code=200, headers={"Location": f"/{call.bucket}"})


async def _head_bucket(call: _Call) -> Response:
    if not await run_in_threadpool(call.ctx.blobs.bucket_exists, call.bucket):
        raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=call.bucket)
    return Response(status_code=200, headers={"x-amz-bucket-region": call.ctx.settings.region})


async def _get_bucket_location(call: _Call) -> Response:
    if not await run_in_threadpool(call.ctx.blobs.bucket_exists, call.bucket):
        raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=call.bucket)
    return _xml(s3_xml.location_document(call.ctx.settings.region))


async def _delete_bucket(call: _Call) -> Response:
    await run_in_threadpool(call.ctx.blobs.delete_bucket, call.bucket)
    return Response(status_code=204)


async def _list_objects_v2(call: _Call) -> Response:
    params = call.params
    try:
        max_keys = int(params.get("max-keys", "1000"))
    except ValueError:
        raise S3Error(400, "InvalidArgument", "Provided max-keys is not an integer") from None
    if max_keys < 0:
        raise S3Error(400, "InvalidArgument", "max-keys must be non-negative")
    max_keys = min(max_keys, 1000)
    encoding = params.get("encoding-type")
    if encoding not in (None, "url"):
        raise S3Error(400, "InvalidArgument", "Invalid Encoding Method specified in Request")
    prefix = params.get("prefix", "")
    delimiter = params.get("delimiter") or None
    continuation = params.get("continuation-token") or None
    start_after = params.get("start-after") or None
    try:
        result = await run_in_threadpool(
            call.ctx.blobs.list,
            call.bucket,
            prefix,
            delimiter,
            max_keys,
            continuation,
            start_after,
        )
    except ValueError as error:
        raise S3Error(400, "InvalidArgument", str(error)) from None
    document = s3_xml.list_objects_v2_document(
        call.bucket,
        result,
        prefix=prefix,
        delimiter=delimiter,
        max_keys=max_keys,
        url_encode=encoding == "url",
        continuation=continuation,
        start_after=start_after,
    )
    return _xml(document)


# --------------------------------------------------------------- objects


async def _put_object(call: _Call) -> Response:
    _check_key(call.key)
    payload = _payload(call)
    info = await run_in_threadpool(
        call.ctx.blobs.put,
        call.bucket,
        call.key,
        payload,
        call.headers.get("content-type"),
        _user_metadata(call.headers),
    )
    return Response(status_code=200, headers={"ETag": info.etag})


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Inclusive (first, last) byte of a single ``bytes=`` range; None serves the whole object."""
    match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header or "")
    if not match or match.group(1) == match.group(2) == "":
        return None
    unsatisfiable = S3Error(
        416,
        "InvalidRange",
        "The requested range is not satisfiable",
        RangeRequested=header or "",
        ActualObjectSize=str(size),
    )
    if match.group(1):
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else size - 1
        if first >= size:
            raise unsatisfiable
        if last < first:
            return None
        return first, min(last, size - 1)
    suffix = int(match.group(2))
    if suffix == 0 or size == 0:
        raise unsatisfiable
    return max(0, size - suffix), size - 1


def _stream(handle: BinaryIO, first: int, length: int) -> Iterator[bytes]:
    """Yield ``length`` bytes from ``first``; closes the handle at the end."""
    try:
        if first:
            if handle.seekable():
                handle.seek(first)
            else:
                remaining = first
                while remaining and (skipped := handle.read(min(remaining, _STREAM_CHUNK))):
                    remaining -= len(skipped)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(remaining, _STREAM_CHUNK))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


_RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
    "response-content-language": "Content-Language",
    "response-cache-control": "Cache-Control",
    "response-expires": "Expires",
}


async def _get_object(call: _Call) -> Response:
    blobs = call.ctx.blobs
    info = await run_in_threadpool(blobs.head, call.bucket, call.key)
    byte_range = _parse_range(call.headers.get("range"), info.size)
    headers = _object_headers(info)
    for param, header in _RESPONSE_OVERRIDES.items():
        if param in call.params:
            headers[header] = call.params[param]
    status, first, length = 200, 0, info.size
    if byte_range is not None:
        first, last = byte_range
        length = last - first + 1
        status = 206
        headers["Content-Range"] = f"bytes {first}-{last}/{info.size}"
    headers["Content-Length"] = str(length)
    handle = await run_in_threadpool(blobs.open, call.bucket, call.key)
    return StreamingResponse(_stream(handle, first, length), status_code=status, headers=headers)


async def _head_object(call: _Call) -> Response:
    info = await run_in_threadpool(call.ctx.blobs.head, call.bucket, call.key)
    headers = _object_headers(info)
    headers["Content-Length"] = str(info.size)
    return Response(status_code=200, headers=headers)


async def _delete_object(call: _Call) -> Response:
    await run_in_threadpool(call.ctx.blobs.delete, call.bucket, call.key)
    return Response(status_code=204)


def _copy_source(call: _Call) -> tuple[str, str]:
    source = unquote(call.headers["x-amz-copy-source"]).partition("?")[0].lstrip("/")
    bucket, _, key = source.partition("/")
    if not bucket or not key:
        raise S3Error(400, "InvalidArgument", "Copy Source must mention the source bucket and key")
    if bucket == call.ctx.settings.internal_bucket:
        raise access_denied()
    return bucket, key


async def _copy_object(call: _Call) -> Response:
    _check_key(call.key)
    src_bucket, src_key = _copy_source(call)
    blobs = call.ctx.blobs
    replace = call.headers.get("x-amz-metadata-directive", "COPY").upper() == "REPLACE"
    if (src_bucket, src_key) == (call.bucket, call.key) and not replace:
        raise S3Error(
            400,
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself without "
            "changing the object's metadata, storage class, website redirect location or encryption "
            "attributes.",
        )
    if replace:
        info = await run_in_threadpool(_copy_replacing_metadata, call, src_bucket, src_key)
    else:
        info = await run_in_threadpool(blobs.copy, src_bucket, src_key, call.bucket, call.key)
    return _xml(s3_xml.copy_result_document(info))


def _copy_replacing_metadata(call: _Call, src_bucket: str, src_key: str) -> ObjectInfo:
    with call.ctx.blobs.open(src_bucket, src_key) as handle:
        return call.ctx.blobs.put(
            call.bucket,
            call.key,
            handle,
            call.headers.get("content-type"),
            _user_metadata(call.headers),
        )


# ------------------------------------------------------------- multipart


async def _create_multipart_upload(call: _Call) -> Response:
    _check_key(call.key)
    upload_id = await run_in_threadpool(
        call.ctx.blobs.create_multipart_upload,
        call.bucket,
        call.key,
        call.headers.get("content-type"),
        _user_metadata(call.headers),
    )
    return _xml(s3_xml.initiate_upload_document(call.bucket, call.key, upload_id))


async def _upload_part(call: _Call) -> Response:
    try:
        part_number = int(call.params.get("partNumber", ""))
    except ValueError:
        raise S3Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000") from None
    if not 1 <= part_number <= 10_000:
        raise S3Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000")
    payload = _payload(call)
    etag = await run_in_threadpool(
        call.ctx.blobs.upload_part, call.bucket, call.key, call.params["uploadId"], part_number, payload
    )
    return Response(status_code=200, headers={"ETag": etag})


async def _complete_multipart_upload(call: _Call) -> Response:
    try:
        parts = s3_xml.parse_complete_upload(call.body)
    except s3_xml.MalformedXML as error:
        raise S3Error(400, "MalformedXML", str(error)) from None
    info = await run_in_threadpool(
        call.ctx.blobs.complete_multipart_upload, call.bucket, call.key, call.params["uploadId"], parts
    )
    location = f"http://{call.host}/{quote(call.bucket)}/{quote(call.key)}"
    return _xml(s3_xml.complete_upload_document(location, info))


async def _abort_multipart_upload(call: _Call) -> Response:
    await run_in_threadpool(
        call.ctx.blobs.abort_multipart_upload, call.bucket, call.key, call.params["uploadId"]
    )
    return Response(status_code=204)


_HANDLERS: dict[str, _Handler] = {
    "ListBuckets": _list_buckets,
    "CreateBucket": _create_bucket,
    "HeadBucket": _head_bucket,
    "GetBucketLocation": _get_bucket_location,
    "DeleteBucket": _delete_bucket,
    "ListObjectsV2": _list_objects_v2,
    "PutObject": _put_object,
    "GetObject": _get_object,
    "HeadObject": _head_object,
    "DeleteObject": _delete_object,
    "CopyObject": _copy_object,
    "CreateMultipartUpload": _create_multipart_upload,
    "UploadPart": _upload_part,
    "CompleteMultipartUpload": _complete_multipart_upload,
    "AbortMultipartUpload": _abort_multipart_upload,
}
