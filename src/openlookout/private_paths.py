"""Owner-only files and folders, whatever the process umask (docs/security.md).

The data dir holds the metadata database, the root credentials, the KMS keyring and every
object; it is created 0700 and the secrets in it 0600, so another local user reads none of
them even under a permissive umask such as 022.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with mode 0700; an existing folder is left as it is."""
    if path.is_dir():
        return
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(path, DIR_MODE)  # mkdir's mode is masked by the umask; chmod is not


def restrict_to_owner(path: Path) -> None:
    """Drop group and other permissions from an existing file (no-op when it is absent)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        os.chmod(path, mode & 0o700)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists; tighten it when it does."""
    make_private_dir(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    restrict_to_owner(path)
