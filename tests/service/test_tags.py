"""TagResource, UntagResource, ListTagsForResource on project and model ARNs."""

from __future__ import annotations

import pytest

from openlookout.errors import InvalidInputError, NotFoundError, QuotaExceededError
from openlookout.service.lookoutvision import LookoutVisionService

from .conftest import OUTPUT, make_trainable_project


def test_tag_list_untag_project(service: LookoutVisionService) -> None:
    arn = service.create_project("p")["ProjectMetadata"]["ProjectArn"]
    assert service.tag_resource(arn, [{"Key": "b", "Value": "1"}, {"Key": "a", "Value": ""}]) == {}
    service.tag_resource(arn, [{"Key": "b", "Value": "2"}])  # overwrite
    assert service.list_tags_for_resource(arn)["Tags"] == [
        {"Key": "a", "Value": ""},
        {"Key": "b", "Value": "2"},
    ]
    assert service.untag_resource(arn, ["a", "not-there"]) == {}
    assert service.list_tags_for_resource(arn)["Tags"] == [{"Key": "b", "Value": "2"}]


def test_tag_model(service: LookoutVisionService) -> None:
    make_trainable_project(service, service.sessions, "p")
    arn = service.create_model("p", OUTPUT)["ModelMetadata"]["ModelArn"]
    service.tag_resource(arn, [{"Key": "Ünïcode key 1", "Value": "x@y.z"}])
    assert service.list_tags_for_resource(arn)["Tags"] == [{"Key": "Ünïcode key 1", "Value": "x@y.z"}]


@pytest.mark.parametrize(
    "arn",
    [
        "not-an-arn",
        "arn:aws:lookoutvision:us-east-1:123456789012:dataset/p/train",
        "arn:aws:lookoutvision:us-east-1:123456789012:model/p",
        "arn:aws:lookoutvision:us-east-1:123456789012:project/p/1",
        "arn:aws:s3:::bucket",
    ],
)
def test_malformed_arn_is_invalid(service: LookoutVisionService, arn: str) -> None:
    with pytest.raises(InvalidInputError):
        service.list_tags_for_resource(arn)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:lookoutvision:us-east-1:123456789012:project/ghost",
        "arn:aws:lookoutvision:us-east-1:123456789012:model/p/9",
        "arn:aws:lookoutvision:eu-west-1:123456789012:project/p",
        "arn:aws:lookoutvision:us-east-1:000000000000:project/p",
    ],
)
def test_unknown_resource_is_not_found(service: LookoutVisionService, arn: str) -> None:
    service.create_project("p")
    with pytest.raises(NotFoundError):
        service.tag_resource(arn, [{"Key": "k", "Value": "v"}])


@pytest.mark.parametrize(
    "tag",
    [
        {"Key": "", "Value": "v"},
        {"Key": "k" * 129, "Value": ""},
        {"Key": "k", "Value": "v" * 257},
        {"Key": "bad#key", "Value": ""},
        {"Key": "aws:reserved", "Value": ""},
    ],
)
def test_invalid_tags(service: LookoutVisionService, tag: dict[str, str]) -> None:
    arn = service.create_project("p")["ProjectMetadata"]["ProjectArn"]
    with pytest.raises(InvalidInputError):
        service.tag_resource(arn, [tag])


def test_at_most_200_tags_after_merge(service: LookoutVisionService) -> None:
    arn = service.create_project("p")["ProjectMetadata"]["ProjectArn"]
    with pytest.raises(InvalidInputError):
        service.tag_resource(arn, [{"Key": f"k{i}", "Value": ""} for i in range(201)])
    service.tag_resource(arn, [{"Key": f"k{i}", "Value": ""} for i in range(150)])
    service.tag_resource(arn, [{"Key": f"k{i}", "Value": "new"} for i in range(100, 200)])  # 50 new → 200
    with pytest.raises(QuotaExceededError):
        service.tag_resource(arn, [{"Key": "one-more", "Value": ""}])
    assert len(service.list_tags_for_resource(arn)["Tags"]) == 200
