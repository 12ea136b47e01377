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
# The test command runs two pytest-xdist workers with ``--dist loadfile``: each test file goes
# to one worker, so its module fixtures are built once. The files of these folders share a
# session fixture too (tests/e2e: a server with a cookie model trained through the API), so
# each folder goes to one worker as a whole and that model is trained once per run.
WHOLE_FOLDER_SCOPES = ("tests/e2e/",)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FileOrFolderScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            for folder in WHOLE_FOLDER_SCOPES:
                if nodeid.startswith(folder):
                    return folder
            return super()._split_scope(nodeid)

    return FileOrFolderScheduling(config, log)


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
