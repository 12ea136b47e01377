"""Shared helper (no tests here): the embedded S3 API served by uvicorn on a free loopback port.

Kept in a ``test_s3_*`` module so the S3 test files of tests/api can import it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openlookout.api.auth import AccessKey, Authenticator, CredentialStore
from openlookout.api.context import AppContext
from openlookout.api.s3 import handle_s3
from openlookout.blobs.factory import create_blob_store
from openlookout.config import Settings
from support.http_harness import serve_app

ROOT_KEY = AccessKey("AKIAROOTROOTROOTROOT", "root-secret-0123456789012345678901234567")
READER_KEY = AccessKey(
    "AKIAREADERREADERREAD", "reader-secret-01234567890123456789012345", ("s3:Get*", "s3:ListBucket")
)
# May write and copy but not read: copying still needs s3:GetObject on the source.
WRITER_KEY = AccessKey(
    "AKIAWRITERWRITERWRIT",
    "writer-secret-01234567890123456789012345",
    ("s3:PutObject", "s3:CopyObject", "s3:CreateMultipartUpload", "s3:UploadPart", "s3:ListBucket"),
)
REGION = "us-east-1"


@dataclass
class EmbeddedS3:
    endpoint_url: str
    data_dir: Path
    settings: Settings


@contextmanager
def embedded_s3(data_dir: Path) -> Iterator[EmbeddedS3]:
    settings = Settings(data_dir=data_dir, region=REGION)
    credentials = CredentialStore(ROOT_KEY, [READER_KEY, WRITER_KEY])
    ctx = AppContext(
        settings=settings,
        authenticator=Authenticator(credentials, REGION),
        blobs=create_blob_store(settings),
        lookoutvision=None,  # type: ignore[arg-type] - the S3 API never touches it
    )

    async def endpoint(request: Request) -> Response:
        return await handle_s3(request, ctx)

    methods = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"]
    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=methods)])
    with serve_app(app) as endpoint_url:
        yield EmbeddedS3(endpoint_url, data_dir, settings)
