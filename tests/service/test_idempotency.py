"""ClientToken: replays return the first response and do nothing; reuse with other parameters conflicts."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from openlookout.errors import ConflictError
from openlookout.hosting.local import LocalModelHost
from openlookout.service.lookoutvision import LookoutVisionService
from openlookout.store.base import utcnow
from openlookout.store.db import open_database, write_session
from openlookout.store.lookoutvision_tables import ClientToken, Model

from .conftest import OUTPUT, jobs_of_kind, make_trainable_project


def _model_count(service: LookoutVisionService) -> int:
    with service.sessions() as session:
        return len(session.scalars(select(Model.id)).all())


def test_same_token_twice_creates_one_model(service: LookoutVisionService) -> None:
    make_trainable_project(service, service.sessions, "p")
    first = service.create_model("p", OUTPUT, description="d", client_token="tok-1")
    again = service.create_model("p", OUTPUT, description="d", client_token="tok-1")
    assert again == first
    assert _model_count(service) == 1
    assert len(jobs_of_kind(service.sessions, "train_model")) == 1
    # A different token is a new call.
    assert (
        service.create_model("p", OUTPUT, description="d", client_token="tok-2")["ModelMetadata"][
            "ModelVersion"
        ]
        == "2"
    )


def test_same_token_other_parameters_conflicts(service: LookoutVisionService) -> None:
    make_trainable_project(service, service.sessions, "p")
    service.create_model("p", OUTPUT, client_token="tok")
    with pytest.raises(ConflictError, match="different parameters"):
        service.create_model("p", OUTPUT, description="changed", client_token="tok")
    assert _model_count(service) == 1


def test_replay_survives_later_state_changes(service: LookoutVisionService) -> None:
    first = service.create_project("p", client_token="abc")
    # Without the token this would be a ConflictException (duplicate name).
    assert service.create_project("p", client_token="abc") == first
    assert service.delete_project("p", client_token="del") == {
        "ProjectArn": first["ProjectMetadata"]["ProjectArn"]
    }
    # The project is gone, yet the retried DeleteProject answers like the first call.
    assert (
        service.delete_project("p", client_token="del")["ProjectArn"]
        == first["ProjectMetadata"]["ProjectArn"]
    )


def test_tokens_are_per_operation(service: LookoutVisionService) -> None:
    service.create_project("p", client_token="same")
    service.create_dataset("p", "train", client_token="same")
    assert service.describe_project("p")["ProjectDescription"]["Datasets"][0]["DatasetType"] == "train"


def test_update_entries_replay_queues_once(service: LookoutVisionService) -> None:
    service.create_project("p")
    service.create_dataset("p", "train")
    for _ in range(2):
        assert service.update_dataset_entries("p", "train", b"{}\n", client_token="u1") == {
            "Status": "UPDATE_IN_PROGRESS"
        }
    assert len(jobs_of_kind(service.sessions, "update_dataset")) == 1
    internal = service.settings.internal_bucket
    assert len(service.blobs.list(internal, prefix="dataset-changes/").objects) == 1


def test_expired_token_is_a_new_call(service: LookoutVisionService) -> None:
    make_trainable_project(service, service.sessions, "p")
    service.create_model("p", OUTPUT, client_token="old")
    with write_session(service.sessions) as session:
        session.execute(update(ClientToken).values(created_at=utcnow() - timedelta(hours=8, minutes=1)))
    assert service.create_model("p", OUTPUT, client_token="old")["ModelMetadata"]["ModelVersion"] == "2"


def test_expired_tokens_are_pruned(service: LookoutVisionService) -> None:
    service.create_project("a", client_token="t1")
    with write_session(service.sessions) as session:
        session.execute(update(ClientToken).values(created_at=utcnow() - timedelta(hours=9)))
    service.create_project("b", client_token="t2")
    with service.sessions() as session:
        assert session.scalars(select(ClientToken.token)).all() == ["t2"]


def test_racing_identical_create_model_calls_create_one_model(service: LookoutVisionService) -> None:
    make_trainable_project(service, service.sessions, "p")
    results: list[dict] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def call() -> None:
        # Separate engines, as in separate server processes.
        own = LookoutVisionService(
            service.settings,
            open_database(service.settings, migrate=False),
            service.blobs,
            None,
            service.runner,
            LocalModelHost(),
        )
        barrier.wait()
        try:
            results.append(own.create_model("p", OUTPUT, client_token="race"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 4 and all(r == results[0] for r in results)
    assert _model_count(service) == 1
    assert len(jobs_of_kind(service.sessions, "train_model")) == 1
