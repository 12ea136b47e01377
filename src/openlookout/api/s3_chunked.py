"""Decoding of ``Content-Encoding: aws-chunked`` request bodies, incrementally.

Layout: ``<hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n`` repeated, a
zero-size chunk, then optional trailer lines ``name:value\\r\\n`` and a final
``\\r\\n``. Trailers carry the ``x-amz-checksum-*`` value announced by the
``x-amz-trailer`` header.

``AwsChunkedDecoder`` is fed the body as it arrives and hands back the payload
pieces, so an upload is never held whole in memory; only a chunk header line
(at most ``_MAX_LINE`` bytes) and the trailer section are buffered.
"""

from __future__ import annotations

from hashlib import sha256

_MAX_LINE = 4096  # a chunk header: hex size + ";chunk-signature=" + 64 hex, with room to spare
_MAX_TRAILERS = 16384


class ChunkedEncodingError(Exception):
    """The body is not valid aws-chunked framing (S3: IncompleteBody / InvalidRequest)."""


class AwsChunkedDecoder:
    """Feed raw body bytes; get payload bytes back; ``finish`` checks the end and parses trailers."""

    def __init__(self) -> None:
        self.chunk_signatures: list[str] = []
        self.chunk_hashes: list[str] = []
        self._buffer = bytearray()
        self._remaining = -1  # data bytes left in the current chunk; -1: expecting a header line
        self._chunk_hash = sha256()
        self._done = False  # the zero-size chunk was seen; what follows is trailers

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        pieces: list[bytes] = []
        while self._buffer and not self._done:
            if self._remaining < 0:
                line_end = self._buffer.find(b"\r\n")
                if line_end < 0:
                    if len(self._buffer) > _MAX_LINE:
                        raise ChunkedEncodingError("A chunk header is not terminated by CRLF.")
                    break
                self._start_chunk(bytes(self._buffer[:line_end]))
                del self._buffer[: line_end + 2]
            elif self._remaining > 0:
                take = bytes(self._buffer[: self._remaining])
                del self._buffer[: len(take)]
                self._remaining -= len(take)
                self._chunk_hash.update(take)
                pieces.append(take)
            else:  # the CRLF after a chunk's data
                if len(self._buffer) < 2:
                    break
                if self._buffer[:2] != b"\r\n":
                    raise ChunkedEncodingError("A chunk is shorter than its declared size.")
                del self._buffer[:2]
                self.chunk_hashes.append(self._chunk_hash.hexdigest())
                self._remaining = -1
        if self._done and len(self._buffer) > _MAX_TRAILERS:
            raise ChunkedEncodingError("The trailer section is too long.")
        return pieces

    def _start_chunk(self, line: bytes) -> None:
        header = line.decode("ascii", errors="replace")
        size_text, _, extension = header.partition(";")
        try:
            size = int(size_text.strip(), 16)
        except ValueError:
            raise ChunkedEncodingError(f"Invalid chunk size {size_text[:32]!r}.") from None
        if extension.startswith("chunk-signature="):
            self.chunk_signatures.append(extension.removeprefix("chunk-signature="))
        self._chunk_hash = sha256()
        if size == 0:
            self.chunk_hashes.append(self._chunk_hash.hexdigest())
            self._done = True
        self._remaining = size

    def finish(self) -> dict[str, str]:
        """The trailers (lower-case names); ChunkedEncodingError when the body ended early."""
        if not self._done:
            raise ChunkedEncodingError("A chunk is shorter than its declared size.")
        trailers = _parse_trailers(bytes(self._buffer))
        if self.chunk_signatures and len(self.chunk_signatures) != len(self.chunk_hashes):
            raise ChunkedEncodingError("Some chunks carry a chunk-signature and others do not.")
        return trailers


def _parse_trailers(rest: bytes) -> dict[str, str]:
    trailers: dict[str, str] = {}
    for raw_line in rest.split(b"\r\n"):
        line = raw_line.decode("ascii", errors="replace").strip()
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ChunkedEncodingError(f"Malformed trailer line {line[:64]!r}.")
        trailers[name.strip().lower()] = value.strip()
    return trailers
