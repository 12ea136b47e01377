"""The AWS region a request was signed for: where its resources live (docs/protocol.md, "Regions").

Any AWS region name is served. A resource belongs to the region of the request that created
it, which its ARN carries; a request signed for another region sees an empty region. The
protocol handlers set ``REQUEST_REGION`` around each service call (a context variable, so it
follows the call into its worker thread); in-process callers that set nothing (jobs, tests)
see every region and create in the server's configured one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# us-east-1, eu-central-2, us-gov-west-1, cn-northwest-1, us-isob-east-1, ...
REGION_NAME = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")

REQUEST_REGION: ContextVar[str | None] = ContextVar("openlookout_request_region", default=None)


def is_region_name(name: str) -> bool:
    return REGION_NAME.fullmatch(name) is not None


def request_region() -> str | None:
    """The region of the request being served; None outside a request (every region)."""
    return REQUEST_REGION.get()


def creation_region(configured: str) -> str:
    """Where a resource created now lives: the request's region, else the server's."""
    return REQUEST_REGION.get() or configured


def arn_region(arn: str) -> str:
    """``arn:aws:<service>:<region>:...`` → region ("" when the ARN has too few parts)."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def visible(arn: str) -> bool:
    """Whether a resource with this ARN exists for the current request's region."""
    region = REQUEST_REGION.get()
    return region is None or arn_region(arn) == region


@contextmanager
def serving_region(region: str) -> Iterator[None]:
    token = REQUEST_REGION.set(region)
    try:
        yield
    finally:
        REQUEST_REGION.reset(token)
