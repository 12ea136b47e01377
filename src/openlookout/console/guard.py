"""The two kinds of console endpoint and what each requires.

``page``: a GET that shows something; without a live session it redirects to sign-in (htmx
requests get 401 with ``HX-Redirect``). ``action``: a POST that changes something; without a
live session 401, with a missing or wrong CSRF token (or a foreign Origin) 403, and in both
cases the handler does not run, so nothing changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from openlookout.console import paths
from openlookout.console.calls import ServiceCalls
from openlookout.console.cookies import clear_session_cookie, session_token
from openlookout.console.csrf import CsrfRejected, check_origin, check_token
from openlookout.console.forms import FormRejected, read_form
from openlookout.console.runtime import Console
from openlookout.console.session_store import SignedInSession
from openlookout.console.templates import render, with_security_headers


@dataclass
class SignedInRequest:
    """A request of a live session: who, what they may call, the submitted form (actions)."""

    request: Request
    console: Console
    session: SignedInSession
    calls: ServiceCalls
    form: Mapping[str, Any] = field(default_factory=dict)

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        """A page with the layout's values: the signed-in key, the CSRF token for its forms."""
        return render(
            template,
            status,
            access_key_id=self.session.access_key_id,
            csrf_token=self.session.csrf_token,
            server_region=self.console.ctx.settings.region,
            **values,
        )


Handler = Callable[[SignedInRequest], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a console path only (never another site: no open redirect)."""
    if target and paths.is_console_path(target) and "//" not in target and "\\" not in target:
        return target
    return paths.PROJECTS


async def _session(console: Console, request: Request) -> SignedInSession | None:
    token = session_token(request)
    return await run_in_threadpool(console.sessions.find, token) if token else None


def _signin_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"{paths.SIGNIN}?next={quote(target, safe='/')}"
    if session_token(request):
        location += "&ended=1"  # the cookie's session expired or was signed out
    if is_htmx(request):
        response: Response = Response(status_code=401, headers={"HX-Redirect": location})
    else:
        response = RedirectResponse(location, status_code=303)
    clear_session_cookie(response, request)
    return with_security_headers(response)


def page(console: Console) -> Callable[[Handler], Endpoint]:
    def wrap(handler: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            session = await _session(console, request)
            if session is None:
                return _signin_redirect(request)
            calls = ServiceCalls(console.ctx, session.access_key_id)
            return await handler(SignedInRequest(request, console, session, calls))

        return endpoint

    return wrap


def refused(status: int, title: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return render("refused.html", status, headers=headers, title=title, message=message)


def action(console: Console) -> Callable[[Handler], Endpoint]:
    def wrap(handler: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            session = await _session(console, request)
            if session is None:
                headers = {"HX-Redirect": paths.SIGNIN} if is_htmx(request) else None
                response = refused(401, "Signed out", "Your session has ended: sign in again.", headers)
                clear_session_cookie(response, request)
                return response
            try:
                check_origin(request)  # before the body is read
                form = await read_form(request)
                check_token(request, form, session.csrf_token)
            except CsrfRejected as error:
                return refused(403, "Refused", str(error))
            except FormRejected as error:
                return refused(error.status, "Refused", error.message)
            calls = ServiceCalls(console.ctx, session.access_key_id)
            return await handler(SignedInRequest(request, console, session, calls, form))

        return endpoint

    return wrap
