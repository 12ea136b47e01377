"""Where things are, computed from this file so a fresh clone in CI finds them."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.requirements import require_clients

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
CLIENT_SCRIPTS = E2E_DIR / "clients"
# CI clones the repo with shared/ beside it.
SHARED_DIR = REPO_ROOT.parent / "shared"
COOKIES_DIR = SHARED_DIR / "datasets" / "lfv-cookies"
CLIENTS_VENV = REPO_ROOT / ".venv-clients"
OLD_PYTHON = CLIENTS_VENV / "bin" / "python"
OLD_AWS = CLIENTS_VENV / "bin" / "aws"


def require_cookies() -> Path:
    if not (COOKIES_DIR / "manifests" / "train_class.manifest").is_file():
        pytest.skip(f"cookie dataset not found at {COOKIES_DIR} (shared/ must sit beside the repo)")
    return COOKIES_DIR


def require_old_clients() -> None:
    require_clients(
        OLD_PYTHON.is_file() and OLD_AWS.is_file(), f"old clients not installed at {CLIENTS_VENV}"
    )
