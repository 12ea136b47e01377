"""A Lookout for Vision project's page and its models' pages: datasets, training, hosting, delete.

Routes (under /console/lookoutvision/projects/<name>): ``GET`` the project page; ``GET /state``
its datasets and models alone (htmx polls it every 2 s while one is still changing); ``POST
/models`` CreateModel; ``GET /models/<version>`` the model page and ``/state`` its status part
(polled likewise); ``POST /models/<version>/start|stop`` StartModel (MinInferenceUnits 1) and
StopModel; ``GET|POST /models/<version>/delete`` the confirmation page and DeleteModel.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from openlookout.console import paths
from openlookout.console.calls import ConsoleError
from openlookout.console.guard import SignedInRequest, action, page
from openlookout.console.lv_views import LV, ModelView, ProjectView, model_view, project_view
from openlookout.console.runtime import Console
from openlookout.console.templates import with_security_headers

# The train form's prefix when the project has no model yet (the README quickstart writes to
# out/ as well; the evaluation files' names carry the project and version, so runs never clash).
DEFAULT_OUTPUT_PREFIX = "model-output/"
PROJECT = "/lookoutvision/projects/{name}"
MODEL = PROJECT + "/models/{version}"


def project_path(name: str) -> str:
    return f"{paths.LV_PROJECTS}/{quote(name)}"


def model_path(name: str, version: str) -> str:
    return f"{project_path(name)}/models/{quote(version)}"


def _redirect(location: str) -> Response:
    return with_security_headers(RedirectResponse(location, status_code=303))


def _client_token(signed_in: SignedInRequest) -> dict[str, Any]:
    """The form's ClientToken (made when the form was shown): a double submit is one call."""
    token = str(signed_in.form.get("client_token", "")).strip()
    return {"ClientToken": token} if token else {}


def _project_page(
    signed_in: SignedInRequest,
    view: ProjectView,
    status: int = 200,
    error: ConsoleError | None = None,
    entered: dict[str, str] | None = None,
) -> Response:
    """The page; ``error`` with the ``entered`` fields: a refused Train model, under its form."""
    if view.error is not None:
        status = view.error.status
    bucket, prefix = view.last_output or ("", DEFAULT_OUTPUT_PREFIX)
    query = signed_in.request.query_params
    return signed_in.render(
        "lv_project.html",
        status,
        view=view,
        error=error,
        output=entered or {"bucket": bucket, "prefix": prefix},
        client_token=str(uuid.uuid4()),
        trained=query.get("trained"),
        deleted=query.get("deleted"),
    )


def _model_page(
    signed_in: SignedInRequest, view: ModelView, status: int = 200, error: ConsoleError | None = None
) -> Response:
    if view.error is not None:
        status = view.error.status
    return signed_in.render(
        "lv_model.html",
        status,
        view=view,
        error=error,
        client_token=str(uuid.uuid4()),
        done=signed_in.request.query_params.get("done"),
    )


def _confirm_page(signed_in: SignedInRequest, error: ConsoleError | None = None) -> Response:
    name, version = _names(signed_in)
    return signed_in.render(
        "confirm_delete_model.html",
        error.status if error else 200,
        project=name,
        version=version,
        may_delete=signed_in.calls.may(LV, "DeleteModel"),
        error=error,
        client_token=str(uuid.uuid4()),
    )


def _names(signed_in: SignedInRequest) -> tuple[str, str]:
    params = signed_in.request.path_params
    return params["name"], params.get("version", "")


def routes(console: Console) -> list[BaseRoute]:
    @page(console)
    async def project(signed_in: SignedInRequest) -> Response:
        name, _ = _names(signed_in)
        return _project_page(signed_in, await project_view(signed_in.calls, name))

    @page(console)
    async def project_state(signed_in: SignedInRequest) -> Response:
        name, _ = _names(signed_in)
        view = await project_view(signed_in.calls, name)
        return signed_in.render("_lv_project_state.html", view=view)

    @action(console)
    async def train(signed_in: SignedInRequest) -> Response:
        name, _ = _names(signed_in)
        entered = {key: str(signed_in.form.get(key, "")).strip() for key in ("bucket", "prefix")}
        location = {"Bucket": entered["bucket"]}
        if entered["prefix"]:
            location["Prefix"] = entered["prefix"]
        try:
            created = await signed_in.calls.call(
                LV,
                "CreateModel",
                ProjectName=name,
                OutputConfig={"S3Location": location},
                **_client_token(signed_in),
            )
        except ConsoleError as error:
            view = await project_view(signed_in.calls, name)
            return _project_page(signed_in, view, error.status, error=error, entered=entered)
        version = created["ModelMetadata"]["ModelVersion"]
        return _redirect(f"{project_path(name)}?trained={quote(version)}#models")

    @page(console)
    async def model(signed_in: SignedInRequest) -> Response:
        name, version = _names(signed_in)
        return _model_page(signed_in, await model_view(signed_in.calls, name, version))

    @page(console)
    async def model_state(signed_in: SignedInRequest) -> Response:
        name, version = _names(signed_in)
        view = await model_view(signed_in.calls, name, version)
        return signed_in.render("_lv_model_state.html", view=view, client_token=str(uuid.uuid4()))

    async def _hosting(signed_in: SignedInRequest, operation: str, **params: Any) -> Response:
        name, version = _names(signed_in)
        try:
            await signed_in.calls.call(
                LV, operation, ProjectName=name, ModelVersion=version, **params, **_client_token(signed_in)
            )
        except ConsoleError as error:
            view = await model_view(signed_in.calls, name, version)
            return _model_page(signed_in, view, error.status, error=error)
        return _redirect(f"{model_path(name, version)}?done={operation}")

    @action(console)
    async def start(signed_in: SignedInRequest) -> Response:
        return await _hosting(signed_in, "StartModel", MinInferenceUnits=1)

    @action(console)
    async def stop(signed_in: SignedInRequest) -> Response:
        return await _hosting(signed_in, "StopModel")

    @page(console)
    async def confirm_delete(signed_in: SignedInRequest) -> Response:
        return _confirm_page(signed_in)

    @action(console)
    async def delete(signed_in: SignedInRequest) -> Response:
        name, version = _names(signed_in)
        try:
            await signed_in.calls.call(
                LV, "DeleteModel", ProjectName=name, ModelVersion=version, **_client_token(signed_in)
            )
        except ConsoleError as error:
            return _confirm_page(signed_in, error=error)
        return _redirect(f"{project_path(name)}?deleted={quote(version)}#models")

    return [
        Route(PROJECT, project, methods=["GET"]),
        Route(PROJECT + "/state", project_state, methods=["GET"]),
        Route(PROJECT + "/models", train, methods=["POST"]),
        Route(MODEL, model, methods=["GET"]),
        Route(MODEL + "/state", model_state, methods=["GET"]),
        Route(MODEL + "/start", start, methods=["POST"]),
        Route(MODEL + "/stop", stop, methods=["POST"]),
        Route(MODEL + "/delete", confirm_delete, methods=["GET"]),
        Route(MODEL + "/delete", delete, methods=["POST"]),
    ]
