"""A local KMS: master keys in a JSON keyring file, and AES-256-GCM envelope encryption.

Each ``encrypt`` call draws a fresh 256-bit data key, encrypts the payload with
it, and stores the data key wrapped by the master key. The output is
self-describing (see ``_Header``), so ``decrypt`` needs only the keyring and
the same encryption context, which is bound as associated data to both layers.

The keyring file is shared by the server and its worker processes: writers
serialise on an ``flock`` and replace the file atomically; readers never lock.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import secrets
import struct
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from openlookout.private_paths import make_private_dir

MAGIC = b"OLKMS"
FORMAT_VERSION = 1
_NONCE_BYTES = 12
_KEY_BYTES = 32
_ALIAS = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")


class UnknownKeyError(KeyError):
    """No key in the keyring matches the given key id, ARN or alias."""

    def __init__(self, key_ref: str) -> None:
        super().__init__(key_ref)
        self.key_ref = key_ref
        self.message = f"Key '{key_ref}' does not exist in the keyring."

    def __str__(self) -> str:
        return self.message


class InvalidCiphertextError(Exception):
    """The ciphertext is malformed, was tampered with, or the encryption context differs."""


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    arn: str
    created_at: datetime
    description: str | None = None
    alias: str | None = None  # "alias/<name>"


@dataclass(frozen=True)
class _Header:
    """Everything before the payload ciphertext; all of it is authenticated."""

    key_id: str
    wrap_nonce: bytes
    wrapped_key: bytes
    data_nonce: bytes

    def pack(self) -> bytes:
        key_id = self.key_id.encode("ascii")
        return b"".join(
            [
                MAGIC,
                struct.pack(">BB", FORMAT_VERSION, len(key_id)),
                key_id,
                self.wrap_nonce,
                struct.pack(">H", len(self.wrapped_key)),
                self.wrapped_key,
                self.data_nonce,
            ]
        )

    @classmethod
    def unpack(cls, blob: bytes) -> tuple[_Header, int]:
        """(header, offset of the payload ciphertext)."""
        try:
            if blob[: len(MAGIC)] != MAGIC:
                raise InvalidCiphertextError("Not an openlookout KMS ciphertext (bad magic).")
            pos = len(MAGIC)
            version, id_len = struct.unpack_from(">BB", blob, pos)
            if version != FORMAT_VERSION:
                raise InvalidCiphertextError(f"Unsupported ciphertext version {version}.")
            pos += 2
            key_id = blob[pos : pos + id_len].decode("ascii")
            pos += id_len
            wrap_nonce = blob[pos : pos + _NONCE_BYTES]
            pos += _NONCE_BYTES
            (wrapped_len,) = struct.unpack_from(">H", blob, pos)
            pos += 2
            wrapped_key = blob[pos : pos + wrapped_len]
            pos += wrapped_len
            data_nonce = blob[pos : pos + _NONCE_BYTES]
            pos += _NONCE_BYTES
        except (struct.error, UnicodeDecodeError):
            raise InvalidCiphertextError("The ciphertext header is truncated or corrupt.") from None
        if len(data_nonce) != _NONCE_BYTES or len(blob) < pos + 16:
            raise InvalidCiphertextError("The ciphertext is truncated.")
        return cls(key_id, wrap_nonce, wrapped_key, data_nonce), pos


def _context_bytes(context: Mapping[str, str] | None) -> bytes:
    # Canonical form, so the same mapping always authenticates the same way.
    return json.dumps(dict(context or {}), sort_keys=True, separators=(",", ":")).encode("utf-8")


class Keyring:
    def __init__(self, path: Path, region: str = "us-east-1", account_id: str = "123456789012") -> None:
        self.path = Path(path)
        self.region = region
        self.account_id = account_id

    # -------------------------------------------------------------- key admin
    def create_key(self, description: str | None = None, alias: str | None = None) -> KeyInfo:
        alias_name = None
        if alias is not None:
            alias_name = alias if alias.startswith("alias/") else f"alias/{alias}"
            if not _ALIAS.match(alias_name) or alias_name.startswith("alias/aws/"):
                raise ValueError(f"Invalid alias {alias!r}: use letters, digits, '/', '_' and '-'.")
        key_id = str(uuid.uuid4())
        record = {
            "key_id": key_id,
            "created_at": datetime.now(UTC).isoformat(),
            "description": description,
            "alias": alias_name,
            "material": base64.b64encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii"),
        }
        with self._locked():
            keys = self._read()
            if alias_name and any(k.get("alias") == alias_name for k in keys):
                raise ValueError(f"The alias {alias_name} is already in use.")
            keys.append(record)
            self._write(keys)
        return self._info(record)

    def list_keys(self) -> list[KeyInfo]:
        return [self._info(record) for record in self._read()]

    def resolve(self, key_ref: str) -> KeyInfo | None:
        record = self._find(key_ref)
        return self._info(record) if record else None

    # ------------------------------------------------------------- encryption
    def encrypt(self, key_ref: str, plaintext: bytes, context: Mapping[str, str] | None = None) -> bytes:
        record = self._find(key_ref)
        if record is None:
            raise UnknownKeyError(key_ref)
        master = AESGCM(base64.b64decode(record["material"]))
        data_key = AESGCM.generate_key(bit_length=256)
        aad = _context_bytes(context)
        wrap_nonce = secrets.token_bytes(_NONCE_BYTES)
        key_id_aad = record["key_id"].encode("ascii")
        wrapped = master.encrypt(wrap_nonce, data_key, key_id_aad + aad)
        header = _Header(record["key_id"], wrap_nonce, wrapped, secrets.token_bytes(_NONCE_BYTES))
        packed = header.pack()
        return packed + AESGCM(data_key).encrypt(header.data_nonce, plaintext, packed + aad)

    def decrypt(self, blob: bytes, context: Mapping[str, str] | None = None) -> bytes:
        header, offset = _Header.unpack(blob)
        record = self._find(header.key_id)
        if record is None:
            raise UnknownKeyError(header.key_id)
        aad = _context_bytes(context)
        try:
            master = AESGCM(base64.b64decode(record["material"]))
            data_key = master.decrypt(
                header.wrap_nonce, header.wrapped_key, header.key_id.encode("ascii") + aad
            )
            return AESGCM(data_key).decrypt(header.data_nonce, blob[offset:], blob[:offset] + aad)
        except (InvalidTag, ValueError):
            raise InvalidCiphertextError(
                "Decryption failed: the ciphertext was modified or the encryption context differs."
            ) from None

    # ---------------------------------------------------------------- storage
    def _find(self, key_ref: str) -> dict | None:
        arn_prefix = f"arn:aws:kms:{self.region}:{self.account_id}:"
        ref = key_ref.removeprefix(arn_prefix)
        for record in self._read():
            if ref in (record["key_id"], f"key/{record['key_id']}") or (
                record.get("alias") and ref == record["alias"]
            ):
                return record
        return None

    def _info(self, record: dict) -> KeyInfo:
        return KeyInfo(
            key_id=record["key_id"],
            arn=f"arn:aws:kms:{self.region}:{self.account_id}:key/{record['key_id']}",
            created_at=datetime.fromisoformat(record["created_at"]),
            description=record.get("description"),
            alias=record.get("alias"),
        )

    def _read(self) -> list[dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        return list(data.get("keys", []))

    def _write(self, keys: list[dict]) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"version": FORMAT_VERSION, "keys": keys}, fh, indent=2)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise read-modify-write cycles across processes."""
        make_private_dir(self.path.parent)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
