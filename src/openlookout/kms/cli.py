"""The ``openlookout keys create|list`` commands (argument parsing lives in openlookout.cli)."""

from __future__ import annotations

from openlookout.composition import build_keyring
from openlookout.config import Settings
from openlookout.kms.keyring import KeyInfo


def keys_create(settings: Settings, description: str | None = None, alias: str | None = None) -> KeyInfo:
    return build_keyring(settings).create_key(description=description, alias=alias)


def keys_list(settings: Settings) -> list[KeyInfo]:
    return build_keyring(settings).list_keys()
