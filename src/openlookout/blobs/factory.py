"""Build the configured BlobStore and make sure the service's internal bucket exists."""

from __future__ import annotations

import contextlib
import os

from openlookout.blobs.base import BlobStore, BucketAlreadyExists
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
    if not store.bucket_exists(settings.internal_bucket):
        # Another replica may create it between our check and our create.
        with contextlib.suppress(BucketAlreadyExists):
            store.create_bucket(settings.internal_bucket)
    return store
