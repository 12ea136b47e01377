"""Reading a console form: ``application/x-www-form-urlencoded`` only, a few short fields.

Parsed here with the standard library rather than Starlette's form parser, which needs
python-multipart: the console's forms carry no files (uploads will be S3 requests).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

# A console form is a few short fields; anything bigger is not one of ours.
MAX_FORM_BYTES = 64 * 1024
MAX_FIELDS = 64
FORM_TYPE = "application/x-www-form-urlencoded"


class FormRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a POSTed form (last value wins); FormRejected when it is not one."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != FORM_TYPE:
        raise FormRejected(415, "The console accepts URL-encoded forms only.")
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        raise FormRejected(413, "The form is larger than any console form.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormRejected(413, "The form is larger than any console form.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise FormRejected(400, "The form could not be read.") from None
    return dict(pairs)
