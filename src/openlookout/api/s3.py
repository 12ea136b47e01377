"""The embedded, path-style S3 API: ``/<bucket>/<key>`` on the service's own port.

A thin protocol layer over ``ctx.blobs``: it authenticates (SigV4), authorises
``s3:<Action>``, decodes aws-chunked bodies, verifies request checksums, and
renders S3's XML and headers. Object bodies are streamed back, never copied
whole into memory.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import IO, BinaryIO
from urllib.parse import quote, unquote_to_bytes

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from openlookout.api import s3_xml
from openlookout.api.auth import AuthError, Principal
from openlookout.api.bodies import close_if_unread
from openlookout.api.context import AppContext
from openlookout.api.s3_conditions import (
    copy_range,
    failed_condition,
    parse_range,
    precondition_failed,
    write_condition,
)
from openlookout.api.s3_errors import (
    S3Error,
    access_denied,
    from_auth_error,
    from_blob_error,
)
from openlookout.api.s3_payload import receive_object, receive_small, spool_file
from openlookout.api.s3_routes import resolve_operation
from openlookout.blobs.base import BlobError, ObjectInfo, UploadInfo
from openlookout.blobs.local import MAX_KEY_BYTES, common_prefix, may_create_bucket
from openlookout.errors import AccessDeniedError

logger = logging.getLogger(__name__)

_STREAM_CHUNK = 1 << 20


@dataclass
class _Call:
    """One parsed S3 request."""

    ctx: AppContext
    method: str
    bucket: str
    key: str
    params: dict[str, str]
    headers: Mapping[str, str]
    body: bytes  # the decoded body of a small (XML) request; empty for object uploads
    host: str
    principal: Principal
    payload: IO[bytes] | None = None  # PutObject/UploadPart: the verified body, spooled


_Handler = Callable[[_Call], Awaitable[Response]]


async def handle_s3(request: Request, ctx: AppContext) -> Response:
    request_id = secrets.token_hex(8).upper()
    try:
        response = await _handle(request, ctx)
    except S3Error as error:
        response = _error_response(error, request_id, request)
    except Exception:
        logger.exception("S3 request %s failed", request_id)
        internal = S3Error(500, "InternalError", "We encountered an internal error. Please try again.")
        response = _error_response(internal, request_id, request)
    response.headers["x-amz-request-id"] = request_id
    response.headers["x-amz-id-2"] = request_id
    return close_if_unread(request, response)


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
    operation, action = resolve_operation(method, bucket, key, params, request.headers)
    # Signed headers authenticate before the body is read; it is checked against the signed
    # x-amz-content-sha256 as it arrives (s3_payload), so an unsigned body is never buffered.
    principal = _authenticate(ctx, method, raw_path, raw_query, request.headers, params)
    if operation != "DeleteObjects":  # authorised key by key, with per-key errors as S3 answers
        _authorize(ctx, principal, action)
    if bucket and bucket == ctx.settings.internal_bucket:
        raise access_denied()
    host = request.headers.get("host", "")
    call = _Call(ctx, method, bucket, key, params, request.headers, b"", host, principal)
    try:
        if operation in ("PutObject", "UploadPart"):
            spool = await receive_object(request, ctx.authenticator, ctx.settings.data_dir / "tmp")
            with spool:
                call.payload = spool
                return await _HANDLERS[operation](call)
        # Of the small bodies only DeleteObjects' carries checksums of itself (CompleteMultipartUpload's
        # describe the object; CreateMultipartUpload's name an algorithm).
        checked = operation == "DeleteObjects"
        call.body = await receive_small(request, ctx.authenticator, check_checksums=checked)
        return await _HANDLERS[operation](call)
    except BlobError as error:
        raise from_blob_error(error) from None
    except ValueError as error:
        # The stores refuse malformed names, keys and tokens with ValueError.
        raise S3Error(400, "InvalidArgument", str(error)) from None


def _authorize(ctx: AppContext, principal: Principal, action: str) -> None:
    try:
        ctx.authenticator.authorize(principal, action)
    except AccessDeniedError as denied:
        raise access_denied(denied.message) from None


def _raw_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    if raw:
        return raw.decode("latin-1")
    return quote(request.url.path, safe="/~")


def _decode(text: str) -> str:
    """Percent-decode wire text (bytes as latin-1) as UTF-8; S3 refuses what is not valid UTF-8
    rather than store a lookalike key."""
    try:
        return unquote_to_bytes(text.encode("latin-1")).decode("utf-8")
    except UnicodeError:
        raise S3Error(400, "InvalidURI", "Couldn't parse the specified URI.") from None


def _query_params(raw_query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in raw_query.split("&") if raw_query else []:
        if part:
            name, _, value = part.partition("=")
            params.setdefault(_decode(name), _decode(value))
    return params


def _split_path(raw_path: str) -> tuple[str, str]:
    bucket, _, key = raw_path.lstrip("/").partition("/")
    return _decode(bucket), _decode(key)


def _authenticate(
    ctx: AppContext,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    params: Mapping[str, str],
) -> Principal:
    presigned = "X-Amz-Signature" in params and "authorization" not in headers
    try:
        principal = ctx.authenticator.authenticate(method, raw_path, raw_query, headers, None)
    except AuthError as error:
        raise from_auth_error(error, presigned) from None
    if principal.service != "s3":
        code = "AuthorizationQueryParametersError" if presigned else "AuthorizationHeaderMalformed"
        message = f"Credential should be scoped to correct service: 's3', not '{principal.service}'"
        raise S3Error(400, code, message)
    return principal


# ---------------------------------------------------------------- bodies


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
    if not may_create_bucket(call.bucket):
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


def _max_param(params: Mapping[str, str], name: str, default: int = 1000) -> int:
    """A max-keys style parameter: a non-negative integer, capped at S3's 1000."""
    try:
        value = int(params.get(name, str(default)))
    except ValueError:
        raise S3Error(400, "InvalidArgument", f"Provided {name} is not an integer") from None
    if value < 0:
        raise S3Error(400, "InvalidArgument", f"{name} must be non-negative")
    return min(value, 1000)


def _url_encoding(params: Mapping[str, str]) -> bool:
    encoding = params.get("encoding-type")
    if encoding not in (None, "url"):
        raise S3Error(400, "InvalidArgument", "Invalid Encoding Method specified in Request")
    return encoding == "url"


def _list_query(params: Mapping[str, str]) -> s3_xml.ListQuery:
    return s3_xml.ListQuery(
        prefix=params.get("prefix", ""),
        delimiter=params.get("delimiter") or None,
        max_keys=_max_param(params, "max-keys"),
        url_encode=_url_encoding(params),
    )


async def _list_objects_v2(call: _Call) -> Response:
    query = _list_query(call.params)
    continuation = call.params.get("continuation-token") or None
    start_after = call.params.get("start-after") or None
    try:
        result = await run_in_threadpool(
            call.ctx.blobs.list,
            call.bucket,
            query.prefix,
            query.delimiter,
            query.max_keys,
            continuation,
            start_after,
        )
    except ValueError as error:
        raise S3Error(400, "InvalidArgument", str(error)) from None
    document = s3_xml.list_objects_v2_document(
        call.bucket, result, query, continuation=continuation, start_after=start_after
    )
    return _xml(document)


# Above every UTF-8 continuation of a prefix: starting after prefix + this skips the whole prefix.
_PAST_PREFIX = "\U0010ffff" * 4


async def _list_objects_v1(call: _Call) -> Response:
    """ListObjects (version 1): Marker instead of a continuation token."""
    query = _list_query(call.params)
    prefix, delimiter = query.prefix, query.delimiter
    marker = call.params.get("marker", "")
    start_after = marker or None
    rolled_up = common_prefix(marker, prefix, delimiter) == marker
    if marker and marker.startswith(prefix) and rolled_up:
        # A NextMarker that is a common prefix: continue after every key rolled up into it.
        start_after = marker + _PAST_PREFIX
    result = await run_in_threadpool(
        call.ctx.blobs.list, call.bucket, prefix, delimiter, query.max_keys, None, start_after
    )
    next_marker = None
    if result.is_truncated and delimiter:
        # S3 sends NextMarker only with a delimiter; without one clients continue from the last Key.
        candidates = [o.key for o in result.objects[-1:]] + result.common_prefixes[-1:]
        next_marker = max(candidates, key=lambda k: k.encode("utf-8")) if candidates else None
    document = s3_xml.list_objects_v1_document(
        call.bucket, result, query, marker=marker, next_marker=next_marker
    )
    return _xml(document)


async def _delete_objects(call: _Call) -> Response:
    """DeleteObjects: up to 1000 keys, each authorised and answered on its own."""
    headers = {k.lower() for k in call.headers}
    checksummed = any(h.startswith("x-amz-checksum-") for h in headers) or "x-amz-trailer" in headers
    if "content-md5" not in headers and not checksummed:
        raise S3Error(
            400,
            "InvalidRequest",
            "Missing required header for this request: Content-MD5 (or an x-amz-checksum-* header)",
        )
    try:
        keys, quiet = s3_xml.parse_delete(call.body)
    except s3_xml.MalformedXML as error:
        raise S3Error(400, "MalformedXML", str(error)) from None
    if not await run_in_threadpool(call.ctx.blobs.bucket_exists, call.bucket):
        raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=call.bucket)
    deleted: list[str] = []
    errors: list[tuple[str, str, str]] = []
    for key in keys:
        try:
            _authorize(call.ctx, call.principal, "s3:DeleteObject")
            _check_key(key)
            await run_in_threadpool(call.ctx.blobs.delete, call.bucket, key)
        except S3Error as error:
            errors.append((key, error.code, error.message))
            continue
        except BlobError as error:
            mapped = from_blob_error(error)
            errors.append((key, mapped.code, mapped.message))
            continue
        deleted.append(key)
    document = s3_xml.delete_result_document([] if quiet else deleted, errors, _url_encoding(call.params))
    return _xml(document)


async def _list_multipart_uploads(call: _Call) -> Response:
    params = call.params
    max_uploads = _max_param(params, "max-uploads")
    url_encode = _url_encoding(params)
    prefix = params.get("prefix", "")
    delimiter = params.get("delimiter") or None
    key_marker = params.get("key-marker", "")
    id_marker = params.get("upload-id-marker", "") if key_marker else ""
    uploads = await run_in_threadpool(call.ctx.blobs.list_multipart_uploads, call.bucket)
    marker_bytes = key_marker.encode("utf-8")
    chosen: list[UploadInfo] = []
    prefixes: list[str] = []
    truncated = False
    past_id_marker = False
    for upload in uploads:
        if not upload.key.startswith(prefix):
            continue
        key_bytes = upload.key.encode("utf-8")
        if key_bytes < marker_bytes:
            continue
        # At the key marker itself: only with an upload-id-marker, the uploads initiated after it.
        if key_marker and key_bytes == marker_bytes and (not id_marker or not past_id_marker):
            past_id_marker = past_id_marker or upload.upload_id == id_marker
            continue
        common = common_prefix(upload.key, prefix, delimiter)
        if common is not None and (common in prefixes or common == key_marker):
            continue
        if len(chosen) + len(prefixes) >= max_uploads:
            truncated = True
            break
        if common is not None:
            prefixes.append(common)
        else:
            chosen.append(upload)
    page = s3_xml.UploadListing(
        chosen, prefixes, truncated, prefix, delimiter, key_marker, id_marker, max_uploads
    )
    owner = call.ctx.settings.account_id
    return _xml(s3_xml.list_uploads_document(call.bucket, page, owner, url_encode))


# --------------------------------------------------------------- objects


async def _put_object(call: _Call) -> Response:
    _check_key(call.key)
    payload = call.payload
    assert payload is not None  # _handle spools every PutObject body
    info = await run_in_threadpool(
        call.ctx.blobs.put,
        call.bucket,
        call.key,
        payload,
        call.headers.get("content-type"),
        _user_metadata(call.headers),
        write_condition(call.headers),
    )
    return Response(status_code=200, headers={"ETag": info.etag})


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


def _check_conditions(call: _Call, info: ObjectInfo) -> Response | None:
    """A 304 answer, a raised 412, or None when the GET/HEAD may proceed."""
    failed = failed_condition(call.headers, info)
    if failed is None:
        return None
    status, condition = failed
    if status == 412:
        raise precondition_failed(condition)
    headers = {k: v for k, v in _object_headers(info).items() if k in ("ETag", "Last-Modified")}
    return Response(status_code=304, headers=headers)


async def _get_object(call: _Call) -> Response:
    # Bytes and headers from one open: a concurrent overwrite cannot pair one write's ETag
    # with another's bytes.
    info, handle = await run_in_threadpool(call.ctx.blobs.open_object, call.bucket, call.key)
    try:
        return _object_response(call, info, handle)
    except BaseException:
        handle.close()
        raise


def _object_response(call: _Call, info: ObjectInfo, handle: BinaryIO) -> Response:
    if (not_modified := _check_conditions(call, info)) is not None:
        handle.close()
        return not_modified
    status, first, length, headers = _range_and_headers(call, info)
    return StreamingResponse(_stream(handle, first, length), status_code=status, headers=headers)


def _range_and_headers(call: _Call, info: ObjectInfo) -> tuple[int, int, int, dict[str, str]]:
    """(status, first byte, length, headers) of a GET or HEAD: one ``Range`` is served as 206."""
    byte_range = parse_range(call.headers.get("range"), info.size)
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
    return status, first, length, headers


async def _head_object(call: _Call) -> Response:
    info = await run_in_threadpool(call.ctx.blobs.head, call.bucket, call.key)
    if (not_modified := _check_conditions(call, info)) is not None:
        return not_modified
    status, _, _, headers = _range_and_headers(call, info)
    return Response(status_code=status, headers=headers)


async def _delete_object(call: _Call) -> Response:
    await run_in_threadpool(call.ctx.blobs.delete, call.bucket, call.key)
    return Response(status_code=204)


def _copy_source(call: _Call) -> tuple[str, str]:
    source = _decode(call.headers["x-amz-copy-source"]).partition("?")[0].lstrip("/")
    bucket, _, key = source.partition("/")
    if not bucket or not key:
        raise S3Error(400, "InvalidArgument", "Copy Source must mention the source bucket and key")
    if bucket == call.ctx.settings.internal_bucket:
        raise access_denied()
    # Copying reads the source: the caller needs s3:GetObject as for a download.
    _authorize(call.ctx, call.principal, "s3:GetObject")
    return bucket, key


def _check_copy_conditions(call: _Call, source: ObjectInfo) -> None:
    """x-amz-copy-source-if-*: every failure is 412 for a copy (never 304)."""
    failed = failed_condition(call.headers, source, prefix="x-amz-copy-source-")
    if failed is not None:
        raise precondition_failed("x-amz-copy-source-" + failed[1])


async def _copy_object(call: _Call) -> Response:
    _check_key(call.key)
    src_bucket, src_key = _copy_source(call)
    blobs = call.ctx.blobs
    directive = call.headers.get("x-amz-metadata-directive", "COPY")
    if directive not in ("COPY", "REPLACE"):
        raise S3Error(400, "InvalidArgument", f"Unknown metadata directive: {directive}")
    replace = directive == "REPLACE"
    _check_copy_conditions(call, await run_in_threadpool(blobs.head, src_bucket, src_key))
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
    part_number = _part_number(call)
    payload = call.payload
    assert payload is not None  # _handle spools every UploadPart body
    etag = await run_in_threadpool(
        call.ctx.blobs.upload_part, call.bucket, call.key, call.params["uploadId"], part_number, payload
    )
    return Response(status_code=200, headers={"ETag": etag})


def _part_number(call: _Call) -> int:
    try:
        part_number = int(call.params.get("partNumber", ""))
    except ValueError:
        part_number = 0
    if not 1 <= part_number <= 10_000:
        raise S3Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000")
    return part_number


def _copy_part(call: _Call, src_bucket: str, src_key: str, part_number: int) -> tuple[str, datetime]:
    blobs = call.ctx.blobs
    source, handle = blobs.open_object(src_bucket, src_key)
    with handle:
        _check_copy_conditions(call, source)
        first, length = copy_range(call.headers.get("x-amz-copy-source-range"), source.size)
        # The range goes through a spool file: a seekable body of known length, as every store
        # (a remote S3 one too) wants for a part; memory stays at one chunk.
        with spool_file(call.ctx.settings.data_dir / "tmp") as part:
            for chunk in _stream(handle, first, length):
                part.write(chunk)
            part.seek(0)
            etag = blobs.upload_part(call.bucket, call.key, call.params["uploadId"], part_number, part)
    return etag, datetime.now(UTC)


async def _upload_part_copy(call: _Call) -> Response:
    part_number = _part_number(call)
    src_bucket, src_key = _copy_source(call)
    etag, modified = await run_in_threadpool(_copy_part, call, src_bucket, src_key, part_number)
    return _xml(s3_xml.copy_part_result_document(etag, modified))


async def _list_parts(call: _Call) -> Response:
    max_parts = _max_param(call.params, "max-parts")
    try:
        marker = int(call.params.get("part-number-marker", "0") or 0)
    except ValueError:
        raise S3Error(400, "InvalidArgument", "Provided part-number-marker is not an integer") from None
    upload_id = call.params["uploadId"]
    parts = await run_in_threadpool(call.ctx.blobs.list_parts, call.bucket, call.key, upload_id)
    after = [part for part in parts if part.part_number > marker]
    document = s3_xml.list_parts_document(
        call.bucket,
        call.key,
        upload_id,
        after[:max_parts],
        marker=marker,
        max_parts=max_parts,
        truncated=len(after) > max_parts,
        owner_id=call.ctx.settings.account_id,
    )
    return _xml(document)


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
    "ListObjects": _list_objects_v1,
    "DeleteObjects": _delete_objects,
    "ListMultipartUploads": _list_multipart_uploads,
    "ListParts": _list_parts,
    "UploadPartCopy": _upload_part_copy,
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
