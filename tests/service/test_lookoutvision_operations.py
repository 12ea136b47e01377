"""The Lookout for Vision facade's operations table: one rule per operation, members as in the shapes."""

from __future__ import annotations

import inspect

import pytest

from openlookout.access import Caller, CallerBlobStore
from openlookout.api.lookoutvision import snake_case
from openlookout.api.shapes.lookoutvision import SERVICE
from openlookout.service.common.request_context import RequestContext
from openlookout.service.lookoutvision import LookoutVisionService


def test_every_operation_has_a_rule() -> None:
    assert set(LookoutVisionService.operations) == {snake_case(name) for name in SERVICE.operation_names}


@pytest.mark.parametrize("operation", SERVICE.operation_names)
def test_rule_takes_the_view_then_the_input_members(operation: str) -> None:
    # The api layer passes each present member by its snake_case name; absent optional ones
    # take the rule's default (None), so required members are exactly those without one.
    shape = SERVICE.operation_model(operation).input_shape
    wanted = {snake_case(name): name in shape.required_members for name in shape.members} if shape else {}
    call, *members = inspect.signature(
        LookoutVisionService.operations[snake_case(operation)]
    ).parameters.values()
    assert call.name == "call"
    assert {p.name: p.default is inspect.Parameter.empty for p in members} == wanted
    assert all(p.default in (inspect.Parameter.empty, None) for p in members)


def test_call_view_carries_the_backends_and_the_callers_s3(service: LookoutVisionService) -> None:
    caller = Caller("AKIDEXAMPLE", allow=("s3:GetObject",))
    context = RequestContext(caller, account="111122223333", region="us-east-1", request_id="r")
    call = service.call(context)
    assert (call.settings, call.sessions, call.blobs, call.keyring, call.runner, call.hosting) == (
        service.settings,
        service.sessions,
        service.blobs,
        service.keyring,
        service.runner,
        service.hosting,
    )
    assert call.context is context and call.caller is caller
    assert isinstance(call.s3, CallerBlobStore) and call.s3.caller is caller
    # The view holds the service's one hosting object: hosted models outlive a call.
    assert service.call(context).hosting is service.hosting
