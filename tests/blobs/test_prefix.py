"""delete_prefix: every page, and the prefix as a folder (``a/b`` == ``a/b/``, never ``a/bc``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openlookout.blobs.local import LocalBlobStore
from openlookout.blobs.prefix import delete_prefix, folder_prefix


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    blobs = LocalBlobStore(tmp_path / "buckets")
    blobs.create_bucket("data")
    return blobs


def keys(store: LocalBlobStore) -> list[str]:
    return [o.key for o in store.list("data").objects]


def test_deletes_more_keys_than_one_page(store: LocalBlobStore) -> None:
    for n in range(23):
        store.put("data", f"models/p/1/file-{n:02d}", b"x")
    store.put("data", "models/p/2/kept", b"x")

    assert delete_prefix(store, "data", "models/p/1/", page_size=5) == 23
    assert keys(store) == ["models/p/2/kept"]


@pytest.mark.parametrize("prefix", ["models/p/1", "models/p/1/"])
def test_trailing_slash_is_the_same_folder_and_spares_siblings(store: LocalBlobStore, prefix: str) -> None:
    for key in ("models/p/1/a", "models/p/1/deep/b", "models/p/10/c", "models/p/1x", "models/p/1"):
        store.put("data", key, b"x")

    assert delete_prefix(store, "data", prefix) == 2
    assert keys(store) == ["models/p/1", "models/p/10/c", "models/p/1x"]


def test_missing_bucket_has_nothing_to_delete(store: LocalBlobStore) -> None:
    assert delete_prefix(store, "absent", "models/p/1") == 0


@pytest.mark.parametrize("prefix", ["", "/"])
def test_empty_prefix_is_refused(store: LocalBlobStore, prefix: str) -> None:
    store.put("data", "kept", b"x")
    with pytest.raises(ValueError):
        delete_prefix(store, "data", prefix)
    assert keys(store) == ["kept"]


def test_folder_prefix() -> None:
    assert folder_prefix("a/b") == folder_prefix("a/b/") == "a/b/"
