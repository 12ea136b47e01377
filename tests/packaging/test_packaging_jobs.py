"""StartModelPackagingJob / DescribeModelPackagingJob / ListModelPackagingJobs through the facade."""

from __future__ import annotations

import uuid

import pytest
from packaging_helpers import OUT_BUCKET, add_model, greengrass
from sqlalchemy import select

from openlookout.errors import ConflictError, InvalidInputError, NotFoundError
from openlookout.service.lookoutvision import LookoutVisionService
from openlookout.store.common_tables import Job


def queued_kinds(service: LookoutVisionService) -> list[str]:
    with service.sessions() as session:
        return [job.kind for job in session.scalars(select(Job).order_by(Job.id))]


def test_start_records_a_created_job_and_queues_the_packaging(trained: LookoutVisionService) -> None:
    answer = trained.start_model_packaging_job("p", "1", greengrass(), job_name="job-1", description="first")
    assert answer == {"JobName": "job-1"}
    assert queued_kinds(trained) == ["package_model"]
    described = trained.describe_model_packaging_job("p", "job-1")["ModelPackagingDescription"]
    assert described["Status"] == "CREATED"
    assert described["ModelVersion"] == "1"
    assert described["ModelPackagingMethod"] == "Greengrass"
    assert described["ModelPackagingJobDescription"] == "first"
    config = described["ModelPackagingConfiguration"]["Greengrass"]
    assert config["ComponentVersion"] == "1.0.0"  # default: <ModelVersion>.0.0
    assert config["S3OutputLocation"] == {"Bucket": OUT_BUCKET, "Prefix": "packages/"}
    assert "ModelPackagingOutputDetails" not in described  # only once the component exists


def test_default_job_name_is_a_uuid(trained: LookoutVisionService) -> None:
    name = trained.start_model_packaging_job("p", "latest", greengrass())["JobName"]
    assert str(uuid.UUID(name)) == name


def test_component_name_and_version_are_unique_across_projects(trained: LookoutVisionService) -> None:
    trained.start_model_packaging_job("p", "1", greengrass(ComponentVersion="2.0.0"), job_name="a")
    trained.create_project("q")
    add_model(trained.sessions, "q", "HOSTED")
    with pytest.raises(ConflictError) as err:
        trained.start_model_packaging_job("q", "1", greengrass(ComponentVersion="2.0.0"), job_name="b")
    assert err.value.resource_type == "MODEL_PACKAGE_JOB"
    # Another version of the same component is fine.
    trained.start_model_packaging_job("q", "1", greengrass(ComponentVersion="2.0.1"), job_name="b")


def test_job_names_are_unique_per_project(trained: LookoutVisionService) -> None:
    trained.start_model_packaging_job("p", "1", greengrass(), job_name="same")
    with pytest.raises(ConflictError) as err:
        trained.start_model_packaging_job("p", "1", greengrass(ComponentVersion="9.0.0"), job_name="same")
    assert err.value.resource_type == "MODEL_PACKAGE_JOB"


@pytest.mark.parametrize("status", ["TRAINING", "TRAINING_FAILED", "STARTING_HOSTING", "DELETING"])
def test_only_trained_or_hosted_models_can_be_packaged(trained: LookoutVisionService, status: str) -> None:
    version = add_model(trained.sessions, "p", status)
    with pytest.raises(ConflictError) as err:
        trained.start_model_packaging_job("p", str(version), greengrass(ComponentVersion=f"{version}.1.0"))
    assert err.value.resource_type == "MODEL"
    assert queued_kinds(trained) == []


def test_missing_output_bucket_is_a_clear_validation_error(trained: LookoutVisionService) -> None:
    location = {"Bucket": "no-such-bucket", "Prefix": ""}
    with pytest.raises(InvalidInputError, match=r"no-such-bucket.*does not exist"):
        trained.start_model_packaging_job("p", "1", greengrass(S3OutputLocation=location))


def test_unknown_project_model_or_job_is_not_found(trained: LookoutVisionService) -> None:
    with pytest.raises(NotFoundError) as err:
        trained.start_model_packaging_job("ghost", "1", greengrass())
    assert err.value.resource_type == "PROJECT"
    with pytest.raises(NotFoundError) as err:
        trained.start_model_packaging_job("p", "7", greengrass())
    assert err.value.resource_type == "MODEL"
    with pytest.raises(NotFoundError) as err:
        trained.describe_model_packaging_job("p", "nope")
    assert (err.value.resource_type, err.value.resource_id) == ("MODEL_PACKAGE_JOB", "nope")


def test_client_token_replays_without_a_second_job(trained: LookoutVisionService) -> None:
    first = trained.start_model_packaging_job("p", "1", greengrass(), client_token="tok-1")
    again = trained.start_model_packaging_job("p", "1", greengrass(), client_token="tok-1")
    assert first == again
    assert queued_kinds(trained) == ["package_model"]
    with pytest.raises(ConflictError):
        trained.start_model_packaging_job("p", "1", greengrass(ComponentName="other"), client_token="tok-1")


def test_listing_is_newest_first_and_paginated(trained: LookoutVisionService) -> None:
    assert trained.list_model_packaging_jobs("p") == {"ModelPackagingJobs": []}
    for index in range(3):
        trained.start_model_packaging_job(
            "p", "1", greengrass(ComponentVersion=f"1.0.{index}"), job_name=f"job-{index}"
        )
    page = trained.list_model_packaging_jobs("p", max_results=2)
    assert [j["JobName"] for j in page["ModelPackagingJobs"]] == ["job-2", "job-1"]
    assert page["ModelPackagingJobs"][0]["Status"] == "CREATED"
    rest = trained.list_model_packaging_jobs("p", next_token=page["NextToken"], max_results=2)
    assert [j["JobName"] for j in rest["ModelPackagingJobs"]] == ["job-0"]
    assert "NextToken" not in rest
    with pytest.raises(InvalidInputError):
        trained.list_model_packaging_jobs("p", max_results=101)
    with pytest.raises(NotFoundError) as err:
        trained.list_model_packaging_jobs("ghost")
    assert err.value.resource_type == "PROJECT"
