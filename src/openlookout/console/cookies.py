"""The session cookie: HttpOnly, SameSite=Strict, Path=/console, Secure over https (docs/console.md)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openlookout.console.paths import PREFIX

SESSION_COOKIE = "openlookout_console"


def session_token(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


def set_session_cookie(response: Response, request: Request, token: str, max_age_s: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age_s,
        path=PREFIX,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=PREFIX, secure=request.url.scheme == "https", httponly=True, samesite="strict"
    )
