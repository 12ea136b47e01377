"""The Custom Labels facade's operations table against the declared Rekognition shapes."""

from __future__ import annotations

import inspect

import pytest

from openlookout.api.lookoutvision import snake_case
from openlookout.api.shapes.rekognition import SERVICE
from openlookout.service.custom_labels.facade import CustomLabelsService
from openlookout.service.custom_labels.statuses import DatasetStatus, ProjectStatus, ProjectVersionStatus


def test_every_operation_has_one_rule() -> None:
    assert set(CustomLabelsService.operations) == {snake_case(name) for name in SERVICE.operation_names}


@pytest.mark.parametrize("operation_name", sorted(SERVICE.operation_names))
def test_rule_parameters_are_the_input_members(operation_name: str) -> None:
    rule = CustomLabelsService.operations[snake_case(operation_name)]
    call, *members = inspect.signature(rule).parameters
    assert call == "call"
    input_shape = SERVICE.operation_model(operation_name).input_shape
    declared = {snake_case(name) for name in input_shape.members} if input_shape else set()
    assert set(members) == declared


@pytest.mark.parametrize("enum", [ProjectStatus, DatasetStatus, ProjectVersionStatus])
def test_status_enums_are_the_shapes_values(enum: type) -> None:
    assert [status.value for status in enum] == SERVICE.shape_for(enum.__name__).enum
