"""CRC-32C / CRC-64/NVME, checksum headers, and aws-chunked framing."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import zlib

import pytest
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

from openlookout.api.s3_checksums import (
    ChecksumMismatch,
    InvalidChecksumHeader,
    crc32c,
    crc64nvme,
    verify_checksums,
)
from openlookout.api.s3_chunked import ChunkedEncodingError, decode_aws_chunked


def test_published_check_values() -> None:
    assert crc32c().compute(b"123456789") == 0xE3069283
    assert crc64nvme().compute(b"123456789") == 0xAE8B14860A799888
    assert crc32c().compute(b"") == 0


@pytest.mark.parametrize("size", [1, 255, 256, 16383, 16384, 100_003])
def test_vectorised_path_matches_bytewise(size: int) -> None:
    data = os.urandom(size)
    for crc in (crc32c(), crc64nvme()):
        assert crc.compute(data) == crc._update_scalar(crc.mask, data) ^ crc.mask


def test_verify_checksums() -> None:
    body = b"some object"
    good = {
        "content-md5": base64.b64encode(hashlib.md5(body).digest()).decode(),
        "x-amz-checksum-crc32": base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode(),
        "x-amz-checksum-crc32c": base64.b64encode(crc32c().digest(body)).decode(),
        "x-amz-checksum-sha256": base64.b64encode(hashlib.sha256(body).digest()).decode(),
        "x-amz-checksum-mode": "ENABLED",
    }
    verify_checksums(good, body)
    for name in [n for n in good if n != "x-amz-checksum-mode"]:
        with pytest.raises(ChecksumMismatch):
            verify_checksums({name: good[name]}, body + b"!")
    with pytest.raises(InvalidChecksumHeader):
        verify_checksums({"content-md5": "not base64!"}, body)
    with pytest.raises(InvalidChecksumHeader):
        verify_checksums({"x-amz-checksum-md4": "AAAA"}, body)


def test_decode_botocore_aws_chunked_stream() -> None:
    payload = os.urandom(2_500_000)
    wrapper = AwsChunkedWrapper(
        io.BytesIO(payload), Crc32Checksum, "x-amz-checksum-crc32", chunk_size=1 << 20
    )
    decoded = decode_aws_chunked(wrapper.read())
    assert decoded.payload == payload
    verify_checksums(decoded.trailers, decoded.payload)
    assert set(decoded.trailers) == {"x-amz-checksum-crc32"}


def test_signed_chunk_extensions_and_errors() -> None:
    body = b"5;chunk-signature=abc\r\nhello\r\n0;chunk-signature=def\r\n\r\n"
    decoded = decode_aws_chunked(body)
    assert decoded.payload == b"hello" and decoded.chunk_signatures == ["abc", "def"]
    for bad in (
        b"zz\r\nhello\r\n0\r\n\r\n",
        b"9\r\nhello\r\n0\r\n\r\n",
        b"5\r\nhello",
        b"0\r\nbroken\r\n\r\n",
    ):
        with pytest.raises(ChunkedEncodingError):
            decode_aws_chunked(bad)
