"""What every protocol handler needs, built once by the app at start-up, and the per-request
``RequestContext`` the handlers hand to the service facades."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from openlookout.regions import serving_region
from openlookout.service.common.request_context import RequestContext

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from openlookout.api.auth import Authenticator, Principal
    from openlookout.blobs.base import BlobStore
    from openlookout.config import Settings
    from openlookout.service.custom_labels.facade import CustomLabelsService
    from openlookout.service.lookoutvision import LookoutVisionService


@dataclass
class AppContext:
    settings: Settings
    authenticator: Authenticator
    blobs: BlobStore
    lookoutvision: LookoutVisionService
    # Optional so contexts built for the other protocols alone (tests) need not make one.
    rekognition: CustomLabelsService | None = None
    # The metadata database, for what is stored beside the services' tables (console sessions).
    sessions: sessionmaker[Session] | None = None


def request_context(ctx: AppContext, principal: Principal, request_id: str) -> RequestContext:
    """The verified caller of one request: its permissions, account and signing region."""
    account = ctx.authenticator.credentials.account_of(principal.access_key_id)
    return RequestContext(
        caller=ctx.authenticator.caller(principal),
        account=account or ctx.settings.account_id,
        region=principal.region,
        request_id=request_id,
    )


@cache
def _takes_context(method: Callable[..., Any]) -> bool:
    return "context" in inspect.signature(method).parameters


async def call_service(method: Callable[..., Any], kwargs: dict[str, Any], context: RequestContext) -> Any:
    """Run a facade method in a worker thread, in the request's region.

    Methods that declare ``context`` get it (the operations that check permissions of their
    own or use the S3 locations they name with the caller's rights).
    """
    if _takes_context(getattr(method, "__func__", method)):
        kwargs["context"] = context
    assert context.region is not None  # a signed request always names its region
    with serving_region(context.region):  # copied into the worker thread's context
        return await run_in_threadpool(method, **kwargs)
