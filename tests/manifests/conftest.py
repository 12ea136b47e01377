"""The real cookie manifests, found beside the repo (CI clones it with shared/ next to it)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
COOKIES_DIR = REPO_ROOT.parent / "shared" / "datasets" / "lfv-cookies"
UPSTREAM_PREFIX = "s3://lookoutvision-us-east-1-0e205be246/getting-started/"


@pytest.fixture
def cookies() -> Path:
    if not (COOKIES_DIR / "manifests" / "train_segmentation.manifest").is_file():
        pytest.skip(f"cookie dataset not found at {COOKIES_DIR} (shared/ must sit beside the repo)")
    return COOKIES_DIR


def rewrite_to_bucket(manifest: bytes, bucket: str) -> bytes:
    """Point the upstream manifest's s3:// paths at ``bucket`` (the SOURCE.md path mapping)."""
    return manifest.replace(UPSTREAM_PREFIX.encode(), f"s3://{bucket}/getting-started/".encode())
