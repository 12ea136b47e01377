"""The ``openlookout keys create|list`` commands (argument parsing lives in openlookout.cli)."""

from __future__ import annotations

from openlookout.config import Settings
from openlookout.kms.keyring import KeyInfo, Keyring


def _keyring(settings: Settings) -> Keyring:
    return Keyring(settings.keyring_path, settings.region, settings.account_id)


def keys_create(settings: Settings, description: str | None = None, alias: str | None = None) -> KeyInfo:
    return _keyring(settings).create_key(description=description, alias=alias)


def keys_list(settings: Settings) -> list[KeyInfo]:
    return _keyring(settings).list_keys()
