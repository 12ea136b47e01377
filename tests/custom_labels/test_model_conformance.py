"""Our declared Custom Labels operations against the last official botocore model (1.40.60)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from botocore.model import ServiceModel, Shape, StructureShape

from openlookout.api.shapes.rekognition import SERVICE
from support.requirements import missing_clients

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / ".venv-clients/lib/python3.11/site-packages/botocore/data/rekognition/2016-06-27"
CONSTRAINTS = ("min", "max", "pattern", "enum", "idempotencyToken", "requiresLength")
# The 23 operations of spec B.3: exactly these, no more.
CUSTOM_LABELS_OPERATIONS = {
    "CreateProject",
    "DescribeProjects",
    "DeleteProject",
    "CreateDataset",
    "DescribeDataset",
    "DeleteDataset",
    "ListDatasetEntries",
    "ListDatasetLabels",
    "UpdateDatasetEntries",
    "DistributeDatasetEntries",
    "CreateProjectVersion",
    "DescribeProjectVersions",
    "DeleteProjectVersion",
    "StartProjectVersion",
    "StopProjectVersion",
    "DetectCustomLabels",
    "CopyProjectVersion",
    "PutProjectPolicy",
    "ListProjectPolicies",
    "DeleteProjectPolicy",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
}


@pytest.fixture(scope="module")
def reference() -> ServiceModel:
    path = REFERENCE / "service-2.json.gz"
    if not path.exists():
        missing_clients(f"reference botocore model not found at {path} (needs .venv-clients)")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return ServiceModel(json.load(fh), service_name="rekognition")


def _describe(shape: Shape | None, seen: tuple[str, ...] = ()) -> object:
    """Everything about a shape that reaches the wire, recursively; docs and error statuses excluded."""
    if shape is None:
        return None
    info: dict[str, object] = {"type": shape.type_name}
    info.update({key: shape.metadata[key] for key in CONSTRAINTS if key in shape.metadata})
    if shape.name in seen:
        return info
    seen = (*seen, shape.name)
    if isinstance(shape, StructureShape):
        info["required"] = sorted(shape.required_members)
        info["members"] = {name: _describe(member, seen) for name, member in shape.members.items()}
    elif shape.type_name == "list":
        info["member"] = _describe(shape.member, seen)
    elif shape.type_name == "map":
        info["key"] = _describe(shape.key, seen)
        info["value"] = _describe(shape.value, seen)
    return info


def test_exactly_the_custom_labels_operations_are_declared() -> None:
    assert set(SERVICE.operation_names) == CUSTOM_LABELS_OPERATIONS


def test_metadata_matches(reference: ServiceModel) -> None:
    for key in ("apiVersion", "endpointPrefix", "targetPrefix", "serviceId", "protocol", "jsonVersion"):
        assert SERVICE.metadata[key] == reference.metadata[key], key
    assert SERVICE.signing_name == reference.signing_name


@pytest.mark.parametrize("name", sorted(CUSTOM_LABELS_OPERATIONS))
def test_operation_matches_reference(reference: ServiceModel, name: str) -> None:
    ours, theirs = SERVICE.operation_model(name), reference.operation_model(name)
    assert ours.http["method"] == theirs.http["method"] == "POST"
    assert ours.http["requestUri"] == theirs.http["requestUri"] == "/"
    assert _describe(ours.input_shape) == _describe(theirs.input_shape)
    assert _describe(ours.output_shape) == _describe(theirs.output_shape)
    assert [e.name for e in ours.error_shapes] == [e.name for e in theirs.error_shapes]


def test_error_statuses_follow_the_spec() -> None:
    for error in SERVICE.operation_model("DetectCustomLabels").error_shapes:
        expected = 500 if error.name in ("InternalServerError", "ThrottlingException") else 400
        assert error.metadata["error"]["httpStatusCode"] == expected, error.name
