"""KmsKeyId on CreateModel (Lookout for Vision), CreateProjectVersion and CopyProjectVersion
(Custom Labels): a key of the server's keyring, one rule for both APIs (spec B.9)."""

from __future__ import annotations

from typing import Any, Protocol

from openlookout.errors import InvalidInputError


class KeyResolver(Protocol):
    """The keyring, as far as the request checks need it: None (or a LookupError) for an unknown key."""

    def resolve(self, key_ref: str) -> Any: ...


def check_kms_key(keyring: KeyResolver, kms_key_id: str) -> None:
    """Key id, key ARN, alias or alias ARN of an existing key; InvalidInputError otherwise."""
    try:
        found = keyring.resolve(kms_key_id)
    except (LookupError, ValueError):
        found = None
    if found is None:
        raise InvalidInputError(
            f"The KMS key {kms_key_id!r} does not exist. Create it with `openlookout keys create` and "
            "pass its key id, key ARN, alias (alias/NAME) or alias ARN.",
            field="KmsKeyId",
        )
