"""One RequestContext per request: the caller, its account and region reach the service."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from openlookout.access import Caller
from openlookout.api.auth import AccessKey, Authenticator, CredentialStore, Principal
from openlookout.api.context import AppContext, call_service, request_context
from openlookout.config import Settings
from openlookout.regions import request_region
from openlookout.service.common.request_context import IN_PROCESS, RequestContext

ROOT = AccessKey("AKIAROOTROOTROOT0001", "root-secret-0123456789")
PARTNER = AccessKey("AKIAPARTNERPARTN0002", "partner-secret-012345", ("rekognition:*",), "210987654321")


def _app() -> AppContext:
    authenticator = Authenticator(CredentialStore(ROOT, [PARTNER]), "us-east-1")
    return AppContext(
        settings=Settings(account_id="123456789012"),
        authenticator=authenticator,
        blobs=cast(Any, None),
        lookoutvision=cast(Any, None),
    )


def test_the_context_names_the_key_account_or_the_server_account() -> None:
    app = _app()
    partner = Principal(PARTNER.access_key_id, is_root=False, service="rekognition", region="eu-west-1")
    assert request_context(app, partner, "req-1") == RequestContext(
        caller=Caller(PARTNER.access_key_id, False, ("rekognition:*",)),
        account="210987654321",
        region="eu-west-1",
        request_id="req-1",
    )
    root = Principal(ROOT.access_key_id, is_root=True, service="lookoutvision", region="us-east-1")
    context = request_context(app, root, "req-2")
    assert context.account == "123456789012" and context.caller.is_root


class _Facade:
    def __init__(self) -> None:
        self.seen: list[tuple[str, Any, str | None]] = []

    def with_context(self, name: str, context: RequestContext = IN_PROCESS) -> None:
        self.seen.append((name, context, request_region()))

    def without_context(self, name: str) -> None:
        self.seen.append((name, None, request_region()))


def test_call_service_hands_the_context_to_methods_that_declare_it() -> None:
    facade = _Facade()
    context = RequestContext(Caller("AKIAX"), account="123456789012", region="ap-south-1", request_id="r")
    asyncio.run(call_service(facade.with_context, {"name": "a"}, context))
    asyncio.run(call_service(facade.without_context, {"name": "b"}, context))
    assert facade.seen == [("a", context, "ap-south-1"), ("b", None, "ap-south-1")]
    assert request_region() is None  # the region is set for the call only
