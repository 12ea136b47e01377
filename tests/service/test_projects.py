"""Projects through the facade: CreateProject, DescribeProject, ListProjects, DeleteProject."""

from __future__ import annotations

import base64
import re
from datetime import datetime

import pytest

from openlookout.errors import ConflictError, InvalidInputError, NotFoundError
from openlookout.service.lookoutvision import LookoutVisionService

from .conftest import OUTPUT, make_trainable_project


def test_create_and_describe(service: LookoutVisionService) -> None:
    meta = service.create_project("cookies")["ProjectMetadata"]
    assert meta["ProjectName"] == "cookies"
    assert meta["ProjectArn"] == "arn:aws:lookoutvision:us-east-1:123456789012:project/cookies"
    assert isinstance(meta["CreationTimestamp"], datetime) and meta["CreationTimestamp"].tzinfo
    description = service.describe_project("cookies")["ProjectDescription"]
    assert description["Datasets"] == []
    assert description["ProjectArn"] == meta["ProjectArn"]
    assert description["CreationTimestamp"] == meta["CreationTimestamp"]


def test_arn_uses_configured_region_and_account(service: LookoutVisionService) -> None:
    service.settings.region, service.settings.account_id = "eu-west-1", "999999999999"
    arn = service.create_project("p")["ProjectMetadata"]["ProjectArn"]
    assert arn == "arn:aws:lookoutvision:eu-west-1:999999999999:project/p"


def test_duplicate_name_conflicts(service: LookoutVisionService) -> None:
    service.create_project("p")
    with pytest.raises(ConflictError) as err:
        service.create_project("p")
    assert err.value.resource_type == "PROJECT" and err.value.resource_id == "p"


def test_describe_lists_datasets_with_status(service: LookoutVisionService) -> None:
    service.create_project("p")
    service.create_dataset("p", "test")
    service.create_dataset("p", "train", {"GroundTruthManifest": {"S3Object": {"Bucket": "b", "Key": "k"}}})
    datasets = service.describe_project("p")["ProjectDescription"]["Datasets"]
    assert [(d["DatasetType"], d["Status"]) for d in datasets] == [
        ("train", "CREATE_IN_PROGRESS"),
        ("test", "CREATE_COMPLETE"),
    ]
    assert all(d["StatusMessage"] for d in datasets)


def test_missing_project_is_not_found(service: LookoutVisionService) -> None:
    for call in (
        lambda: service.describe_project("nope"),
        lambda: service.delete_project("nope"),
        lambda: service.create_dataset("nope", "train"),
        lambda: service.list_models("nope"),
    ):
        with pytest.raises(NotFoundError) as err:
            call()
        assert err.value.resource_type == "PROJECT" and err.value.resource_id == "nope"


def test_list_in_name_order_with_pagination(service: LookoutVisionService) -> None:
    names = ["delta", "alpha", "charlie", "bravo", "echo"]
    for name in names:
        service.create_project(name)
    page = service.list_projects(max_results=2)
    seen = [p["ProjectName"] for p in page["Projects"]]
    while "NextToken" in page:
        assert re.fullmatch(r"[a-zA-Z0-9/+=]{0,2048}", page["NextToken"])
        page = service.list_projects(next_token=page["NextToken"], max_results=2)
        seen += [p["ProjectName"] for p in page["Projects"]]
    assert seen == sorted(names)
    assert "NextToken" not in service.list_projects()
    assert [p["ProjectName"] for p in service.list_projects()["Projects"]] == sorted(names)


@pytest.mark.parametrize("token", ["not a token!", "Zm9v", base64.b64encode(b'{"k":"a","q":"x"}').decode()])
def test_bad_next_token_is_invalid_input(service: LookoutVisionService, token: str) -> None:
    with pytest.raises(InvalidInputError):
        service.list_projects(next_token=token)


@pytest.mark.parametrize("max_results", [0, 101])
def test_max_results_out_of_range(service: LookoutVisionService, max_results: int) -> None:
    with pytest.raises(InvalidInputError):
        service.list_projects(max_results=max_results)


def test_token_of_another_listing_is_refused(service: LookoutVisionService, sessions) -> None:
    service.create_project("a")
    service.create_project("b")
    token = service.list_projects(max_results=1)["NextToken"]
    with pytest.raises(InvalidInputError):
        service.list_models("a", next_token=token)


def test_delete_refused_while_datasets_or_models_exist(service: LookoutVisionService, sessions) -> None:
    make_trainable_project(service, sessions, "p")
    service.create_model("p", OUTPUT)
    with pytest.raises(ConflictError) as err:
        service.delete_project("p")
    assert "datasets (train)" in err.value.message and "model versions (1)" in err.value.message


def test_delete_removes_project_and_its_tags(service: LookoutVisionService) -> None:
    arn = service.create_project("p")["ProjectMetadata"]["ProjectArn"]
    service.tag_resource(arn, [{"Key": "team", "Value": "qa"}])
    assert service.delete_project("p") == {"ProjectArn": arn}
    assert service.list_projects()["Projects"] == []
    service.create_project("p")  # the name is free again, and the old tags are gone
    assert service.list_tags_for_resource(arn) == {"Tags": []}
