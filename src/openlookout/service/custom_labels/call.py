"""The per-call view of the Custom Labels service: what every operation's rule receives first.

The facade (``facade.py``) builds one per request from its backends and the request's
``RequestContext``; rules take from it only what they use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from openlookout.kms.keyring import Keyring
from openlookout.service.common.backends import ServiceCall

if TYPE_CHECKING:  # hosting.py's rules take this view: a runtime import would be circular
    from openlookout.service.custom_labels.hosting import CustomLabelsHosting


@dataclass(frozen=True, kw_only=True)
class CustomLabelsCall(ServiceCall):
    # The same keyring file as Lookout for Vision's (KmsKeyId, spec B.9).
    keyring: Keyring
    # Stateful (hosted units, thresholds): one per facade, shared by its calls.
    hosting: CustomLabelsHosting
