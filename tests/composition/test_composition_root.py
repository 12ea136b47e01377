"""The composition root builds every backend once; both facades and the job worker use it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from openlookout.api.app import build_context
from openlookout.composition import build_deps, build_job_context
from openlookout.config import Settings
from openlookout.hosting.local import DEFAULT_LOADER, LocalModelHost
from openlookout.jobs.runner import LocalJobRunner
from openlookout.jobs.worker import build_context as build_worker_context
from openlookout.service.custom_labels.hosting import LABEL_LOADER


def test_build_deps_builds_each_backend_once_and_starts_nothing(tmp_path: Path) -> None:
    deps = build_deps(Settings(data_dir=tmp_path / "data"))
    assert isinstance(deps.runner, LocalJobRunner) and deps.runner.sessions is deps.sessions
    assert deps.keyring.path == deps.settings.keyring_path
    lv_host, cl_host = deps.hosts.lookoutvision, deps.hosts.custom_labels
    assert isinstance(lv_host, LocalModelHost) and isinstance(cl_host, LocalModelHost)
    assert lv_host.policy.loader == DEFAULT_LOADER and cl_host.policy.loader == LABEL_LOADER
    assert deps.runner._thread is None  # the app starts it


def test_both_services_share_the_root_backends(tmp_path: Path) -> None:
    ctx, runner = build_context(Settings(data_dir=tmp_path / "data"))
    lv, cl = ctx.lookoutvision, ctx.rekognition
    assert cl is not None
    assert lv.sessions is cl.sessions and lv.blobs is cl.blobs is ctx.blobs
    assert lv.runner is cl.runner is runner
    # One keyring object for both APIs and for the Custom Labels hosting that decrypts models.
    assert lv.keyring is cl.keyring is cl.hosting.keyring
    assert lv.hosting.host is not cl.hosting.host


@pytest.mark.parametrize(
    ("field", "env", "what"),
    [
        ("job_runner", "OPENLOOKOUT_JOB_RUNNER", "job runner"),
        ("model_host", "OPENLOOKOUT_MODEL_HOST", "model host"),
    ],
)
def test_only_the_local_runner_and_host_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, env: str, what: str
) -> None:
    monkeypatch.setenv(env, "kubernetes")
    settings = Settings.from_env(data_dir=tmp_path / "data")
    assert getattr(settings, field) == "kubernetes"
    message = f"Unknown {what} 'kubernetes' (set by {env}); expected 'local'."
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        build_deps(settings)
    assert not (tmp_path / "data" / "openlookout.db").exists()  # refused before anything is opened


def test_defaults_are_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENLOOKOUT_JOB_RUNNER", raising=False)
    monkeypatch.delenv("OPENLOOKOUT_MODEL_HOST", raising=False)
    settings = Settings.from_env()
    assert (settings.job_runner, settings.model_host) == ("local", "local")


def test_the_worker_builds_its_job_context_with_the_root(tmp_path: Path) -> None:
    deps = build_deps(Settings(data_dir=tmp_path / "data"))
    ctx = build_worker_context(deps.settings, deps.sessions)
    assert ctx.sessions is deps.sessions
    assert ctx.keyring.path == deps.keyring.path
    assert type(ctx.blobs) is type(deps.blobs)
    assert type(build_job_context(deps.settings, deps.sessions)) is type(ctx)
