"""LocalBlobStore: layout, awkward keys, atomicity, listing order, multipart."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path

import pytest

from openlookout.blobs.base import (
    BucketAlreadyExists,
    BucketNotEmpty,
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
)
from openlookout.blobs.local import (
    EntityTooSmall,
    InvalidPart,
    InvalidPartOrder,
    LocalBlobStore,
    is_valid_bucket_name,
)

MIB = 1024 * 1024


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    blobs = LocalBlobStore(tmp_path / "buckets")
    blobs.create_bucket("data")
    return blobs


def keys(store: LocalBlobStore, **kwargs: object) -> list[str]:
    return [o.key for o in store.list("data", **kwargs).objects]  # type: ignore[arg-type]


def test_plain_keys_are_readable_files(store: LocalBlobStore) -> None:
    info = store.put("data", "train/good/1.png", b"png", content_type="image/png", metadata={"a": "b"})
    assert (store.root / "data" / "train" / "good" / "1.png").read_bytes() == b"png"
    assert info.etag == f'"{hashlib.md5(b"png").hexdigest()}"'
    head = store.head("data", "train/good/1.png")
    assert (head.size, head.content_type, head.metadata) == (3, "image/png", {"a": "b"})
    assert store.get("data", "train/good/1.png") == b"png"
    with store.open("data", "train/good/1.png") as fh:
        assert fh.read() == b"png"


@pytest.mark.parametrize(
    "awkward",
    ["a/", "a//b", "../escape", "a/../b", "./x", ".ol/meta", "trailing/", "x\\y", "s" * 300, "ü/ñ/日本.png"],
)
def test_awkward_keys_round_trip_without_escaping_the_bucket(store: LocalBlobStore, awkward: str) -> None:
    store.put("data", awkward, awkward.encode())
    assert store.get("data", awkward) == awkward.encode()
    assert keys(store) == [awkward]
    for path in (store.root).rglob("*"):
        assert store.root / "data" in (path, *path.parents), f"{path} escaped the bucket folder"
    store.delete("data", awkward)
    assert keys(store) == []


def test_key_that_is_also_a_directory_prefix(store: LocalBlobStore) -> None:
    store.put("data", "a", b"file a")
    store.put("data", "a/b", b"file a/b")  # 'a' is a file, so this one cannot be a/b on disk
    store.put("data", "c/d", b"file c/d")
    store.put("data", "c", b"file c")  # 'c' is a directory, so this one goes elsewhere
    assert [store.get("data", k) for k in ("a", "a/b", "c", "c/d")] == [
        b"file a",
        b"file a/b",
        b"file c",
        b"file c/d",
    ]
    assert keys(store) == ["a", "a/b", "c", "c/d"]
    store.put("data", "a", b"new a")
    assert store.get("data", "a") == b"new a" and store.get("data", "a/b") == b"file a/b"
    store.delete("data", "c/d")
    store.put("data", "c", b"c again")  # the folder is gone: now 'c' can be a plain file
    assert (store.root / "data" / "c").read_bytes() == b"c again"
    assert len(list((store.root / "data" / ".ol" / "objects").iterdir())) == 1  # only "a/b" is hashed
    assert keys(store) == ["a", "a/b", "c"] and store.get("data", "c") == b"c again"


def test_listing_order_is_utf8_binary(store: LocalBlobStore) -> None:
    names = ["a/b", "a-c", "a.d", "B", "a", "é", "z", "a0", "~"]
    for name in names:
        store.put("data", name, b"x")
    assert keys(store) == sorted(names, key=lambda k: k.encode("utf-8"))


def test_list_prefix_delimiter_and_tokens(store: LocalBlobStore) -> None:
    for name in ["p/1", "p/2", "p/sub/3", "p/sub/4", "p/tub/5", "q/6", "pa"]:
        store.put("data", name, b"x")
    result = store.list("data", prefix="p/", delimiter="/")
    assert [o.key for o in result.objects] == ["p/1", "p/2"]
    assert result.common_prefixes == ["p/sub/", "p/tub/"]
    assert keys(store, prefix="p") == ["p/1", "p/2", "p/sub/3", "p/sub/4", "p/tub/5", "pa"]
    assert keys(store, prefix="p/s") == ["p/sub/3", "p/sub/4"]

    seen: list[str] = []
    token = None
    while True:
        page = store.list("data", delimiter="/", prefix="p/", max_keys=1, continuation=token)
        seen += [o.key for o in page.objects] + page.common_prefixes
        if not page.is_truncated:
            break
        token = page.next_continuation
    assert seen == ["p/1", "p/2", "p/sub/", "p/tub/"]
    assert keys(store, start_after="p/sub/3") == ["p/sub/4", "p/tub/5", "pa", "q/6"]
    with pytest.raises(ValueError):
        store.list("data", continuation="not a token")


def test_files_placed_by_hand_are_objects(store: LocalBlobStore) -> None:
    folder = store.root / "data" / "manual"
    folder.mkdir()
    (folder / "img.png").write_bytes(b"dropped in")
    assert keys(store) == ["manual/img.png"]
    assert store.head("data", "manual/img.png").etag == f'"{hashlib.md5(b"dropped in").hexdigest()}"'
    (folder / "img.png").write_bytes(b"edited by hand!")
    assert store.head("data", "manual/img.png").etag == f'"{hashlib.md5(b"edited by hand!").hexdigest()}"'
    (store.root / "handmade").mkdir()
    assert "handmade" in [b.name for b in store.list_buckets()]


def test_put_is_atomic_and_leaves_no_temp_files(store: LocalBlobStore) -> None:
    store.put("data", "k", b"old")

    class Exploding(io.RawIOBase):
        def __init__(self) -> None:
            self.calls = 0

        def read(self, size: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 2:
                raise OSError("disk unplugged")
            return b"new" * 1000

    with pytest.raises(OSError):
        store.put("data", "k", Exploding())  # type: ignore[arg-type]
    assert store.get("data", "k") == b"old"
    assert [p.name for p in (store.root / "data").iterdir() if p.name.startswith(".ol-tmp")] == []


def test_streamed_put_and_chunked_read(store: LocalBlobStore) -> None:
    data = os.urandom(3 * MIB + 5)
    info = store.put("data", "big", io.BytesIO(data))
    assert info.size == len(data) and info.etag == f'"{hashlib.md5(data).hexdigest()}"'
    assert b"".join(store.iter_chunks("data", "big", chunk_size=MIB)) == data


def test_copy_delete_and_empty_folders_are_pruned(store: LocalBlobStore) -> None:
    store.put("data", "deep/er/x", b"1", content_type="text/plain", metadata={"m": "v"})
    copied = store.copy("data", "deep/er/x", "data", "other/y")
    assert copied.content_type == "text/plain" and copied.metadata == {"m": "v"}
    store.delete("data", "deep/er/x")
    store.delete("data", "deep/er/x")  # absent: no error
    assert not (store.root / "data" / "deep").exists()
    with pytest.raises(NoSuchKey):
        store.get("data", "deep/er/x")


def test_buckets(store: LocalBlobStore) -> None:
    with pytest.raises(BucketAlreadyExists):
        store.create_bucket("data")
    with pytest.raises(ValueError):
        store.create_bucket("../evil")
    with pytest.raises(NoSuchBucket):
        store.put("absent", "k", b"")
    with pytest.raises(NoSuchBucket):
        store.list("..")
    store.put("data", "k", b"1")
    with pytest.raises(BucketNotEmpty):
        store.delete_bucket("data")
    store.delete("data", "k")
    store.delete_bucket("data")
    assert not store.bucket_exists("data")
    assert is_valid_bucket_name("my.bucket-1") and not is_valid_bucket_name("192.168.1.1")
    assert not is_valid_bucket_name("Upper") and not is_valid_bucket_name("a..b")


def test_multipart(store: LocalBlobStore) -> None:
    upload = store.create_multipart_upload("data", "mp/obj", content_type="video/mp4", metadata={"x": "1"})
    part1 = os.urandom(5 * MIB)
    e1 = store.upload_part("data", "mp/obj", upload, 1, part1)
    e2 = store.upload_part("data", "mp/obj", upload, 2, b"tail")
    with pytest.raises(InvalidPartOrder):
        store.complete_multipart_upload("data", "mp/obj", upload, [(2, e2), (1, e1)])
    with pytest.raises(InvalidPart):
        store.complete_multipart_upload("data", "mp/obj", upload, [(1, e2)])
    with pytest.raises(InvalidPart):
        store.complete_multipart_upload("data", "mp/obj", upload, [(1, e1), (3, e2)])
    with pytest.raises(NoSuchUpload):
        store.upload_part("data", "other-key", upload, 1, b"x")
    info = store.complete_multipart_upload("data", "mp/obj", upload, [(1, e1), (2, e2)])
    expected = hashlib.md5(hashlib.md5(part1).digest() + hashlib.md5(b"tail").digest()).hexdigest()
    assert info.etag == f'"{expected}-2"'
    assert (info.content_type, info.metadata, info.size) == ("video/mp4", {"x": "1"}, 5 * MIB + 4)
    assert store.get("data", "mp/obj") == part1 + b"tail"
    with pytest.raises(NoSuchUpload):
        store.complete_multipart_upload("data", "mp/obj", upload, [(1, e1)])
    assert keys(store) == ["mp/obj"]  # staged parts are not objects


def test_small_non_final_part_is_refused(store: LocalBlobStore) -> None:
    upload = store.create_multipart_upload("data", "k")
    e1 = store.upload_part("data", "k", upload, 1, b"small")
    e2 = store.upload_part("data", "k", upload, 2, b"small")
    with pytest.raises(EntityTooSmall):
        store.complete_multipart_upload("data", "k", upload, [(1, e1), (2, e2)])
    store.abort_multipart_upload("data", "k", upload)
    with pytest.raises(NoSuchUpload):
        store.abort_multipart_upload("data", "k", upload)


def test_metadata_files_are_not_world_writable(store: LocalBlobStore) -> None:
    store.put("data", "k", b"1")
    for path in (store.root / "data" / ".ol").rglob("*.json"):
        assert not stat.S_IMODE(path.stat().st_mode) & stat.S_IWOTH
