"""The console's routes, mounted by the app before its protocol dispatch (docs/console.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from openlookout.api.context import AppContext
from openlookout.console import lv_pages, paths, projects, signin
from openlookout.console.runtime import Console
from openlookout.console.templates import render, with_security_headers

STATIC_DIR = Path(__file__).parent / "static"


class UnsignedOnly(Mount):
    """A mount that never takes an AWS-signed request: those stay with the S3 API (paths.py)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and paths.is_signed(scope):
            return Match.NONE, {}
        return super().matches(scope)


class UnsignedRoute(Route):
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and paths.is_signed(scope):
            return Match.NONE, {}
        return super().matches(scope)


async def _to_projects(request: Request) -> Response:
    return with_security_headers(RedirectResponse(paths.PROJECTS, status_code=303))


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    """Unknown console paths get a console page, not the S3 API's XML."""
    response = render("refused.html", 404, title="Not found", message="There is no such console page.")
    await response(scope, receive, send)


def console_routes(get_ctx: Callable[[], AppContext]) -> list[BaseRoute]:
    """Routes for ``/console`` and below; ``get_ctx`` gives the context built at start-up."""
    console = Console(get_ctx)
    inner: list[BaseRoute] = [
        Route("/", _to_projects, methods=["GET"]),
        *signin.routes(console),
        *projects.routes(console),
        *lv_pages.routes(console),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    router = Router(inner)
    router.default = _not_found
    return [
        UnsignedRoute(paths.PREFIX, _to_projects, methods=["GET"]),
        UnsignedOnly(paths.PREFIX, app=router),
    ]
