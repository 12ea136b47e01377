"""A hosted model's bounded queue over real HTTP: past the bound, throttling (issue 12 item 15).

One unit, one image per batch and a queue of two per unit, so 24 concurrent DetectAnomalies
calls must overflow it: the overflow answers Lookout for Vision's ThrottlingException (HTTP
429, Retry-After), the rest are answered normally, and nothing is a 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openlookout.api.auth import AccessKey, Authenticator, CredentialStore
from openlookout.api.cl_errors import to_cl_error
from openlookout.api.context import AppContext
from openlookout.api.lookoutvision import handle_lookoutvision
from openlookout.errors import ThrottledError
from openlookout.hosting.local import HostingPolicy, LocalModelHost
from openlookout.service.lookoutvision import LookoutVisionService
from support.http_harness import serve_app

from .conftest import png_bytes, striped_image
from .test_service_lifecycle import service as service
from .test_service_lifecycle import status_after, upload

ROOT = AccessKey("AKIATHROTTLETHROTTLE", "throttle-secret-0123456789012345678901")
REGION = "us-east-1"
DETECT = "/2020-11-20/projects/p/models/1/detect"


@pytest.fixture
def endpoint(service: LookoutVisionService, model_dir: Path) -> Iterator[str]:
    service.hosting.host = LocalModelHost(
        HostingPolicy(threads_per_unit=1, device="cpu", max_batch=1, max_wait_s=0.0, queue_per_unit=2)
    )
    upload(service, model_dir)
    service.start_model("p", "1", min_inference_units=1, max_inference_units=1)
    assert status_after(service, "STARTING_HOSTING")["Status"] == "HOSTED"
    ctx = AppContext(
        settings=service.settings,
        authenticator=Authenticator(CredentialStore(ROOT), REGION),
        blobs=service.blobs,
        lookoutvision=service,
    )

    async def route(request: Request) -> Response:
        return await handle_lookoutvision(request, ctx)

    app = Starlette(routes=[Route("/{path:path}", route, methods=["GET", "POST", "DELETE"])])
    try:
        with serve_app(app) as url:
            yield url
    finally:
        service.hosting.host.shutdown()


def detect(endpoint: str, body: bytes) -> urllib3.BaseHTTPResponse:
    request = AWSRequest(
        method="POST", url=endpoint + DETECT, data=body, headers={"Content-Type": "image/png"}
    )
    SigV4Auth(Credentials(ROOT.access_key_id, ROOT.secret_access_key), "lookoutvision", REGION).add_auth(
        request
    )
    prepared = request.prepare()
    return urllib3.request(
        "POST", prepared.url, body=body, headers=dict(prepared.headers), timeout=120, retries=False
    )


def test_past_the_queue_bound_detect_anomalies_is_throttled(
    endpoint: str, service: LookoutVisionService
) -> None:
    image = png_bytes(striped_image(800, False))
    with ThreadPoolExecutor(max_workers=24) as pool:
        answers = list(pool.map(lambda _: detect(endpoint, image), range(24)))
    statuses = sorted(answer.status for answer in answers)
    assert set(statuses) <= {200, 429}, statuses
    throttled = [answer for answer in answers if answer.status == 429]
    assert throttled and statuses.count(200) >= 3  # the unit, its two queue places and beyond
    for answer in throttled:
        assert answer.headers["x-amzn-ErrorType"] == "ThrottlingException"
        assert answer.headers["Retry-After"] == "1"
        assert "requests waiting" in json.loads(answer.data)["message"]
    for answer in answers:
        if answer.status == 200:
            assert json.loads(answer.data)["DetectAnomalyResult"]["IsAnomalous"] is False
    status = service.hosting.host.status("1")
    assert status is not None and status.queue_bound == 2 and status.throttled == len(throttled)
    # Once the burst is over the model answers again.
    assert detect(endpoint, image).status == 200


def test_custom_labels_answers_throttling_as_provisioned_throughput_exceeded() -> None:
    # AWS's documented answer past a running model's inference units (a 400 botocore retries).
    error = to_cl_error(ThrottledError("busy"))
    assert error is not None and (error.code, error.status) == ("ProvisionedThroughputExceededException", 400)
