"""Requests signed for any AWS region are served; each region has its own resources (issue 12 #14).

Scripts such as AWS's find_running_models.py loop over every region with one endpoint.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .clients.connect import lookoutvision_client
from .test_custom_labels import rekognition

OTHER = "eu-west-1"


def code_of(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def test_lookoutvision_regions_are_separate(config: dict[str, Any]) -> None:
    home = lookoutvision_client(config)  # us-east-1
    away = lookoutvision_client({**config, "region": OTHER})
    arn = home.create_project(ProjectName="regional")["ProjectMetadata"]["ProjectArn"]
    assert arn.startswith("arn:aws:lookoutvision:us-east-1:")
    assert "regional" not in [p["ProjectName"] for p in away.list_projects()["Projects"]]
    assert code_of(lambda: away.describe_project(ProjectName="regional")) == "ResourceNotFoundException"
    assert code_of(lambda: away.list_tags_for_resource(ResourceArn=arn)) == "ResourceNotFoundException"
    # The same name is free in the other region, with that region in its ARN.
    there = away.create_project(ProjectName="regional")["ProjectMetadata"]["ProjectArn"]
    assert there == arn.replace("us-east-1", OTHER)
    assert [p["ProjectName"] for p in away.list_projects()["Projects"]] == ["regional"]
    away.delete_project(ProjectName="regional")
    assert home.describe_project(ProjectName="regional")["ProjectDescription"]["ProjectArn"] == arn
    home.delete_project(ProjectName="regional")


def test_rekognition_regions_are_separate(config: dict[str, Any]) -> None:
    home = rekognition(config)
    away = rekognition({**config, "region": OTHER})
    arn = home.create_project(ProjectName="regional-cl")["ProjectArn"]
    assert arn.startswith("arn:aws:rekognition:us-east-1:")
    listed = away.describe_projects(ProjectNames=["regional-cl"])["ProjectDescriptions"]
    assert listed == []
    dataset = home.create_dataset(ProjectArn=arn, DatasetType="TRAIN")["DatasetArn"]
    assert code_of(lambda: away.describe_dataset(DatasetArn=dataset)) == "ResourceNotFoundException"
    assert code_of(lambda: away.delete_project(ProjectArn=arn)) == "ResourceNotFoundException"
    assert away.create_project(ProjectName="regional-cl")["ProjectArn"].startswith(
        f"arn:aws:rekognition:{OTHER}:"
    )
    assert home.describe_dataset(DatasetArn=dataset)["DatasetDescription"]["Status"] == "CREATE_COMPLETE"


def test_a_made_up_region_is_refused(config: dict[str, Any]) -> None:
    assert code_of(lambda: lookoutvision_client({**config, "region": "moon-base"}).list_projects()) == (
        "InvalidSignatureException"
    )
