"""BlobStore on a local folder: each bucket is a sub-folder, each object a plain file.

Layout and the key-to-path rule are documented in docs/storage.md. In short:
a key whose segments are all ordinary file names is stored at
``<root>/<bucket>/<key>`` (so datasets stay browsable); any other key, or a key
whose path is taken by a directory or blocked by a file, goes to
``.ol/objects/<sha256(key)>``. Every object has a JSON sidecar at
``.ol/meta/<h[:2]>/<h>.json`` that records its key, location, ETag and headers.
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import fcntl
import hashlib
import itertools
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, BinaryIO

from openlookout.blobs.base import (
    BucketAlreadyExists,
    BucketInfo,
    BucketNotEmpty,
    EntityTooSmall,
    InvalidPart,
    InvalidPartOrder,
    ListResult,
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    ObjectInfo,
    PartInfo,
    UploadInfo,
    WriteCondition,
)

DEFAULT_CONTENT_TYPE = "binary/octet-stream"
# Names starting with this are ours: skipped by listings, never direct keys.
RESERVED_PREFIX = ".ol"
STATE_DIR = ".ol"
MAX_KEY_BYTES = 1024
MAX_SEGMENT_BYTES = 255
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000
_COPY_BUFFER = 1 << 20
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


# These belong next to the other BlobErrors in blobs/base.py; they live here
# until that file gains them (both backends and the S3 API use them).
def is_valid_bucket_name(name: str) -> bool:
    """S3's current naming rules: 3-63 of [a-z0-9.-], alphanumeric ends, no '..', not an IP."""
    return bool(_BUCKET_NAME.match(name)) and ".." not in name and not _IP_ADDRESS.match(name)


# Names AWS keeps for its own features (punycode, access point aliases, Object Lambda,
# directory and table buckets, multi-region access points, documentation examples).
_RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3", ".mrap")


def may_create_bucket(name: str) -> bool:
    """S3's rules for a new bucket name: the naming rules, and none of AWS's reserved forms."""
    return (
        is_valid_bucket_name(name)
        and not name.startswith(_RESERVED_BUCKET_PREFIXES)
        and not name.endswith(_RESERVED_BUCKET_SUFFIXES)
    )


def is_valid_key(key: str) -> bool:
    return bool(key) and len(key.encode("utf-8")) <= MAX_KEY_BYTES and "\x00" not in key


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _direct_segments(key: str) -> list[str] | None:
    """The path segments of a key that a filesystem can hold as-is, else None."""
    segments = key.split("/")
    for segment in segments:
        if (
            not segment
            or segment in (".", "..")
            or segment.startswith(RESERVED_PREFIX)
            or "\\" in segment
            or len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES
        ):
            return None
    return segments


def _now() -> datetime:
    return datetime.now(UTC)


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; some filesystems refuse O_RDONLY on dirs.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass
class _Written:
    size: int
    md5: bytes


def _write_atomic(target: Path, chunks: Iterator[bytes]) -> _Written:
    """Write to a temp file beside ``target``, fsync, then rename over it."""
    tmp, written = _write_temp(target, chunks)
    _replace(tmp, target)
    return written


def _replace(tmp: Path, target: Path) -> None:
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _write_temp(target: Path, chunks: Iterator[bytes]) -> tuple[Path, _Written]:
    """Stream ``chunks`` into a new fsynced temp file beside ``target`` (same filesystem)."""
    for attempt in range(3):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f"{RESERVED_PREFIX}-tmp-{uuid.uuid4().hex}"
        try:
            fh = open(tmp, "xb")  # noqa: SIM115 - closed below, before the rename
        except FileNotFoundError:
            # A concurrent delete pruned the empty parent between mkdir and open.
            if attempt == 2:
                raise
            continue
        md5 = hashlib.md5(usedforsecurity=False)
        size = 0
        try:
            with fh:
                for chunk in chunks:
                    fh.write(chunk)
                    md5.update(chunk)
                    size += len(chunk)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, _Written(size, md5.digest())
    raise AssertionError("unreachable")


def _iter_source(data: bytes | IO[bytes]) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
        return
    while chunk := data.read(_COPY_BUFFER):
        yield chunk


def _iter_file(path: Path, chunk_size: int = _COPY_BUFFER) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            yield chunk


def _write_json_atomic(target: Path, payload: dict) -> None:
    _write_atomic(target, iter([json.dumps(payload, sort_keys=True).encode("utf-8")]))


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    # ----------------------------------------------------------------- buckets
    def _bucket_dir(self, bucket: str) -> Path:
        if not is_valid_bucket_name(bucket):
            raise NoSuchBucket(bucket)
        return self.root / bucket

    def _existing_bucket_dir(self, bucket: str) -> Path:
        path = self._bucket_dir(bucket)
        if not path.is_dir():
            raise NoSuchBucket(bucket)
        return path

    def create_bucket(self, bucket: str) -> None:
        if not may_create_bucket(bucket):
            raise ValueError(f"{bucket!r} is not a valid bucket name")
        path = self.root / bucket
        try:
            path.mkdir()
        except FileExistsError:
            raise BucketAlreadyExists(bucket) from None
        _write_json_atomic(path / STATE_DIR / "bucket.json", {"created_at": _now().isoformat()})

    def bucket_exists(self, bucket: str) -> bool:
        return is_valid_bucket_name(bucket) and (self.root / bucket).is_dir()

    def list_buckets(self) -> list[BucketInfo]:
        buckets = []
        for entry in sorted(self.root.iterdir()):
            if entry.is_dir() and is_valid_bucket_name(entry.name):
                buckets.append(BucketInfo(entry.name, self._bucket_created_at(entry)))
        return buckets

    @staticmethod
    def _bucket_created_at(path: Path) -> datetime:
        marker = path / STATE_DIR / "bucket.json"
        try:
            return datetime.fromisoformat(json.loads(marker.read_text())["created_at"])
        except (OSError, ValueError, KeyError):
            # A folder the user made by hand is a bucket too.
            return datetime.fromtimestamp(path.stat().st_mtime, UTC)

    def delete_bucket(self, bucket: str) -> None:
        path = self._existing_bucket_dir(bucket)
        if self.list(bucket, max_keys=1).objects:
            raise BucketNotEmpty(bucket)
        shutil.rmtree(path)

    # ----------------------------------------------------------------- objects
    @contextlib.contextmanager
    def _key_lock(self, bucket_dir: Path, key: str, exclusive: bool) -> Iterator[None]:
        """Serialise an object's data rename + sidecar write against readers of the pair.

        An flock on one of 256 stripe files per bucket (by key hash): it works across threads
        and across the server's worker processes, and the lock files stay few.
        """
        locks = bucket_dir / STATE_DIR / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        fd = os.open(locks / _key_hash(key)[:2], os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _meta_path(self, bucket_dir: Path, key: str) -> Path:
        digest = _key_hash(key)
        return bucket_dir / STATE_DIR / "meta" / digest[:2] / f"{digest}.json"

    def _overflow_path(self, bucket_dir: Path, key: str) -> Path:
        return bucket_dir / STATE_DIR / "objects" / _key_hash(key)

    def _choose_location(self, bucket_dir: Path, key: str) -> tuple[str, Path]:
        """Direct path when the key's segments are plain names and nothing blocks them."""
        segments = _direct_segments(key)
        if segments is not None:
            path = bucket_dir.joinpath(*segments)
            parents_ok = all(not p.is_file() for p in list(path.parents)[: len(segments) - 1])
            if parents_ok and not path.is_dir():
                return "direct", path
        return "overflow", self._overflow_path(bucket_dir, key)

    def _read_meta(self, bucket_dir: Path, key: str) -> dict | None:
        try:
            meta = json.loads(self._meta_path(bucket_dir, key).read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError, ValueError):
            return None
        return meta if meta.get("key") == key else None

    def _data_path(self, bucket_dir: Path, meta: dict) -> Path:
        if meta["location"] == "direct":
            return bucket_dir.joinpath(*meta["key"].split("/"))
        return self._overflow_path(bucket_dir, meta["key"])

    def _locate(self, bucket: str, key: str) -> tuple[Path, dict]:
        """(data path, up-to-date metadata) of an existing object."""
        bucket_dir = self._existing_bucket_dir(bucket)
        with self._key_lock(bucket_dir, key, exclusive=False):
            return self._locate_unlocked(bucket, bucket_dir, key)

    def _open_locked(self, bucket: str, key: str) -> tuple[BinaryIO, dict]:
        """An open handle and the metadata of the same write (the handle keeps that inode)."""
        bucket_dir = self._existing_bucket_dir(bucket)
        with self._key_lock(bucket_dir, key, exclusive=False):
            path, meta = self._locate_unlocked(bucket, bucket_dir, key)
            return open(path, "rb"), meta  # the caller owns (and closes) the handle

    def _locate_unlocked(self, bucket: str, bucket_dir: Path, key: str) -> tuple[Path, dict]:
        meta = self._read_meta(bucket_dir, key)
        if meta is not None:
            path = self._data_path(bucket_dir, meta)
            try:
                st = path.stat()
            except (FileNotFoundError, NotADirectoryError):
                st = None
            if st is not None and path.is_file():
                if (st.st_size, st.st_mtime_ns) != (meta["size"], meta["mtime_ns"]):
                    # Changed behind our back (edited by hand): refresh the ETag.
                    meta = self._adopt(bucket_dir, key, path, meta)
                return path, meta
        segments = _direct_segments(key)
        if segments is not None:
            path = bucket_dir.joinpath(*segments)
            if path.is_file():
                return path, self._adopt(bucket_dir, key, path, None)
        raise NoSuchKey(bucket, key)

    def _adopt(self, bucket_dir: Path, key: str, path: Path, old: dict | None) -> dict:
        """Build (and cache) metadata for a file placed or changed outside the store."""
        md5 = hashlib.md5(usedforsecurity=False)
        for chunk in _iter_file(path):
            md5.update(chunk)
        st = path.stat()
        meta = {
            "key": key,
            "location": "direct",
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "etag": f'"{md5.hexdigest()}"',
            "last_modified": datetime.fromtimestamp(st.st_mtime, UTC).isoformat(),
            "content_type": (old or {}).get("content_type", DEFAULT_CONTENT_TYPE),
            "metadata": (old or {}).get("metadata", {}),
        }
        _write_json_atomic(self._meta_path(bucket_dir, key), meta)
        return meta

    @staticmethod
    def _info(bucket: str, meta: dict) -> ObjectInfo:
        return ObjectInfo(
            bucket=bucket,
            key=meta["key"],
            size=meta["size"],
            etag=meta["etag"],
            last_modified=datetime.fromisoformat(meta["last_modified"]),
            content_type=meta["content_type"],
            metadata=dict(meta["metadata"]),
        )

    def _store(
        self,
        bucket: str,
        key: str,
        chunks: Iterator[bytes],
        content_type: str | None,
        metadata: dict[str, str] | None,
        etag_of: Callable[[], str] | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        if not is_valid_key(key):
            raise ValueError(f"{key!r} is not a valid object key")
        bucket_dir = self._existing_bucket_dir(bucket)
        location, path = self._choose_location(bucket_dir, key)
        # The bytes stream into a temp file unlocked; only the switch to them (data rename and
        # sidecar) is under the key's lock, so bytes, ETag and metadata change as one unit and
        # the last writer to get there wins whole.
        tmp, written = _write_temp(path, chunks)
        with self._key_lock(bucket_dir, key, exclusive=True):
            if condition is not None:
                try:
                    condition.check(bucket, key, self._current_etag(bucket, bucket_dir, key))
                except BaseException:
                    tmp.unlink(missing_ok=True)
                    raise
            return self._commit(
                bucket, bucket_dir, key, (location, path), tmp, written, content_type, metadata, etag_of
            )

    def _current_etag(self, bucket: str, bucket_dir: Path, key: str) -> str | None:
        try:
            return str(self._locate_unlocked(bucket, bucket_dir, key)[1]["etag"])
        except NoSuchKey:
            return None

    def _commit(
        self,
        bucket: str,
        bucket_dir: Path,
        key: str,
        where: tuple[str, Path],
        tmp: Path,
        written: _Written,
        content_type: str | None,
        metadata: dict[str, str] | None,
        etag_of: Callable[[], str] | None,
    ) -> ObjectInfo:
        location, path = where
        old = self._read_meta(bucket_dir, key)
        _replace(tmp, path)
        st = path.stat()
        meta = {
            "key": key,
            "location": location,
            "size": written.size,
            "mtime_ns": st.st_mtime_ns,
            "etag": etag_of() if etag_of else f'"{written.md5.hex()}"',
            "last_modified": _now().isoformat(),
            "content_type": content_type or DEFAULT_CONTENT_TYPE,
            "metadata": dict(metadata or {}),
        }
        _write_json_atomic(self._meta_path(bucket_dir, key), meta)
        # Only now, with the sidecar pointing at the new copy, drop a copy left elsewhere.
        if old is not None and old["location"] != location:
            self._remove_data(bucket_dir, self._data_path(bucket_dir, old))
        return self._info(bucket, meta)

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes | IO[bytes],
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        return self._store(bucket, key, _iter_source(data), content_type, metadata, condition=condition)

    def get(self, bucket: str, key: str) -> bytes:
        path, _ = self._locate(bucket, key)
        return path.read_bytes()

    def open(self, bucket: str, key: str) -> BinaryIO:
        return self._open_locked(bucket, key)[0]

    def open_object(self, bucket: str, key: str) -> tuple[ObjectInfo, BinaryIO]:
        handle, meta = self._open_locked(bucket, key)
        return self._info(bucket, meta), handle

    def iter_chunks(self, bucket: str, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        path, _ = self._locate(bucket, key)
        # Open now so that NoSuchKey (and the snapshot) happen at call time.
        fh = open(path, "rb")  # noqa: SIM115 - closed by the generator

        def chunks() -> Iterator[bytes]:
            with fh:
                while chunk := fh.read(chunk_size):
                    yield chunk

        return chunks()

    def head(self, bucket: str, key: str) -> ObjectInfo:
        _, meta = self._locate(bucket, key)
        return self._info(bucket, meta)

    def delete(self, bucket: str, key: str) -> None:
        bucket_dir = self._existing_bucket_dir(bucket)
        with self._key_lock(bucket_dir, key, exclusive=True):
            try:
                path, _ = self._locate_unlocked(bucket, bucket_dir, key)
            except NoSuchKey:
                return
            self._remove_data(bucket_dir, path)
            self._meta_path(bucket_dir, key).unlink(missing_ok=True)

    def _remove_data(self, bucket_dir: Path, path: Path) -> None:
        path.unlink(missing_ok=True)
        # S3 has no empty folders: prune the ones this delete emptied.
        parent = path.parent
        while parent != bucket_dir and bucket_dir in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def copy(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> ObjectInfo:
        # One handle opened with its metadata, so a concurrent overwrite of the source
        # cannot mix two versions.
        fh, src_meta = self._open_locked(src_bucket, src_key)
        with fh:
            return self._store(
                dst_bucket,
                dst_key,
                _iter_source(fh),
                src_meta["content_type"],
                src_meta["metadata"],
            )

    # ----------------------------------------------------------------- listing
    def _all_keys(self, bucket_dir: Path, prefix: str) -> list[str]:
        keys = set()
        # Only walk the folder the prefix's complete segments name.
        head = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        head_segments = _direct_segments(head) if head else []
        if head_segments is not None:
            start = bucket_dir.joinpath(*head_segments)
            if start.is_dir():
                for dirpath, dirnames, filenames in os.walk(start):
                    dirnames[:] = [d for d in dirnames if not d.startswith(RESERVED_PREFIX)]
                    rel = Path(dirpath).relative_to(bucket_dir).parts
                    for name in filenames:
                        if name.startswith(RESERVED_PREFIX):
                            continue
                        key = "/".join((*rel, name))
                        if key.startswith(prefix):
                            keys.add(key)
        overflow_dir = bucket_dir / STATE_DIR / "objects"
        if overflow_dir.is_dir():
            for entry in overflow_dir.iterdir():
                if entry.name.startswith(RESERVED_PREFIX):
                    continue
                overflow_key = self._overflow_key(bucket_dir, entry.name)
                if overflow_key is not None and overflow_key.startswith(prefix):
                    keys.add(overflow_key)
        return sorted(keys, key=lambda k: k.encode("utf-8"))

    def _overflow_key(self, bucket_dir: Path, digest: str) -> str | None:
        try:
            meta = json.loads((bucket_dir / STATE_DIR / "meta" / digest[:2] / f"{digest}.json").read_text())
        except (OSError, ValueError):
            return None
        return meta.get("key") if meta.get("location") == "overflow" else None

    def list(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str | None = None,
        max_keys: int = 1000,
        continuation: str | None = None,
        start_after: str | None = None,
    ) -> ListResult:
        bucket_dir = self._existing_bucket_dir(bucket)
        after, skip_prefix = _decode_token(continuation) if continuation else (start_after or "", False)
        after_bytes = after.encode("utf-8")
        objects: list[ObjectInfo] = []
        prefixes: list[str] = []
        last: tuple[str, bool] | None = None
        truncated = False
        for key in self._all_keys(bucket_dir, prefix):
            if after and (key.encode("utf-8") <= after_bytes or (skip_prefix and key.startswith(after))):
                continue
            common = common_prefix(key, prefix, delimiter)
            if common is not None and prefixes and prefixes[-1] == common:
                continue
            if len(objects) + len(prefixes) >= max_keys:
                truncated = True
                break
            if common is not None:
                prefixes.append(common)
                last = (common, True)
                continue
            try:
                _, meta = self._locate(bucket, key)
            except NoSuchKey:
                continue  # deleted while we listed
            objects.append(self._info(bucket, meta))
            last = (key, False)
        token = _encode_token(*last) if truncated and last else None
        return ListResult(objects, prefixes, truncated, token)

    # --------------------------------------------------------------- multipart
    def _upload_dir(self, bucket: str, key: str, upload_id: str) -> Path:
        bucket_dir = self._existing_bucket_dir(bucket)
        if not re.fullmatch(r"[0-9a-f]{32}", upload_id):
            raise NoSuchUpload(upload_id)
        path = bucket_dir / STATE_DIR / "uploads" / upload_id
        try:
            info = json.loads((path / "upload.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise NoSuchUpload(upload_id) from None
        if info.get("key") != key:
            raise NoSuchUpload(upload_id)
        return path

    def create_multipart_upload(
        self, bucket: str, key: str, content_type: str | None = None, metadata: dict[str, str] | None = None
    ) -> str:
        if not is_valid_key(key):
            raise ValueError(f"{key!r} is not a valid object key")
        bucket_dir = self._existing_bucket_dir(bucket)
        upload_id = uuid.uuid4().hex
        _write_json_atomic(
            bucket_dir / STATE_DIR / "uploads" / upload_id / "upload.json",
            {
                "key": key,
                "content_type": content_type,
                "metadata": dict(metadata or {}),
                "initiated": _now().isoformat(),
            },
        )
        return upload_id

    def upload_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, data: bytes | IO[bytes]
    ) -> str:
        if not 1 <= part_number <= MAX_PART_NUMBER:
            raise InvalidPart(part_number, "part numbers must be between 1 and 10000")
        upload_dir = self._upload_dir(bucket, key, upload_id)
        written = _write_atomic(upload_dir / f"part-{part_number:05d}", _iter_source(data))
        etag = f'"{written.md5.hex()}"'
        _write_json_atomic(upload_dir / f"part-{part_number:05d}.json", {"etag": etag, "size": written.size})
        return etag

    def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: builtins.list[tuple[int, str]]
    ) -> ObjectInfo:
        upload_dir = self._upload_dir(bucket, key, upload_id)
        if not parts:
            raise InvalidPart(0, "you must specify at least one part")
        numbers = [n for n, _ in parts]
        if any(b <= a for a, b in itertools.pairwise(numbers)):
            raise InvalidPartOrder()
        digests = []
        for index, (number, etag) in enumerate(parts):
            try:
                info = json.loads((upload_dir / f"part-{number:05d}.json").read_text())
            except (OSError, ValueError):
                raise InvalidPart(number, "the part was not uploaded") from None
            if _unquote_etag(etag) != _unquote_etag(info["etag"]):
                raise InvalidPart(number, "the ETag does not match the uploaded part")
            if index < len(parts) - 1 and info["size"] < MIN_PART_SIZE:
                raise EntityTooSmall(number)
            digests.append(bytes.fromhex(_unquote_etag(info["etag"])))
        upload = json.loads((upload_dir / "upload.json").read_text())

        def chunks() -> Iterator[bytes]:
            for number in numbers:
                yield from _iter_file(upload_dir / f"part-{number:05d}")

        combined = hashlib.md5(b"".join(digests), usedforsecurity=False).hexdigest()
        info = self._store(
            bucket,
            key,
            chunks(),
            upload["content_type"],
            upload["metadata"],
            etag_of=lambda: f'"{combined}-{len(parts)}"',
        )
        shutil.rmtree(upload_dir, ignore_errors=True)
        return info

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        shutil.rmtree(self._upload_dir(bucket, key, upload_id), ignore_errors=True)

    def list_parts(self, bucket: str, key: str, upload_id: str) -> builtins.list[PartInfo]:
        upload_dir = self._upload_dir(bucket, key, upload_id)
        parts = []
        for sidecar in sorted(upload_dir.glob("part-[0-9][0-9][0-9][0-9][0-9].json")):
            try:
                info = json.loads(sidecar.read_text())
                modified = datetime.fromtimestamp(sidecar.stat().st_mtime, UTC)
            except (OSError, ValueError):
                continue  # being replaced, or aborted meanwhile
            parts.append(PartInfo(int(sidecar.name[5:10]), info["etag"], info["size"], modified))
        return parts

    def list_multipart_uploads(self, bucket: str) -> builtins.list[UploadInfo]:
        uploads_dir = self._existing_bucket_dir(bucket) / STATE_DIR / "uploads"
        uploads = []
        for entry in uploads_dir.iterdir() if uploads_dir.is_dir() else []:
            try:
                info = json.loads((entry / "upload.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            uploads.append(UploadInfo(info["key"], entry.name, datetime.fromisoformat(info["initiated"])))
        return sorted(uploads, key=lambda u: (u.key.encode("utf-8"), u.initiated))


def _unquote_etag(etag: str) -> str:
    return etag.strip().strip('"').lower()


def common_prefix(key: str, prefix: str, delimiter: str | None) -> str | None:
    """The common prefix a listing rolls ``key`` up into, or None."""
    if not delimiter:
        return None
    cut = key.find(delimiter, len(prefix))
    return key[: cut + len(delimiter)] if cut >= 0 else None


def _encode_token(after: str, is_prefix: bool) -> str:
    raw = json.dumps({"after": after, "prefix": is_prefix}).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _decode_token(token: str) -> tuple[str, bool]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        return str(data["after"]), bool(data["prefix"])
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise ValueError("The continuation token provided is incorrect") from None
