"""Our declared Lookout for Vision model against the last official botocore model (1.40.60)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from openlookout.api.shapes.lookoutvision import PAGINATORS, SERVICE, SERVICE_MODEL
from support.requirements import missing_clients

REPO = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO / ".venv-clients/lib/python3.11/site-packages/botocore/data/lookoutvision/2020-11-20"
CONSTRAINTS = ("min", "max", "pattern", "enum", "idempotencyToken", "requiresLength")


def _load(name: str) -> dict:
    for candidate in (REFERENCE_DIR / name, REFERENCE_DIR / f"{name}.gz"):
        if candidate.exists():
            opener = gzip.open if candidate.suffix == ".gz" else open
            with opener(candidate, "rt", encoding="utf-8") as fh:
                return json.load(fh)
    missing_clients(f"reference botocore model not found under {REFERENCE_DIR} (needs .venv-clients)")


@pytest.fixture(scope="module")
def reference() -> ServiceModel:
    return ServiceModel(_load("service-2.json"), service_name="lookoutvision")


def _describe(shape: Shape | None, seen: tuple[str, ...] = ()) -> object:
    """Everything about a shape that reaches the wire, recursively; names and docs excluded."""
    if shape is None:
        return None
    info: dict[str, object] = {"type": shape.type_name}
    info.update({key: shape.metadata[key] for key in CONSTRAINTS if key in shape.metadata})
    info.update(
        {
            key: shape.serialization[key]
            for key in ("location", "name", "payload", "streaming")
            if key in shape.serialization
        }
    )
    if shape.name in seen:  # recursive shapes (none today) would loop forever
        return info
    seen = (*seen, shape.name)
    if isinstance(shape, StructureShape):
        info["required"] = sorted(shape.required_members)
        info["members"] = {name: _describe(member, seen) for name, member in shape.members.items()}
        info["error"] = shape.metadata.get("error")
        info["fault"] = shape.metadata.get("fault", False)
    elif shape.type_name == "list":
        info["member"] = _describe(shape.member, seen)
    return info


def test_metadata_matches(reference: ServiceModel) -> None:
    for key in ("apiVersion", "endpointPrefix", "signingName", "serviceId", "protocol", "signatureVersion"):
        assert SERVICE.metadata[key] == reference.metadata[key], key
    assert SERVICE_MODEL["metadata"]["apiVersion"] == "2020-11-20"


def test_same_operations(reference: ServiceModel) -> None:
    assert sorted(SERVICE.operation_names) == sorted(reference.operation_names)
    assert len(SERVICE.operation_names) == 22


@pytest.mark.parametrize("name", sorted(op["name"] for op in SERVICE_MODEL["operations"].values()))
def test_operation_matches(reference: ServiceModel, name: str) -> None:
    ours: OperationModel = SERVICE.operation_model(name)
    theirs: OperationModel = reference.operation_model(name)
    assert ours.http["method"] == theirs.http["method"]
    assert ours.http["requestUri"] == theirs.http["requestUri"]
    assert ours.http.get("responseCode", 200) == theirs.http.get("responseCode", 200)
    assert _describe(ours.input_shape) == _describe(theirs.input_shape)
    assert _describe(ours.output_shape) == _describe(theirs.output_shape)
    assert [e.name for e in ours.error_shapes] == [e.name for e in theirs.error_shapes]
    for ours_error, theirs_error in zip(ours.error_shapes, theirs.error_shapes, strict=True):
        assert _describe(ours_error) == _describe(theirs_error)
    assert [m for m, s in ours.input_shape.members.items() if s.metadata.get("idempotencyToken")] == [
        m for m, s in theirs.input_shape.members.items() if s.metadata.get("idempotencyToken")
    ]


def test_every_shape_constraint_matches(reference: ServiceModel) -> None:
    assert sorted(SERVICE.shape_names) == sorted(reference.shape_names)
    for name in reference.shape_names:
        assert _describe(SERVICE.shape_for(name)) == _describe(reference.shape_for(name)), name


def test_paginators_match() -> None:
    assert _load("paginators-1.json") == PAGINATORS


def test_documentation_is_our_own(reference: ServiceModel) -> None:
    # Every operation is documented, and never with the reference's wording.
    for name in SERVICE.operation_names:
        ours = SERVICE.operation_model(name).documentation
        assert ours, name
        assert ours != reference.operation_model(name).documentation, name
