"""Trained model folders shared by every pytest-xdist worker of one test run.

A session fixture runs once per worker, and the test command runs two, so a model that
several test files use would be trained twice. The first worker that asks trains it into
the run's shared temporary folder under a file lock; the others wait and reuse it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock


def run_shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every worker of this run sees (the base temp's parent under xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if "PYTEST_XDIST_WORKER" in os.environ else base


def shared_model_dir(
    tmp_path_factory: pytest.TempPathFactory, name: str, train: Callable[[Path], object]
) -> Path:
    """The folder ``train(folder)`` fills, trained once per run whatever the number of workers."""
    root = run_shared_dir(tmp_path_factory) / "shared-models"
    root.mkdir(exist_ok=True)
    target = root / name
    with FileLock(str(root / f"{name}.lock")):
        if not target.is_dir():
            partial = root / f"{name}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            train(partial)
            partial.rename(target)  # whole or absent: a failed training leaves no folder
    return target
