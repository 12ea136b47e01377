"""Jinja2 rendering of console pages, with the headers every console response carries."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, Response

from openlookout.console import paths

ENVIRONMENT = Environment(
    loader=PackageLoader("openlookout.console", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a missing value is a bug in the page, not an empty string
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.globals["paths"] = paths

# Every script and style is the server's own file: no inline code, no other origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def with_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def render(
    template: str, status: int = 200, headers: dict[str, str] | None = None, **values: Any
) -> Response:
    html = ENVIRONMENT.get_template(template).render(**values)
    return with_security_headers(HTMLResponse(html, status_code=status, headers=headers))
