"""Where the console lives on the port, and which requests are its own.

``/console`` is also a valid S3 bucket name, so the path alone does not decide: a request is
the console's only when it carries no AWS signature (no ``Authorization`` header, no presigned
``X-Amz-Credential``/``X-Amz-Signature`` query). Every S3 request is signed, so a bucket named
``console`` stays fully usable over S3, and a browser (which never signs) reaches the console.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import Scope

PREFIX = "/console"
SIGNIN = f"{PREFIX}/signin"
PROJECTS = f"{PREFIX}/projects"
# One Lookout for Vision project's pages: /console/lookoutvision/projects/<name>[/models/<version>]
LV_PROJECTS = f"{PREFIX}/lookoutvision/projects"
STATIC = f"{PREFIX}/static"

_PRESIGN_PARAMS = {"X-Amz-Credential", "X-Amz-Signature"}


def is_signed(scope: Scope) -> bool:
    if any(name.lower() == b"authorization" for name, _ in scope.get("headers", [])):
        return True
    query = scope.get("query_string", b"").decode("latin-1")
    return any(name in _PRESIGN_PARAMS for name, _ in parse_qsl(query, keep_blank_values=True))


def is_console_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")
