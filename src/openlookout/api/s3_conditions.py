"""S3's conditional requests and byte ranges: If-Match and friends on GET/HEAD, copies and PUT."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from openlookout.api.s3_errors import S3Error, not_implemented
from openlookout.blobs.base import ObjectInfo, WriteCondition


def write_condition(headers: Mapping[str, str]) -> WriteCondition | None:
    """PutObject's If-None-Match (only ``*``, as S3) and If-Match."""
    if_none_match, if_match = headers.get("if-none-match"), headers.get("if-match")
    if if_none_match is None and if_match is None:
        return None
    if if_none_match is not None and if_none_match.strip() != "*":
        raise not_implemented("PutObject with an If-None-Match other than '*'")
    return WriteCondition(if_match=if_match, if_absent=if_none_match is not None)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
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


def _etag_matches(header: str, etag: str) -> bool:
    wanted = etag.strip('"')
    return any(tag.strip().removeprefix("W/").strip('"') in ("*", wanted) for tag in header.split(","))


def _not_after(header: str, moment: datetime) -> bool | None:
    """Whether ``moment`` (to the second) is not after an HTTP date; None when unparsable."""
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None  # S3 ignores a condition whose date it cannot read
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return moment.replace(microsecond=0) <= since


def failed_condition(
    headers: Mapping[str, str], info: ObjectInfo, prefix: str = ""
) -> tuple[int, str] | None:
    """(304 or 412, header) when a conditional header fails, in RFC 7232's order as S3 applies it.

    If-Match, when present, overrides If-Unmodified-Since; If-None-Match overrides If-Modified-Since.
    """
    get = {k.lower(): v for k, v in headers.items()}.get
    if_match, if_none_match = get(prefix + "if-match"), get(prefix + "if-none-match")
    if if_match is not None:
        if not _etag_matches(if_match, info.etag):
            return 412, "If-Match"
    elif (unmodified := get(prefix + "if-unmodified-since")) is not None and (
        _not_after(unmodified, info.last_modified) is False
    ):
        return 412, "If-Unmodified-Since"
    if if_none_match is not None:
        if _etag_matches(if_none_match, info.etag):
            return 304, "If-None-Match"
    elif (modified := get(prefix + "if-modified-since")) is not None and _not_after(
        modified, info.last_modified
    ):
        return 304, "If-Modified-Since"
    return None


def precondition_failed(condition: str) -> S3Error:
    return S3Error(
        412,
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        Condition=condition,
    )


def copy_range(header: str | None, size: int) -> tuple[int, int]:
    """(first byte, length) of ``x-amz-copy-source-range: bytes=first-last``; the whole object without one."""
    if header is None:
        return 0, size
    match = re.fullmatch(r"bytes=(\d+)-(\d+)", header.strip())
    if not match or int(match.group(2)) < int(match.group(1)):
        raise S3Error(
            400,
            "InvalidArgument",
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and "
            "last are the zero-based offsets of the first and last bytes to copy",
        )
    first, last = int(match.group(1)), int(match.group(2))
    if last >= size:
        raise S3Error(400, "InvalidRange", f"Range specified is not valid for source object of size: {size}")
    return first, last - first + 1
