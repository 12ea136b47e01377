"""ASGI application: one port serves every protocol.

Requests are routed by shape, not by host name, so a single endpoint URL works
for every client: ``/2020-11-20/...`` is Lookout for Vision (rest-json),
``POST /`` with ``X-Amz-Target: RekognitionService.*`` is Rekognition (json
1.1), and everything else is path-style S3. Unsigned requests under ``/console`` are the web
console's (docs/console.md); a signed one there is S3's, for a bucket named ``console``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openlookout.api.auth import Authenticator, CredentialStore
from openlookout.api.context import AppContext
from openlookout.api.lookoutvision import handle_lookoutvision
from openlookout.api.rekognition import handle_rekognition
from openlookout.api.s3 import handle_s3
from openlookout.composition import build_deps
from openlookout.config import Settings
from openlookout.console.routes import console_routes
from openlookout.jobs.runner import LocalJobRunner
from openlookout.service.custom_labels.facade import CustomLabelsService
from openlookout.service.lookoutvision import LookoutVisionService

log = logging.getLogger(__name__)

L4V_PREFIX = "/2020-11-20/"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def build_context(settings: Settings) -> tuple[AppContext, LocalJobRunner]:
    """The services on the backends of the composition root, and the runner to start."""
    deps = build_deps(settings)
    authenticator = Authenticator(CredentialStore.load(settings), settings.region)
    ctx = AppContext(
        settings=settings,
        authenticator=authenticator,
        blobs=deps.blobs,
        lookoutvision=LookoutVisionService.from_deps(deps),
        rekognition=CustomLabelsService.from_deps(deps),
        sessions=deps.sessions,
    )
    return ctx, deps.runner


def create_app(settings: Settings) -> Starlette:
    state: dict[str, object] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx, runner = build_context(settings)
        runner.start()  # recovers jobs interrupted by a crash before taking new ones
        ctx.lookoutvision.hosting.restore()  # hosts again the models that were hosted
        if ctx.rekognition is not None:
            ctx.rekognition.hosting.restore()  # and the Custom Labels versions that were running
        state["ctx"] = ctx
        try:
            yield
        finally:
            ctx.lookoutvision.hosting.shutdown()
            if ctx.rekognition is not None:
                ctx.rekognition.hosting.shutdown()
            runner.stop()

    async def dispatch(request: Request) -> Response:
        ctx = state["ctx"]
        assert isinstance(ctx, AppContext)
        path = request.url.path
        if path.startswith(L4V_PREFIX):
            return await handle_lookoutvision(request, ctx)
        if request.method == "POST" and path == "/" and "x-amz-target" in request.headers:
            return await handle_rekognition(request, ctx)
        return await handle_s3(request, ctx)

    def current_context() -> AppContext:
        ctx = state["ctx"]
        assert isinstance(ctx, AppContext)
        return ctx

    routes = [
        *console_routes(current_context),
        Route("/", dispatch, methods=ALL_METHODS),
        Route("/{path:path}", dispatch, methods=ALL_METHODS),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
