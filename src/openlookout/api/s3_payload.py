"""S3 request payloads, verified as they stream in (issue 12: never held whole in memory).

The request was authenticated from its headers before a byte of the body was read (the
signed ``x-amz-content-sha256`` stands for the body). ``PayloadReceiver`` is then fed the raw
body piece by piece: it hashes it against that declared SHA-256, decodes ``aws-chunked``
framing, computes the checksums the headers ask for, and writes the payload to a sink. Object
bodies (PutObject, UploadPart) go to a temporary file that spills to disk past 1 MiB; only
after ``finish`` verified everything is that file handed to the object store.
"""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from starlette.requests import Request

from openlookout.api.auth import Authenticator, AuthError, check_payload_hash
from openlookout.api.s3_checksums import (
    ChecksumMismatch,
    InvalidChecksumHeader,
    PayloadDigests,
    verify_checksums,
)
from openlookout.api.s3_chunked import AwsChunkedDecoder, ChunkedEncodingError
from openlookout.api.s3_errors import S3Error, from_auth_error, not_implemented

# S3's largest single PUT (object or part): 5 GiB.
MAX_OBJECT_PUT = 5 << 30
# Any other S3 request body (CompleteMultipartUpload of 10,000 parts with checksums, Delete of
# 1,000 keys, CreateBucketConfiguration) fits well below this.
MAX_XML_BODY = 2 << 20
_SPOOL_IN_MEMORY = 1 << 20
_SIGNED_STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
# Body framings we can authenticate: unsigned chunks (TLS or checksum-protected) or chained chunk signatures.
_STREAMING_MODES = frozenset({_SIGNED_STREAMING, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def entity_too_large(limit: int) -> S3Error:
    return S3Error(
        400,
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
        MaxSizeAllowed=str(limit),
    )


def message_too_long(limit: int) -> S3Error:
    return S3Error(400, "MaxMessageLengthExceeded", f"Your request was too big (the limit is {limit} bytes).")


class PayloadReceiver:
    """Verifies and decodes one request body fed in pieces; writes the payload to ``sink``."""

    def __init__(
        self,
        headers: Mapping[str, str],
        authenticator: Authenticator,
        sink: IO[bytes],
        limit: int,
        too_large: S3Error,
        check_checksums: bool = True,
    ) -> None:
        self.headers = {k.lower(): v for k, v in headers.items()}
        content_sha = self.headers.get("x-amz-content-sha256", "")
        if content_sha.startswith("STREAMING-") and content_sha not in _STREAMING_MODES:
            raise not_implemented(f"x-amz-content-sha256 {content_sha}")
        chunked = "aws-chunked" in self.headers.get("content-encoding", "") or content_sha.startswith(
            "STREAMING-"
        )
        self._decoder = AwsChunkedDecoder() if chunked else None
        self._raw_sha = hashlib.sha256() if _HEX_SHA256.fullmatch(content_sha) else None
        self._authenticator = authenticator
        self._sink = sink
        self._limit = limit
        self._too_large = too_large
        self._check_checksums = check_checksums
        try:
            self._digests = PayloadDigests(self.headers if check_checksums else {})
        except InvalidChecksumHeader as error:
            raise S3Error(400, "InvalidDigest", str(error)) from None
        self.size = 0

    def feed(self, raw: bytes) -> None:
        if self._raw_sha is not None:
            self._raw_sha.update(raw)
        try:
            pieces = self._decoder.feed(raw) if self._decoder is not None else [raw]
        except ChunkedEncodingError as error:
            raise S3Error(400, "IncompleteBody", str(error)) from None
        for piece in pieces:
            self.size += len(piece)
            if self.size > self._limit:
                raise self._too_large
            self._digests.update(piece)
            self._sink.write(piece)

    def finish(self) -> None:
        """Everything the headers promised, checked; S3Error for the first thing that fails."""
        if self._raw_sha is not None:
            try:
                check_payload_hash(self.headers, self._raw_sha.hexdigest())
            except AuthError as error:
                raise from_auth_error(error, presigned=False) from None
        trailers: dict[str, str] = {}
        if self._decoder is not None:
            try:
                trailers = self._decoder.finish()
            except ChunkedEncodingError as error:
                raise S3Error(400, "IncompleteBody", str(error)) from None
            if self.headers.get("x-amz-content-sha256") == _SIGNED_STREAMING:
                try:
                    self._authenticator.verify_chunk_signatures(
                        self.headers, self._decoder.chunk_signatures, self._decoder.chunk_hashes
                    )
                except AuthError as error:
                    raise from_auth_error(error, presigned=False) from None
            declared = self.headers.get("x-amz-decoded-content-length")
            if declared is not None and declared.isdigit() and int(declared) != self.size:
                raise S3Error(400, "IncompleteBody", "You did not provide the number of bytes specified.")
        if not self._check_checksums:
            return
        try:
            verify_checksums({**self.headers, **trailers}, self._digests)
        except ChecksumMismatch as error:
            raise S3Error(400, "BadDigest", str(error)) from None
        except InvalidChecksumHeader as error:
            raise S3Error(400, "InvalidDigest", str(error)) from None


def _declared_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


def spool_file(spool_dir: Path) -> IO[bytes]:
    """A temporary file that stays in memory up to 1 MiB, then moves to ``spool_dir``."""
    spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY, dir=str(spool_dir))


async def receive_object(request: Request, authenticator: Authenticator, spool_dir: Path) -> IO[bytes]:
    """A PutObject/UploadPart body, verified, in a temporary file positioned at its start."""
    declared = _declared_length(request.headers)
    if declared is not None and declared > MAX_OBJECT_PUT + (1 << 20):  # room for aws-chunked framing
        raise entity_too_large(MAX_OBJECT_PUT)
    spool = spool_file(spool_dir)
    try:
        too_large = entity_too_large(MAX_OBJECT_PUT)
        receiver = PayloadReceiver(request.headers, authenticator, spool, MAX_OBJECT_PUT, too_large)
        async for chunk in request.stream():
            receiver.feed(chunk)
        receiver.finish()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool


async def receive_small(request: Request, authenticator: Authenticator, check_checksums: bool) -> bytes:
    """Any other request body, at most MAX_XML_BODY bytes, verified and decoded."""
    declared = _declared_length(request.headers)
    if declared is not None and declared > MAX_XML_BODY:
        raise message_too_long(MAX_XML_BODY)
    sink = io.BytesIO()
    too_long = message_too_long(MAX_XML_BODY)
    receiver = PayloadReceiver(request.headers, authenticator, sink, MAX_XML_BODY, too_long, check_checksums)
    raw_seen = 0
    async for chunk in request.stream():
        raw_seen += len(chunk)
        if raw_seen > MAX_XML_BODY + (64 << 10):  # framing included
            raise too_long
        receiver.feed(chunk)
    receiver.finish()
    return sink.getvalue()
