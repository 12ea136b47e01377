"""Hosting and packaging calls on a trained, not hosted model: real errors, never fake successes."""

from __future__ import annotations

import pytest

from openlookout.errors import ConflictError, InvalidInputError, NotFoundError
from openlookout.service.lookoutvision import LookoutVisionService

from .conftest import OUTPUT, make_trainable_project, set_model_fields


@pytest.fixture
def trained(service: LookoutVisionService) -> LookoutVisionService:
    make_trainable_project(service, service.sessions, "p")
    service.create_model("p", OUTPUT)
    set_model_fields(service.sessions, "p", 1, status="TRAINED")
    return service


def test_unknown_project_or_model_is_not_found(trained: LookoutVisionService) -> None:
    with pytest.raises(NotFoundError):
        trained.start_model("ghost", "1", min_inference_units=1)
    with pytest.raises(NotFoundError) as err:
        trained.stop_model("p", "2")
    assert err.value.resource_type == "MODEL"
    with pytest.raises(NotFoundError):
        trained.detect_anomalies("p", "9", b"\x89PNG", "image/png")
    with pytest.raises(NotFoundError):
        trained.start_model_packaging_job("p", "4", configuration={})


def test_not_hosted_model_conflicts(trained: LookoutVisionService) -> None:
    with pytest.raises(ConflictError, match="not hosted"):
        trained.detect_anomalies("p", "1", b"\xff\xd8", "image/jpeg")
    with pytest.raises(ConflictError, match="not hosted"):
        trained.stop_model("p", "1")


def test_packaging_validates_the_configuration(trained: LookoutVisionService) -> None:
    # Full packaging coverage lives in tests/packaging; here only the facade's delegation.
    with pytest.raises(InvalidInputError, match="exactly one of TargetDevice and TargetPlatform"):
        trained.start_model_packaging_job("p", "1", configuration={"Greengrass": {}})


def test_packaging_job_listing(trained: LookoutVisionService) -> None:
    assert trained.list_model_packaging_jobs("p") == {"ModelPackagingJobs": []}
    with pytest.raises(NotFoundError) as err:
        trained.describe_model_packaging_job("p", "job-1")
    assert err.value.resource_type == "MODEL_PACKAGE_JOB"
    with pytest.raises(NotFoundError) as err:
        trained.list_model_packaging_jobs("ghost")
    assert err.value.resource_type == "PROJECT"
