"""Cross-site request forgery checks of every state-changing console request (docs/console.md).

Two independent checks: the per-session token (a hidden ``csrf_token`` form field, or the
``X-CSRF-Token`` header that htmx sends from the page's ``hx-headers``), which a cross-site page
cannot read; and, when the browser sends ``Origin``, that it names this server's host. The
sign-in form has no session yet, so it gets the Origin check alone (login CSRF).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.requests import Request

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CsrfRejected(Exception):
    """The request is refused with 403 and nothing is changed."""


def check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin is None:
        return  # not sent by every client (curl, old browsers); the token still protects
    # Host only: behind a TLS-terminating proxy the scheme seen here may differ from the page's.
    if origin == "null" or urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
        raise CsrfRejected("The request comes from another site.")


def check_token(request: Request, form: Mapping[str, object], expected: str) -> None:
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        field = form.get(CSRF_FIELD)
        given = field if isinstance(field, str) else ""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise CsrfRejected("The form's security token is missing or wrong; reload the page and try again.")
