"""Sign-in with an access key id and secret, and sign-out (``/console/signin``, ``/console/signout``)."""

from __future__ import annotations

import hmac
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from openlookout.api.auth import CredentialStore
from openlookout.console import paths
from openlookout.console.cookies import clear_session_cookie, session_token, set_session_cookie
from openlookout.console.csrf import CsrfRejected, check_origin
from openlookout.console.forms import FormRejected, read_form
from openlookout.console.guard import SignedInRequest, action, refused, safe_next
from openlookout.console.runtime import Console
from openlookout.console.templates import render, with_security_headers

# Compared against when the key id is unknown, so the answer takes as long as for a known key.
_NO_SECRET = secrets.token_urlsafe(30)
WRONG_CREDENTIALS = "The access key id or the secret access key is wrong."


def secret_matches(credentials: CredentialStore, access_key_id: str, secret: str) -> bool:
    """The same key pairs as the API (root key and the policy file's keys), in constant time."""
    expected = credentials.secret_for(access_key_id)
    same = hmac.compare_digest(secret.encode(), (expected or _NO_SECRET).encode())
    return expected is not None and same


def routes(console: Console) -> list[BaseRoute]:
    async def signin_page(request: Request) -> Response:
        token = session_token(request)
        live = await run_in_threadpool(console.sessions.find, token) if token else None
        if live is not None:
            return with_security_headers(RedirectResponse(safe_next(request.query_params.get("next")), 303))
        notice = None
        if request.query_params.get("ended"):
            notice = "Your session has ended: sign in again."
        elif request.query_params.get("signed_out"):
            notice = "You are signed out."
        return _signin_form(request.query_params.get("next"), notice=notice)

    async def signin(request: Request) -> Response:
        try:
            check_origin(request)
            form = await read_form(request)
        except CsrfRejected as error:
            return refused(403, "Refused", str(error))
        except FormRejected as error:
            return refused(error.status, "Refused", error.message)
        key_id, secret = str(form.get("access_key_id", "")).strip(), str(form.get("secret_access_key", ""))
        next_path = str(form.get("next", ""))
        if not secret_matches(console.ctx.authenticator.credentials, key_id, secret):
            return _signin_form(next_path, error=WRONG_CREDENTIALS, access_key_id=key_id, status=401)
        token, _ = await run_in_threadpool(console.sessions.open, key_id)
        response = RedirectResponse(safe_next(next_path), status_code=303)
        set_session_cookie(response, request, token, int(console.sessions.absolute.total_seconds()))
        return with_security_headers(response)

    @action(console)
    async def signout(signed_in: SignedInRequest) -> Response:
        request = signed_in.request
        await run_in_threadpool(signed_in.console.sessions.close, session_token(request))
        response = RedirectResponse(f"{paths.SIGNIN}?signed_out=1", status_code=303)
        clear_session_cookie(response, request)
        return with_security_headers(response)

    return [
        Route("/signin", signin_page, methods=["GET"]),
        Route("/signin", signin, methods=["POST"]),
        Route("/signout", signout, methods=["POST"]),
    ]


def _signin_form(
    next_path: str | None,
    error: str | None = None,
    notice: str | None = None,
    access_key_id: str = "",
    status: int = 200,
) -> Response:
    return render(
        "signin.html",
        status,
        next_path=safe_next(next_path),
        error=error,
        notice=notice,
        access_key_id=access_key_id,
    )
