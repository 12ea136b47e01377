"""S3 XML documents: response bodies, error bodies and the CompleteMultipartUpload request."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from openlookout.blobs.base import BucketInfo, ListResult, ObjectInfo, PartInfo, UploadInfo

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# The request bodies we parse are tiny; anything bigger is refused unparsed.
MAX_XML_BODY = 1 << 20
MAX_DELETE_KEYS = 1000


class MalformedXML(Exception):
    pass


def iso_time(value: datetime) -> str:
    """S3's XML timestamp format, e.g. 2024-01-02T03:04:05.000Z."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _document(root: ET.Element) -> bytes:
    return _DECLARATION + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def _add(parent: ET.Element, tag: str, text: str | int | None = None) -> ET.Element:
    child = ET.SubElement(parent, tag)
    if text is not None:
        child.text = str(text)
    return child


def error_document(code: str, message: str, request_id: str, extra: dict[str, str] | None = None) -> bytes:
    root = ET.Element("Error")
    _add(root, "Code", code)
    _add(root, "Message", message)
    for name, value in (extra or {}).items():
        _add(root, name, value)
    _add(root, "RequestId", request_id)
    return _document(root)


def list_buckets_document(buckets: list[BucketInfo], owner_id: str) -> bytes:
    root = ET.Element("ListAllMyBucketsResult", xmlns=S3_NS)
    owner = _add(root, "Owner")
    _add(owner, "ID", owner_id)
    _add(owner, "DisplayName", owner_id)
    container = _add(root, "Buckets")
    for bucket in buckets:
        entry = _add(container, "Bucket")
        _add(entry, "Name", bucket.name)
        _add(entry, "CreationDate", iso_time(bucket.created_at))
    return _document(root)


def location_document(region: str) -> bytes:
    root = ET.Element("LocationConstraint", xmlns=S3_NS)
    # us-east-1 is reported as an empty constraint, as S3 does.
    if region != "us-east-1":
        root.text = region
    return _document(root)


def _encoder(url_encode: bool) -> Callable[[str], str]:
    # botocore asks for encoding-type=url so keys with XML-hostile characters survive.
    return (lambda value: quote(value, safe="/")) if url_encode else (lambda value: value)


def _add_listing(root: ET.Element, result: ListResult, enc: Callable[[str], str]) -> None:
    for obj in result.objects:
        entry = _add(root, "Contents")
        _add(entry, "Key", enc(obj.key))
        _add(entry, "LastModified", iso_time(obj.last_modified))
        _add(entry, "ETag", obj.etag)
        _add(entry, "Size", obj.size)
        _add(entry, "StorageClass", "STANDARD")
    for common in result.common_prefixes:
        _add(_add(root, "CommonPrefixes"), "Prefix", enc(common))


@dataclass(frozen=True)
class ListQuery:
    """The parameters ListObjects and ListObjectsV2 share."""

    prefix: str
    delimiter: str | None
    max_keys: int
    url_encode: bool


def _list_root(bucket: str, query: ListQuery) -> tuple[ET.Element, Callable[[str], str]]:
    enc = _encoder(query.url_encode)
    root = ET.Element("ListBucketResult", xmlns=S3_NS)
    _add(root, "Name", bucket)
    _add(root, "Prefix", enc(query.prefix))
    return root, enc


def _list_tail(root: ET.Element, query: ListQuery, enc: Callable[[str], str]) -> None:
    _add(root, "MaxKeys", query.max_keys)
    if query.delimiter:
        _add(root, "Delimiter", enc(query.delimiter))
    if query.url_encode:
        _add(root, "EncodingType", "url")


def list_objects_v1_document(
    bucket: str, result: ListResult, query: ListQuery, *, marker: str, next_marker: str | None
) -> bytes:
    root, enc = _list_root(bucket, query)
    _add(root, "Marker", enc(marker))
    if next_marker is not None:
        _add(root, "NextMarker", enc(next_marker))
    _list_tail(root, query, enc)
    _add(root, "IsTruncated", "true" if result.is_truncated else "false")
    _add_listing(root, result, enc)
    return _document(root)


def list_objects_v2_document(
    bucket: str, result: ListResult, query: ListQuery, *, continuation: str | None, start_after: str | None
) -> bytes:
    root, enc = _list_root(bucket, query)
    _list_tail(root, query, enc)
    _add(root, "KeyCount", len(result.objects) + len(result.common_prefixes))
    _add(root, "IsTruncated", "true" if result.is_truncated else "false")
    if continuation:
        _add(root, "ContinuationToken", continuation)
    if result.next_continuation:
        _add(root, "NextContinuationToken", result.next_continuation)
    if start_after:
        _add(root, "StartAfter", enc(start_after))
    _add_listing(root, result, enc)
    return _document(root)


def copy_result_document(info: ObjectInfo) -> bytes:
    root = ET.Element("CopyObjectResult", xmlns=S3_NS)
    _add(root, "LastModified", iso_time(info.last_modified))
    _add(root, "ETag", info.etag)
    return _document(root)


def copy_part_result_document(etag: str, last_modified: datetime) -> bytes:
    root = ET.Element("CopyPartResult", xmlns=S3_NS)
    _add(root, "LastModified", iso_time(last_modified))
    _add(root, "ETag", etag)
    return _document(root)


def delete_result_document(deleted: list[str], errors: list[tuple[str, str, str]], url_encode: bool) -> bytes:
    """DeleteObjects' answer: the keys deleted, then (key, code, message) of each refused one."""
    enc = _encoder(url_encode)
    root = ET.Element("DeleteResult", xmlns=S3_NS)
    for key in deleted:
        _add(_add(root, "Deleted"), "Key", enc(key))
    for key, code, message in errors:
        entry = _add(root, "Error")
        _add(entry, "Key", enc(key))
        _add(entry, "Code", code)
        _add(entry, "Message", message)
    return _document(root)


def _owner(parent: ET.Element, tag: str, owner_id: str) -> None:
    owner = _add(parent, tag)
    _add(owner, "ID", owner_id)
    _add(owner, "DisplayName", owner_id)


def list_parts_document(
    bucket: str,
    key: str,
    upload_id: str,
    parts: list[PartInfo],
    *,
    marker: int,
    max_parts: int,
    truncated: bool,
    owner_id: str,
) -> bytes:
    root = ET.Element("ListPartsResult", xmlns=S3_NS)
    _add(root, "Bucket", bucket)
    _add(root, "Key", key)
    _add(root, "UploadId", upload_id)
    _owner(root, "Initiator", owner_id)
    _owner(root, "Owner", owner_id)
    _add(root, "StorageClass", "STANDARD")
    _add(root, "PartNumberMarker", marker)
    _add(root, "NextPartNumberMarker", parts[-1].part_number if parts else marker)
    _add(root, "MaxParts", max_parts)
    _add(root, "IsTruncated", "true" if truncated else "false")
    for part in parts:
        entry = _add(root, "Part")
        _add(entry, "PartNumber", part.part_number)
        _add(entry, "LastModified", iso_time(part.last_modified))
        _add(entry, "ETag", part.etag)
        _add(entry, "Size", part.size)
    return _document(root)


@dataclass(frozen=True)
class UploadListing:
    """One page of ListMultipartUploads, already filtered and rolled up."""

    uploads: list[UploadInfo]
    common_prefixes: list[str]
    truncated: bool
    prefix: str
    delimiter: str | None
    key_marker: str
    upload_id_marker: str
    max_uploads: int


def list_uploads_document(bucket: str, page: UploadListing, owner_id: str, url_encode: bool) -> bytes:
    enc = _encoder(url_encode)
    root = ET.Element("ListMultipartUploadsResult", xmlns=S3_NS)
    _add(root, "Bucket", bucket)
    _add(root, "KeyMarker", enc(page.key_marker))
    _add(root, "UploadIdMarker", page.upload_id_marker)
    if page.truncated:
        last = page.uploads[-1] if page.uploads else None
        last_prefix = page.common_prefixes[-1] if page.common_prefixes else None
        if last is not None and (last_prefix is None or last.key.encode() > last_prefix.encode()):
            _add(root, "NextKeyMarker", enc(last.key))
            _add(root, "NextUploadIdMarker", last.upload_id)
        elif last_prefix is not None:
            _add(root, "NextKeyMarker", enc(last_prefix))
    _add(root, "Prefix", enc(page.prefix))
    if page.delimiter:
        _add(root, "Delimiter", enc(page.delimiter))
    _add(root, "MaxUploads", page.max_uploads)
    if url_encode:
        _add(root, "EncodingType", "url")
    _add(root, "IsTruncated", "true" if page.truncated else "false")
    for upload in page.uploads:
        entry = _add(root, "Upload")
        _add(entry, "Key", enc(upload.key))
        _add(entry, "UploadId", upload.upload_id)
        _owner(entry, "Initiator", owner_id)
        _owner(entry, "Owner", owner_id)
        _add(entry, "StorageClass", "STANDARD")
        _add(entry, "Initiated", iso_time(upload.initiated))
    for common in page.common_prefixes:
        _add(_add(root, "CommonPrefixes"), "Prefix", enc(common))
    return _document(root)


def initiate_upload_document(bucket: str, key: str, upload_id: str) -> bytes:
    root = ET.Element("InitiateMultipartUploadResult", xmlns=S3_NS)
    _add(root, "Bucket", bucket)
    _add(root, "Key", key)
    _add(root, "UploadId", upload_id)
    return _document(root)


def complete_upload_document(location: str, info: ObjectInfo) -> bytes:
    root = ET.Element("CompleteMultipartUploadResult", xmlns=S3_NS)
    _add(root, "Location", location)
    _add(root, "Bucket", info.bucket)
    _add(root, "Key", info.key)
    _add(root, "ETag", info.etag)
    return _document(root)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse(body: bytes, root_tag: str) -> ET.Element:
    if len(body) > MAX_XML_BODY:
        raise MalformedXML("The XML you provided was too large.")
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise MalformedXML(
            "The XML you provided was not well-formed or did not validate against our published schema."
        ) from None
    if _local(root.tag) != root_tag:
        raise MalformedXML(f"Expected a {root_tag} document.")
    return root


def parse_delete(body: bytes) -> tuple[list[str], bool]:
    """``<Delete><Quiet/><Object><Key/></Object>...`` → (keys, quiet); 1 to 1000 objects."""
    root = _parse(body, "Delete")
    keys: list[str] = []
    quiet = False
    for child in root:
        name = _local(child.tag)
        if name == "Quiet":
            quiet = (child.text or "").strip().lower() == "true"
        elif name == "Object":
            fields = {_local(c.tag): c.text or "" for c in child}
            if "Key" not in fields:
                raise MalformedXML("Each Object needs a Key.")
            keys.append(fields["Key"])
    if not 1 <= len(keys) <= MAX_DELETE_KEYS:
        raise MalformedXML(
            f"A Delete document names 1 to {MAX_DELETE_KEYS} objects; this one names {len(keys)}."
        )
    return keys, quiet


def parse_complete_upload(body: bytes) -> list[tuple[int, str]]:
    """``<CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>...`` → [(number, etag)]."""
    root = _parse(body, "CompleteMultipartUpload")
    parts = []
    for part in root:
        if _local(part.tag) != "Part":
            continue
        fields = {_local(child.tag): (child.text or "").strip() for child in part}
        try:
            parts.append((int(fields["PartNumber"]), fields["ETag"]))
        except (KeyError, ValueError):
            raise MalformedXML("Each Part needs a numeric PartNumber and an ETag.") from None
    return parts
