"""Suite-wide fixtures: where the repository and its shared/ sibling are.

CI clones the repository with ``shared/`` beside it, so every path is computed
from this file, never from the working directory.
"""

from __future__ import annotations

import openlookout  # noqa: F401  (first: it sets thread defaults before NumPy and torch load)

# isort: split
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """``<repo>/../shared/datasets``; skips the test when it is absent."""
    datasets = SHARED_DIR / "datasets"
    if not datasets.is_dir():
        pytest.skip(f"shared datasets not found at {datasets} (shared/ must sit beside the repo)")
    return datasets
