"""CRC-32C / CRC-64/NVME, checksum headers, and aws-chunked framing."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import zlib
from dataclasses import dataclass

import pytest
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

from openlookout.api.s3_checksums import (
    ChecksumMismatch,
    InvalidChecksumHeader,
    PayloadDigests,
    crc32c,
    crc64nvme,
    verify_checksums,
)
from openlookout.api.s3_chunked import AwsChunkedDecoder, ChunkedEncodingError


@dataclass(frozen=True)
class DecodedBody:
    payload: bytes
    trailers: dict[str, str]  # lower-case names
    chunk_signatures: list[str]  # one per chunk, final empty chunk included, when signed
    chunk_hashes: list[str]  # hex SHA-256 of each chunk's data, in the same order


def decode_aws_chunked(body: bytes) -> DecodedBody:
    """A whole body at once (the server feeds the decoder as the body arrives)."""
    decoder = AwsChunkedDecoder()
    payload = b"".join(decoder.feed(body))
    trailers = decoder.finish()
    return DecodedBody(payload, trailers, decoder.chunk_signatures, decoder.chunk_hashes)


def check(headers: dict[str, str], *pieces: bytes) -> None:
    digests = PayloadDigests(headers)
    for piece in pieces:
        digests.update(piece)
    verify_checksums(headers, digests)


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
    check(good, body)
    check(good, body[:3], body[3:])  # streamed in pieces
    for name in [n for n in good if n != "x-amz-checksum-mode"]:
        with pytest.raises(ChecksumMismatch):
            check({name: good[name]}, body + b"!")
    with pytest.raises(InvalidChecksumHeader):
        check({"content-md5": "not base64!"}, body)
    with pytest.raises(InvalidChecksumHeader):
        check({"x-amz-checksum-md4": "AAAA"}, body)


@pytest.mark.parametrize("cut", [1, 255, 16384, 50_000])
def test_crc_advance_over_pieces_matches_whole(cut: int) -> None:
    data = os.urandom(100_003)
    for crc in (crc32c(), crc64nvme()):
        reg = crc.advance(crc.advance(crc.mask, data[:cut]), data[cut:])
        assert reg ^ crc.mask == crc.compute(data)


def test_decoder_fed_in_small_pieces_matches_whole() -> None:
    payload = os.urandom(300_000)
    wrapper = AwsChunkedWrapper(io.BytesIO(payload), Crc32Checksum, "x-amz-checksum-crc32", chunk_size=65536)
    body = wrapper.read()
    decoder = AwsChunkedDecoder()
    out = b"".join(b"".join(decoder.feed(body[i : i + 7777])) for i in range(0, len(body), 7777))
    trailers = decoder.finish()
    assert out == payload
    assert trailers == decode_aws_chunked(body).trailers
    check({"x-amz-trailer": "x-amz-checksum-crc32", **trailers}, out)


def test_decode_botocore_aws_chunked_stream() -> None:
    payload = os.urandom(2_500_000)
    wrapper = AwsChunkedWrapper(
        io.BytesIO(payload), Crc32Checksum, "x-amz-checksum-crc32", chunk_size=1 << 20
    )
    decoded = decode_aws_chunked(wrapper.read())
    assert decoded.payload == payload
    check({"x-amz-trailer": "x-amz-checksum-crc32", **decoded.trailers}, decoded.payload)
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
