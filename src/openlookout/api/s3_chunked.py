"""Decoding of ``Content-Encoding: aws-chunked`` request bodies.

Layout: ``<hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n`` repeated, a
zero-size chunk, then optional trailer lines ``name:value\\r\\n`` and a final
``\\r\\n``. Trailers carry the ``x-amz-checksum-*`` value announced by the
``x-amz-trailer`` header.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256


class ChunkedEncodingError(Exception):
    """The body is not valid aws-chunked framing (S3: IncompleteBody / InvalidRequest)."""


@dataclass(frozen=True)
class DecodedBody:
    payload: bytes
    trailers: dict[str, str]  # lower-case names
    chunk_signatures: list[str]  # one per chunk, final empty chunk included, when signed
    chunk_hashes: list[str]  # hex SHA-256 of each chunk's data, in the same order


def decode_aws_chunked(body: bytes) -> DecodedBody:
    payload = bytearray()
    signatures: list[str] = []
    hashes: list[str] = []
    pos = 0
    while True:
        line_end = body.find(b"\r\n", pos)
        if line_end < 0:
            raise ChunkedEncodingError("A chunk header is not terminated by CRLF.")
        header = body[pos:line_end].decode("ascii", errors="replace")
        size_text, _, extension = header.partition(";")
        try:
            size = int(size_text.strip(), 16)
        except ValueError:
            raise ChunkedEncodingError(f"Invalid chunk size {size_text!r}.") from None
        if extension.startswith("chunk-signature="):
            signatures.append(extension.removeprefix("chunk-signature="))
        pos = line_end + 2
        if size == 0:
            hashes.append(sha256(b"").hexdigest())
            break
        if pos + size + 2 > len(body) or body[pos + size : pos + size + 2] != b"\r\n":
            raise ChunkedEncodingError("A chunk is shorter than its declared size.")
        chunk = body[pos : pos + size]
        hashes.append(sha256(chunk).hexdigest())
        payload += chunk
        pos += size + 2
    trailers = _parse_trailers(body[pos:])
    if signatures and len(signatures) != len(hashes):
        raise ChunkedEncodingError("Some chunks carry a chunk-signature and others do not.")
    return DecodedBody(bytes(payload), trailers, signatures, hashes)


def _parse_trailers(rest: bytes) -> dict[str, str]:
    trailers: dict[str, str] = {}
    for raw_line in rest.split(b"\r\n"):
        line = raw_line.decode("ascii", errors="replace").strip()
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ChunkedEncodingError(f"Malformed trailer line {line!r}.")
        trailers[name.strip().lower()] = value.strip()
    return trailers
