"""Build the configured BlobStore and make sure the service's internal bucket exists."""

from __future__ import annotations

import os

from openlookout.blobs.base import BlobStore, ensure_bucket
from openlookout.blobs.local import LocalBlobStore
from openlookout.blobs.s3 import S3BlobStore
from openlookout.config import Settings

S3_KEY_ENV = "OPENLOOKOUT_S3_ACCESS_KEY_ID"
S3_SECRET_ENV = "OPENLOOKOUT_S3_SECRET_ACCESS_KEY"


def create_blob_store(settings: Settings) -> BlobStore:
    store: BlobStore
    if settings.blob_backend == "local":
        store = LocalBlobStore(settings.buckets_dir)
    elif settings.blob_backend == "s3":
        # Without both variables boto3's default chain (env, profile, instance role) applies.
        store = S3BlobStore(
            settings.s3_endpoint_url,
            settings.region,
            os.environ.get(S3_KEY_ENV) or None,
            os.environ.get(S3_SECRET_ENV) or None,
        )
    else:
        raise ValueError(f"Unknown blob backend {settings.blob_backend!r}; expected 'local' or 's3'.")
    ensure_bucket(store, settings.internal_bucket)
    return store
