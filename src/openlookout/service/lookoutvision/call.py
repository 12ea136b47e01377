"""One Lookout for Vision call: the service's backends and the request, as every rule receives them.

``LookoutVisionService.call`` builds one per request; each operation's rule takes it as its
first parameter, followed by the operation's members (service/common/operations.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from openlookout.access import Caller
from openlookout.service.common.backends import ServiceCall
from openlookout.service.common.kms_keys import KeyResolver

if TYPE_CHECKING:
    # Only for the annotation: hosting.py imports the rule modules, which import this one.
    from openlookout.service.lookoutvision.hosting import ModelHosting


@dataclass(frozen=True, kw_only=True)
class LookoutVisionCall(ServiceCall):
    keyring: KeyResolver
    # The models hosted by this server process: one per service, shared by every call.
    hosting: ModelHosting

    @property
    def caller(self) -> Caller:
        return self.context.caller
