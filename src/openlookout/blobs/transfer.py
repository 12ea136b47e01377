"""Copying whole key prefixes between a blob store and the local disk."""

from __future__ import annotations

import shutil
from pathlib import Path

from openlookout.blobs.base import BlobStore


def download_prefix(blobs: BlobStore, bucket: str, prefix: str, folder: Path) -> Path:
    """Replace ``folder`` with every object under ``prefix`` (keys relative to the prefix)."""
    shutil.rmtree(folder, ignore_errors=True)
    token: str | None = None
    while True:
        page = blobs.list(bucket, prefix=prefix, continuation=token)
        for obj in page.objects:
            target = folder / obj.key[len(prefix) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blobs.get(bucket, obj.key))
        token = page.next_continuation
        if not page.is_truncated or not token:
            return folder
