"""The composition root: every backend the services use, built once from ``Settings``.

``build_deps`` is the one place that opens the database and builds the blob store, the
keyring, the job runner and the model hosts; the server builds it once at start-up and hands
it to both service facades, which construct no backend themselves. A job worker process
builds only the parts a job needs (``build_job_context``): no runner, no model host.
Which runner and host implementation is built follows ``Settings.job_runner`` and
``Settings.model_host``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from openlookout.blobs.factory import create_blob_store
from openlookout.config import Settings
from openlookout.jobs.base import JobContext
from openlookout.kms.keyring import Keyring
from openlookout.private_paths import make_private_dir
from openlookout.store.db import open_database

if TYPE_CHECKING:
    from openlookout.blobs.base import BlobStore
    from openlookout.hosting.base import ModelHost
    from openlookout.jobs.runner import LocalJobRunner
    from openlookout.ml.api import ImagePrediction
    from openlookout.service.custom_labels.hosting import CustomLabelsPrediction

JOB_RUNNERS = ("local",)
MODEL_HOSTS = ("local",)


@dataclass(frozen=True)
class ModelHosts:
    """One host per API: their units load different kinds of model."""

    lookoutvision: ModelHost[ImagePrediction]
    custom_labels: ModelHost[CustomLabelsPrediction]


@dataclass(frozen=True)
class ServiceDeps:
    settings: Settings
    sessions: sessionmaker[Session]
    blobs: BlobStore
    # The one keyring file both APIs' KmsKeyId refer to (spec B.9).
    keyring: Keyring
    runner: LocalJobRunner
    hosts: ModelHosts


def build_deps(settings: Settings) -> ServiceDeps:
    """Every backend, once; nothing is started (the app starts the runner and the hosts)."""
    check_choices(settings)
    make_private_dir(settings.data_dir)
    sessions = open_database(settings)
    return ServiceDeps(
        settings=settings,
        sessions=sessions,
        blobs=create_blob_store(settings),
        keyring=build_keyring(settings),
        runner=build_job_runner(settings, sessions),
        hosts=build_model_hosts(settings),
    )


def check_choices(settings: Settings) -> None:
    """Refuse an unknown runner or host before anything is opened."""
    _check_choice("job runner", "OPENLOOKOUT_JOB_RUNNER", settings.job_runner, JOB_RUNNERS)
    _check_choice("model host", "OPENLOOKOUT_MODEL_HOST", settings.model_host, MODEL_HOSTS)


def _check_choice(what: str, env: str, value: str, known: tuple[str, ...]) -> None:
    if value not in known:
        expected = ", ".join(repr(k) for k in known)
        raise ValueError(f"Unknown {what} {value!r} (set by {env}); expected {expected}.")


def build_keyring(settings: Settings) -> Keyring:
    return Keyring(settings.keyring_path, settings.region, settings.account_id)


# The runner and the hosts are imported where they are built: a job worker imports this
# module for its job context and should not pay for the server-only parts.


def build_job_runner(settings: Settings, sessions: sessionmaker[Session]) -> LocalJobRunner:
    from openlookout.jobs.runner import LocalJobRunner

    _check_choice("job runner", "OPENLOOKOUT_JOB_RUNNER", settings.job_runner, JOB_RUNNERS)
    return LocalJobRunner(settings, sessions)


def build_model_hosts(settings: Settings) -> ModelHosts:
    from openlookout.hosting.local import HostingPolicy, LocalModelHost
    from openlookout.service.custom_labels.hosting import LABEL_LOADER

    _check_choice("model host", "OPENLOOKOUT_MODEL_HOST", settings.model_host, MODEL_HOSTS)
    # The embedded hosts spawn nothing until a model is started.
    return ModelHosts(
        lookoutvision=LocalModelHost(),
        custom_labels=LocalModelHost(HostingPolicy(loader=LABEL_LOADER)),
    )


def open_job_sessions(settings: Settings) -> sessionmaker[Session]:
    """The database as a job worker opens it: the server already migrated it."""
    return open_database(settings, migrate=False)


def build_job_context(settings: Settings, sessions: sessionmaker[Session]) -> JobContext:
    """What a job handler needs, for a worker process or the runner's own failure path."""
    return JobContext(
        settings=settings,
        sessions=sessions,
        blobs=create_blob_store(settings),
        keyring=build_keyring(settings),
    )
