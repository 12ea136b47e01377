"""Deleting everything under a folder-like prefix, over any BlobStore."""

from __future__ import annotations

from openlookout.blobs.base import BlobStore, NoSuchBucket

PAGE_SIZE = 1000  # S3's largest ListObjectsV2 page


def folder_prefix(prefix: str) -> str:
    """``a/b`` and ``a/b/`` name the same folder; neither may match a sibling such as ``a/bc``."""
    if not prefix.strip("/"):
        raise ValueError("refusing to treat an empty prefix as a folder (it is the whole bucket)")
    return prefix if prefix.endswith("/") else prefix + "/"


def delete_prefix(blobs: BlobStore, bucket: str, prefix: str, page_size: int = PAGE_SIZE) -> int:
    """Delete every object under the folder ``prefix``; the number deleted. A missing bucket has none.

    Follows every continuation token: the tokens of both backends name the last key
    returned, so deleting a page before asking for the next one skips nothing.
    """
    folder = folder_prefix(prefix)
    deleted = 0
    token: str | None = None
    try:
        while True:
            page = blobs.list(bucket, prefix=folder, max_keys=page_size, continuation=token)
            for obj in page.objects:
                blobs.delete(bucket, obj.key)
            deleted += len(page.objects)
            token = page.next_continuation
            if not page.is_truncated or not token:
                return deleted
    except NoSuchBucket:
        return deleted
