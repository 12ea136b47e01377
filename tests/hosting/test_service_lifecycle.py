"""StartModel / StopModel / DetectAnomalies through the facade with the real local host."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from openlookout.blobs.local import LocalBlobStore
from openlookout.config import Settings
from openlookout.errors import ConflictError, InvalidInputError
from openlookout.hosting.local import HostingPolicy, LocalModelHost
from openlookout.jobs.runner import LocalJobRunner
from openlookout.service.lookoutvision import LookoutVisionService
from openlookout.store.base import utcnow
from openlookout.store.db import open_database, write_session
from openlookout.store.lookoutvision_tables import Model, Project

from .conftest import striped_image

PREFIX = "models/p/1/artifacts/"


def png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[LookoutVisionService]:
    settings = Settings(data_dir=tmp_path / "data")
    sessions = open_database(settings)
    blobs = LocalBlobStore(settings.buckets_dir)
    blobs.create_bucket(settings.internal_bucket)
    host = LocalModelHost(HostingPolicy(threads_per_unit=1, device="cpu"))
    svc = LookoutVisionService(settings, sessions, blobs, None, LocalJobRunner(settings, sessions), host=host)
    svc.create_project("p")
    with write_session(sessions) as session:
        project = session.scalars(select(Project).where(Project.name == "p")).one()
        session.add(
            Model(
                project_id=project.id,
                version=1,
                arn="arn:aws:lookoutvision:us-east-1:123456789012:model/p/1",
                status="TRAINED",
                created_at=utcnow(),
                output_bucket="out",
                artifact_prefix=PREFIX,
            )
        )
    yield svc
    host.shutdown()


def upload(service: LookoutVisionService, model_dir: Path) -> None:
    for path in model_dir.iterdir():
        service.blobs.put(service.settings.internal_bucket, PREFIX + path.name, path.read_bytes())


def status_after(service: LookoutVisionService, transient: str, timeout_s: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while True:
        model = service.describe_model("p", "1")["ModelDescription"]
        if model["Status"] != transient or time.monotonic() > deadline:
            return model
        time.sleep(0.1)


def test_start_detect_stop(service: LookoutVisionService, model_dir: Path) -> None:
    upload(service, model_dir)
    with pytest.raises(InvalidInputError, match="MaxInferenceUnits"):
        service.start_model("p", "1", min_inference_units=2, max_inference_units=1)
    assert service.start_model("p", "1", min_inference_units=1, max_inference_units=2) == {
        "Status": "STARTING_HOSTING"
    }
    with pytest.raises(ConflictError):
        service.start_model("p", "1", min_inference_units=1)
    model = status_after(service, "STARTING_HOSTING")
    assert (model["Status"], model["MinInferenceUnits"], model["MaxInferenceUnits"]) == ("HOSTED", 1, 2)
    with pytest.raises(ConflictError):
        service.delete_model("p", "1")

    result = service.detect_anomalies("p", "1", png(striped_image(700, True)), "image/png")
    assert result["DetectAnomalyResult"]["IsAnomalous"] is True
    assert (
        service.detect_anomalies("p", "1", png(striped_image(701, False)), "image/png")[
            "DetectAnomalyResult"
        ]["IsAnomalous"]
        is False
    )
    with pytest.raises(InvalidInputError, match="trained on 96x64"):
        service.detect_anomalies("p", "1", png(np.zeros((10, 10, 3), np.uint8)), "image/png")
    # A valid header over cut-off data passes the server's checks; the unit's decode refuses it.
    truncated = png(striped_image(703, False))[:-200]
    with pytest.raises(InvalidInputError, match="could not be decoded") as refused:
        service.detect_anomalies("p", "1", truncated, "image/png")
    assert refused.value.field == "Body"

    assert service.stop_model("p", "1") == {"Status": "STOPPING_HOSTING"}
    assert status_after(service, "STOPPING_HOSTING")["Status"] == "TRAINED"
    assert service.hosting.host.status("1") is None
    assert not (service.settings.data_dir / "hosting" / "1").exists()
    with pytest.raises(ConflictError, match="not hosted"):
        service.detect_anomalies("p", "1", png(striped_image(700, True)), "image/png")
    # The content type is checked before the hosting status: it needs no model.
    with pytest.raises(InvalidInputError, match="ContentType"):
        service.detect_anomalies("p", "1", png(striped_image(700, True)), "image/gif")


def test_missing_artefacts_fail_hosting_and_a_retry_may_start_again(
    service: LookoutVisionService, model_dir: Path
) -> None:
    service.start_model("p", "1", min_inference_units=1)
    model = status_after(service, "STARTING_HOSTING")
    assert model["Status"] == "HOSTING_FAILED" and "could not be loaded" in str(model["StatusMessage"])
    assert "MaxInferenceUnits" not in model  # absent from StartModel: no autoscaling, not echoed
    upload(service, model_dir)
    service.start_model("p", "1", min_inference_units=1, client_token="retry-1")
    # A retried request with the same token replays the answer instead of conflicting.
    assert service.start_model("p", "1", min_inference_units=1, client_token="retry-1") == {
        "Status": "STARTING_HOSTING"
    }
    assert status_after(service, "STARTING_HOSTING")["Status"] == "HOSTED"


def test_restore_after_restart(service: LookoutVisionService, model_dir: Path) -> None:
    upload(service, model_dir)
    with write_session(service.sessions) as session:
        model = session.scalars(select(Model)).one()
        model.status, model.min_inference_units = "HOSTED", 1
    service.hosting.restore()
    assert service.describe_model("p", "1")["ModelDescription"]["Status"] == "STARTING_HOSTING"
    assert status_after(service, "STARTING_HOSTING")["Status"] == "HOSTED"
    assert service.detect_anomalies("p", "1", png(striped_image(702, True)), "image/png")

    service.hosting.shutdown()  # a server stop keeps the status for the next start-up
    with write_session(service.sessions) as session:
        session.scalars(select(Model)).one().status = "STOPPING_HOSTING"
    service.hosting.restore()
    assert service.describe_model("p", "1")["ModelDescription"]["Status"] == "TRAINED"
