"""S3 XML documents: response bodies, error bodies and the CompleteMultipartUpload request."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import quote

from openlookout.blobs.base import BucketInfo, ListResult, ObjectInfo

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# The request bodies we parse are tiny; anything bigger is refused unparsed.
MAX_XML_BODY = 1 << 20


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


def list_objects_v2_document(
    bucket: str,
    result: ListResult,
    *,
    prefix: str,
    delimiter: str | None,
    max_keys: int,
    url_encode: bool,
    continuation: str | None,
    start_after: str | None,
) -> bytes:
    def enc(value: str) -> str:
        # botocore asks for encoding-type=url so keys with XML-hostile characters survive.
        return quote(value, safe="/") if url_encode else value

    root = ET.Element("ListBucketResult", xmlns=S3_NS)
    _add(root, "Name", bucket)
    _add(root, "Prefix", enc(prefix))
    if delimiter:
        _add(root, "Delimiter", enc(delimiter))
    _add(root, "MaxKeys", max_keys)
    if url_encode:
        _add(root, "EncodingType", "url")
    _add(root, "KeyCount", len(result.objects) + len(result.common_prefixes))
    _add(root, "IsTruncated", "true" if result.is_truncated else "false")
    if continuation:
        _add(root, "ContinuationToken", continuation)
    if result.next_continuation:
        _add(root, "NextContinuationToken", result.next_continuation)
    if start_after:
        _add(root, "StartAfter", enc(start_after))
    for obj in result.objects:
        entry = _add(root, "Contents")
        _add(entry, "Key", enc(obj.key))
        _add(entry, "LastModified", iso_time(obj.last_modified))
        _add(entry, "ETag", obj.etag)
        _add(entry, "Size", obj.size)
        _add(entry, "StorageClass", "STANDARD")
    for common in result.common_prefixes:
        _add(_add(root, "CommonPrefixes"), "Prefix", enc(common))
    return _document(root)


def copy_result_document(info: ObjectInfo) -> bytes:
    root = ET.Element("CopyObjectResult", xmlns=S3_NS)
    _add(root, "LastModified", iso_time(info.last_modified))
    _add(root, "ETag", info.etag)
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


def parse_complete_upload(body: bytes) -> list[tuple[int, str]]:
    """``<CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>...`` → [(number, etag)]."""
    if len(body) > MAX_XML_BODY:
        raise MalformedXML("The XML you provided was too large.")
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise MalformedXML("The XML you provided was not well-formed.") from None
    if _local(root.tag) != "CompleteMultipartUpload":
        raise MalformedXML("Expected a CompleteMultipartUpload document.")
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
