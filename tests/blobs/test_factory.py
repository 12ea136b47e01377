"""create_blob_store picks the backend from Settings and creates the internal bucket."""

from __future__ import annotations

from pathlib import Path

import pytest

from openlookout.blobs.factory import create_blob_store
from openlookout.blobs.local import LocalBlobStore
from openlookout.blobs.s3 import S3BlobStore
from openlookout.config import Settings


def test_local_backend_creates_internal_bucket_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    store = create_blob_store(settings)
    assert isinstance(store, LocalBlobStore)
    assert (settings.buckets_dir / settings.internal_bucket).is_dir()
    store.put(settings.internal_bucket, "k", b"kept")
    again = create_blob_store(settings)  # a restart must not fail nor wipe anything
    assert again.get(settings.internal_bucket, "k") == b"kept"


def test_s3_backend_uses_the_dedicated_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENLOOKOUT_S3_ACCESS_KEY_ID", "AKIAS3S3S3S3S3S3S3S3")
    monkeypatch.setenv("OPENLOOKOUT_S3_SECRET_ACCESS_KEY", "s3-secret")
    created: list[str] = []
    monkeypatch.setattr(S3BlobStore, "bucket_exists", lambda self, bucket: False)
    monkeypatch.setattr(S3BlobStore, "create_bucket", lambda self, bucket: created.append(bucket))
    settings = Settings(blob_backend="s3", s3_endpoint_url="http://127.0.0.1:9", region="eu-west-1")
    store = create_blob_store(settings)
    assert isinstance(store, S3BlobStore)
    credentials = store.client._request_signer._credentials
    assert (credentials.access_key, credentials.secret_key) == ("AKIAS3S3S3S3S3S3S3S3", "s3-secret")
    assert store.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert store.client.meta.region_name == "eu-west-1"
    assert created == [settings.internal_bucket]


def test_unknown_backend(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="blob backend"):
        create_blob_store(Settings(data_dir=tmp_path, blob_backend="ftp"))
