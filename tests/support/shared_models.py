"""Trained model folders shared by every pytest-xdist worker of one test run, and across runs.

A session fixture runs once per worker, and the test command runs two, so a model that
several test files use would be trained twice. The first worker that asks trains it under a
file lock; the others wait and reuse it.

The folder is also kept between runs in a cache keyed by everything the training reads: the
fixture's name, the source of ``src/openlookout`` and of the calling test package, the bytes
of the dataset files the fixture names, and the Python and PyTorch versions. Any change to
one of them is another key, so a cached model is always the one this code would train; a
fresh clone (CI) starts empty and trains each model once. ``OPENLOOKOUT_TEST_MODEL_CACHE``
moves the cache (default ``.cache/test-models`` in the checkout); ``off`` keeps each model
to its run only.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import uuid
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

import pytest
from filelock import FileLock

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE_ROOT = REPO_ROOT / "src" / "openlookout"
CACHE_ENV = "OPENLOOKOUT_TEST_MODEL_CACHE"


def run_shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every worker of this run sees (the base temp's parent under xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if "PYTEST_XDIST_WORKER" in os.environ else base


def shared_model_dir(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    train: Callable[[Path], object],
    *,
    inputs: Iterable[Path] = (),
    test_package: Path | None = None,
) -> Path:
    """The folder ``train(folder)`` fills, trained once whatever the number of workers and runs.

    ``inputs``: the dataset files the training reads; ``test_package``: the folder of the test
    code that builds the training data (its ``*.py`` files are part of the key).
    """
    root = cache_root() or run_shared_dir(tmp_path_factory) / "shared-models"
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"{name}-{cache_key(name, inputs, test_package)}"
    with FileLock(str(target.with_suffix(".lock"))):
        if not target.is_dir():
            partial = target.with_name(f"{target.name}.{uuid.uuid4().hex}.partial")
            try:
                train(partial)
                partial.rename(target)  # whole or absent: a failed training leaves no folder
            finally:
                shutil.rmtree(partial, ignore_errors=True)
            _forget_other_versions(root, name, keep=target)
    return target


def _forget_other_versions(root: Path, name: str, keep: Path) -> None:
    """Drop this fixture's models of other code or data versions: they can never match again."""
    for folder in root.glob(f"{name}-*"):
        if folder.is_dir() and folder != keep and not folder.name.endswith(".partial"):
            shutil.rmtree(folder, ignore_errors=True)


def cache_root() -> Path | None:
    """The folder kept between runs, or None where the cache is switched off."""
    configured = os.environ.get(CACHE_ENV, "")
    if configured == "off":
        return None
    return Path(configured) if configured else REPO_ROOT / ".cache" / "test-models"


def cache_key(name: str, inputs: Iterable[Path], test_package: Path | None) -> str:
    digest = hashlib.sha256()
    for part in (name, platform.python_version(), _torch_version(), source_digest(SOURCE_ROOT)):
        digest.update(part.encode() + b"\0")
    if test_package is not None:
        digest.update(source_digest(test_package).encode())
    for path in sorted(inputs):
        # The label folder is part of the name (normal/, anomaly/).
        digest.update("/".join(path.parts[-3:]).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def source_digest(folder: Path) -> str:
    """One hash over every ``.py`` file below ``folder``, names and contents."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _torch_version() -> str:
    import torch

    return str(torch.__version__)
