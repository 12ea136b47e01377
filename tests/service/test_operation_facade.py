"""OperationFacade binds each listed rule to a per-call view and a request context."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import pytest

from openlookout.access import SERVICE_CALLER
from openlookout.service.common.operations import OperationFacade
from openlookout.service.common.request_context import IN_PROCESS, RequestContext


@dataclass(frozen=True)
class EchoCall:
    backend: str
    context: RequestContext


def echo(call: EchoCall, project_name: str, client_token: str | None = None) -> dict[str, Any]:
    return {"backend": call.backend, "context": call.context, "args": (project_name, client_token)}


class EchoFacade(OperationFacade[EchoCall]):
    operations = {"echo": echo}

    def call(self, context: RequestContext) -> EchoCall:
        return EchoCall("db", context)


def test_bound_rule_gets_the_call_view_and_the_members() -> None:
    facade = EchoFacade()
    context = RequestContext(SERVICE_CALLER, account="111122223333", region="eu-west-1", request_id="r")
    assert facade.echo("p", client_token="t", context=context) == {
        "backend": "db",
        "context": context,
        "args": ("p", "t"),
    }
    assert facade.echo("p")["context"] is IN_PROCESS


def test_bound_rule_declares_context_and_is_bound_once() -> None:
    facade = EchoFacade()
    assert "context" in inspect.signature(facade.echo).parameters
    assert facade.echo is facade.echo
    assert facade.echo.__name__ == "echo"


def test_unknown_operation_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no operation 'nothing'"):
        EchoFacade().nothing  # noqa: B018
    assert not hasattr(EchoFacade(), "call_unknown")
