"""Who makes a request, for which account and region: what a service call knows of its caller.

The protocol layer builds one ``RequestContext`` per request from the verified signature and
hands it to every facade method that declares a ``context`` parameter. Nothing here depends on
a wire protocol, so in-process callers (tests, the CLI) use ``IN_PROCESS`` or build their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from openlookout.access import SERVICE_CALLER, Caller


@dataclass(frozen=True)
class RequestContext:
    # The verified access key and what it may do (the permission checks of the service).
    caller: Caller
    # The AWS account of the caller's key; None: the server's own account.
    account: str | None = None
    # The region the request was signed for; None: in-process, every region.
    region: str | None = None
    # The x-amzn-RequestId the response carries ("" outside a request).
    request_id: str = ""


# In-process calls: the service's own rights, account and every region.
IN_PROCESS = RequestContext(SERVICE_CALLER)
