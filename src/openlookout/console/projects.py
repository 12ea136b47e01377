"""The projects page of both APIs: list, create, delete after a confirmation page.

Routes (under /console): ``GET /projects``; ``GET /projects/<kind>/table`` (the table alone, for
htmx's refresh); ``POST /projects/<kind>`` (create); ``GET|POST /projects/<kind>/<name>/delete``
(confirm, delete). ``<kind>`` is ``lookoutvision`` or ``custom-labels``.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from openlookout.console import paths
from openlookout.console.calls import ConsoleError
from openlookout.console.guard import SignedInRequest, action, page
from openlookout.console.project_lists import (
    CL_PROJECTS,
    L4V_PROJECTS,
    PROJECT_KINDS,
    ProjectKind,
    custom_labels_arn,
    list_projects,
)
from openlookout.console.runtime import Console
from openlookout.console.templates import with_security_headers


def _kind(signed_in: SignedInRequest) -> ProjectKind | None:
    return PROJECT_KINDS.get(signed_in.request.path_params["kind"])


def _not_found(signed_in: SignedInRequest) -> Response:
    return signed_in.render("refused.html", 404, title="Not found", message="There is no such page.")


async def _projects_page(
    signed_in: SignedInRequest,
    status: int = 200,
    failed: ProjectKind | None = None,
    error: ConsoleError | None = None,
    entered: str = "",
) -> Response:
    """The page; ``failed`` with ``error`` and the ``entered`` name: a refused create, in its section."""
    listings = [await list_projects(signed_in.calls, kind) for kind in (L4V_PROJECTS, CL_PROJECTS)]
    query = signed_in.request.query_params
    return signed_in.render(
        "projects.html",
        status,
        listings=listings,
        failed=failed.slug if failed else None,
        error=error,
        entered=entered,
        created=query.get("created"),
        deleted=query.get("deleted"),
    )


def routes(console: Console) -> list[BaseRoute]:
    @page(console)
    async def projects(signed_in: SignedInRequest) -> Response:
        return await _projects_page(signed_in)

    @page(console)
    async def table(signed_in: SignedInRequest) -> Response:
        kind = _kind(signed_in)
        if kind is None:
            return _not_found(signed_in)
        listing = await list_projects(signed_in.calls, kind)
        return signed_in.render("_project_table.html", listing=listing)

    @action(console)
    async def create(signed_in: SignedInRequest) -> Response:
        kind = _kind(signed_in)
        if kind is None:
            return _not_found(signed_in)
        name = str(signed_in.form.get("project_name", "")).strip()
        try:
            await signed_in.calls.call(kind.api, "CreateProject", ProjectName=name)
        except ConsoleError as error:
            return await _projects_page(signed_in, error.status, failed=kind, error=error, entered=name)
        location = f"{paths.PROJECTS}?created={quote(name)}#{kind.dom_id()}"
        return with_security_headers(RedirectResponse(location, status_code=303))

    @page(console)
    async def confirm_delete(signed_in: SignedInRequest) -> Response:
        kind = _kind(signed_in)
        if kind is None:
            return _not_found(signed_in)
        return _confirm_page(signed_in, kind)

    @action(console)
    async def delete(signed_in: SignedInRequest) -> Response:
        kind = _kind(signed_in)
        if kind is None:
            return _not_found(signed_in)
        name = signed_in.request.path_params["name"]
        try:
            if kind is CL_PROJECTS:
                # Refused before the ARN lookup: a key that may not delete learns nothing more.
                signed_in.calls.require(kind.api, "DeleteProject")
                arn = await custom_labels_arn(signed_in.calls, name)
                await signed_in.calls.call(kind.api, "DeleteProject", ProjectArn=arn)
            else:
                await signed_in.calls.call(kind.api, "DeleteProject", ProjectName=name)
        except ConsoleError as error:
            return _confirm_page(signed_in, kind, error=error)
        location = f"{paths.PROJECTS}?deleted={quote(name)}#{kind.dom_id()}"
        return with_security_headers(RedirectResponse(location, status_code=303))

    return [
        Route("/projects", projects, methods=["GET"]),
        Route("/projects/{kind}/table", table, methods=["GET"]),
        Route("/projects/{kind}", create, methods=["POST"]),
        Route("/projects/{kind}/{name}/delete", confirm_delete, methods=["GET"]),
        Route("/projects/{kind}/{name}/delete", delete, methods=["POST"]),
    ]


def _confirm_page(
    signed_in: SignedInRequest, kind: ProjectKind, error: ConsoleError | None = None
) -> Response:
    return signed_in.render(
        "confirm_delete.html",
        error.status if error else 200,
        kind=kind,
        name=signed_in.request.path_params["name"],
        may_delete=signed_in.calls.may(kind.api, "DeleteProject"),
        error=error,
    )
