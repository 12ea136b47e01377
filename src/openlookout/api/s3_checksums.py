"""Request-body checksums S3 clients send: Content-MD5 and x-amz-checksum-*.

CRC32 comes from zlib. CRC32C and CRC64NVME have no standard-library
implementation, and botocore only computes them with the optional awscrt
package, so they are written here: a table-driven reflected CRC that runs
many equal-sized blocks in lock-step with numpy, then folds the block CRCs
together using the linearity of CRCs (shifting a register past n zero bytes
is a linear map, precomputed as four byte tables).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np

_BLOCK = 256  # bytes per lock-step lane; many lanes amortise numpy's per-call cost
_MIN_VECTOR = 1 << 14  # below this a plain loop is faster


class ChecksumMismatch(Exception):
    """The body does not match a checksum header (S3: BadDigest)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"The {name} you specified did not match the calculated checksum.")
        self.name = name


class InvalidChecksumHeader(Exception):
    """A checksum header is not valid base64 of the right length (S3: InvalidDigest / InvalidRequest)."""


class ReflectedCrc:
    """A reflected CRC with all-ones init and final xor (CRC-32C, CRC-64/NVME)."""

    def __init__(self, width: int, poly_reflected: int) -> None:
        self.width = width
        self.mask = (1 << width) - 1
        self.dtype: type[np.unsignedinteger[Any]] = np.uint32 if width == 32 else np.uint64
        table = []
        for byte in range(256):
            reg = byte
            for _ in range(8):
                reg = (reg >> 1) ^ poly_reflected if reg & 1 else reg >> 1
            table.append(reg)
        self.table = table
        self.np_table = np.array(table, dtype=self.dtype)
        self._shift_tables = self._zero_shift_tables(_BLOCK)

    def _update_scalar(self, reg: int, data: bytes | memoryview) -> int:
        table = self.table
        for byte in data:
            reg = table[(reg ^ byte) & 0xFF] ^ (reg >> 8)
        return reg

    def _zero_shift_tables(self, length: int) -> list[list[int]]:
        """Byte tables of the linear map 'advance the register over `length` zero bytes'."""
        zeros = bytes(length)
        basis = [self._update_scalar(1 << bit, zeros) for bit in range(self.width)]
        tables = []
        for byte_index in range(self.width // 8):
            table = []
            for value in range(256):
                acc = 0
                for bit in range(8):
                    if value >> bit & 1:
                        acc ^= basis[byte_index * 8 + bit]
                table.append(acc)
            tables.append(table)
        return tables

    def _shift(self, reg: int) -> int:
        out = 0
        for index, table in enumerate(self._shift_tables):
            out ^= table[(reg >> (8 * index)) & 0xFF]
        return out

    def compute(self, data: bytes) -> int:
        return self.advance(self.mask, data) ^ self.mask

    def advance(self, reg: int, data: bytes | memoryview) -> int:
        """The register after ``data``, from ``reg`` (no final xor): CRCs of streamed bodies."""
        view = memoryview(data)
        if len(view) < _MIN_VECTOR:
            return self._update_scalar(reg, view)
        lanes = len(view) // _BLOCK
        body = np.frombuffer(view[: lanes * _BLOCK], dtype=np.uint8).reshape(lanes, _BLOCK)
        columns = np.ascontiguousarray(body.T).astype(self.dtype)
        regs = np.zeros(lanes, dtype=self.dtype)
        regs[0] = reg  # only the first lane carries the initial value
        eight = self.dtype(8)
        low = self.dtype(0xFF)
        for column in columns:
            regs = self.np_table[(regs ^ column) & low] ^ (regs >> eight)
        reg = 0
        for lane_reg in regs.tolist():
            reg = self._shift(reg) ^ lane_reg
        return self._update_scalar(reg, view[lanes * _BLOCK :])

    def digest(self, data: bytes) -> bytes:
        return self.compute(data).to_bytes(self.width // 8, "big")


@cache
def crc32c() -> ReflectedCrc:
    return ReflectedCrc(32, 0x82F63B78)


@cache
def crc64nvme() -> ReflectedCrc:
    return ReflectedCrc(64, 0x9A6C9329AC4BC9B5)


class _Crc:
    """hashlib-style incremental CRC (update/digest)."""

    def __init__(self, algorithm: str) -> None:
        self._crc = None if algorithm == "crc32" else (crc32c() if algorithm == "crc32c" else crc64nvme())
        self._reg = 0 if self._crc is None else self._crc.mask

    def update(self, data: bytes) -> None:
        if self._crc is None:
            self._reg = zlib.crc32(data, self._reg)
        else:
            self._reg = self._crc.advance(self._reg, data)

    def digest(self) -> bytes:
        if self._crc is None:
            return self._reg.to_bytes(4, "big")
        return (self._reg ^ self._crc.mask).to_bytes(self._crc.width // 8, "big")


def _hasher(algorithm: str) -> _Crc | hashlib._Hash:
    if algorithm in ("crc32", "crc32c", "crc64nvme"):
        return _Crc(algorithm)
    if algorithm == "sha1":
        return hashlib.sha1(usedforsecurity=False)
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm == "md5":
        return hashlib.md5(usedforsecurity=False)
    raise KeyError(algorithm)


SUPPORTED = ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")


_NOT_CHECKSUMS = ("x-amz-checksum-type", "x-amz-checksum-mode", "x-amz-checksum-algorithm")


def _checksum_algorithm(name: str) -> str | None:
    """``x-amz-checksum-crc32`` → ``crc32``; None for other headers (type, mode)."""
    if not name.startswith("x-amz-checksum-") or name in _NOT_CHECKSUMS:
        return None
    return name.removeprefix("x-amz-checksum-")


class PayloadDigests:
    """The digests a request's checksum headers (and announced trailers) ask for, computed as the
    payload streams past, so nothing needs the whole body at once."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        """``headers`` with lower-case names; ``x-amz-trailer`` names trailing checksums."""
        wanted = {a for name in headers if (a := _checksum_algorithm(name))}
        wanted |= {
            a
            for name in headers.get("x-amz-trailer", "").split(",")
            if (a := _checksum_algorithm(name.strip().lower()))
        }
        unknown = sorted(wanted - set(SUPPORTED))
        if unknown:
            raise InvalidChecksumHeader(f"Checksum algorithm {unknown[0]!r} is not supported.")
        if "content-md5" in headers:
            wanted.add("md5")
        self._hashers = {algorithm: _hasher(algorithm) for algorithm in wanted}

    def update(self, data: bytes) -> None:
        for hasher in self._hashers.values():
            hasher.update(data)

    def digest(self, algorithm: str) -> bytes | None:
        hasher = self._hashers.get(algorithm)
        return None if hasher is None else hasher.digest()


def verify_checksums(headers: Mapping[str, str], digests: PayloadDigests) -> None:
    """Check Content-MD5 and every ``x-amz-checksum-<alg>`` present (headers or trailers).

    ``headers`` must have lower-case names.
    """
    if (md5 := headers.get("content-md5")) is not None:
        expected = _b64(md5, "Content-MD5")
        if len(expected) != 16:
            raise InvalidChecksumHeader("The Content-MD5 you specified was invalid.")
        if digests.digest("md5") != expected:
            raise ChecksumMismatch("Content-MD5")
    for name, value in headers.items():
        if (algorithm := _checksum_algorithm(name)) is None:
            continue
        actual = digests.digest(algorithm)
        if actual is None:
            raise InvalidChecksumHeader(f"The trailing {name} was not announced in x-amz-trailer.")
        if actual != _b64(value, name):
            raise ChecksumMismatch(name)


def _b64(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidChecksumHeader(f"The {name} you specified was not valid base64.") from None
