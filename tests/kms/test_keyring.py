"""Keyring: key admin, envelope encryption, tamper detection, two-process safety."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest

from openlookout.config import Settings
from openlookout.kms.cli import keys_create, keys_list
from openlookout.kms.keyring import InvalidCiphertextError, Keyring, UnknownKeyError


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    return Keyring(tmp_path / "keyring.json", region="eu-west-1", account_id="111122223333")


def test_create_list_resolve(keyring: Keyring) -> None:
    key = keyring.create_key(description="images", alias="cookies")
    assert key.arn == f"arn:aws:kms:eu-west-1:111122223333:key/{key.key_id}"
    assert key.alias == "alias/cookies" and key.description == "images"
    other = keyring.create_key()
    assert [k.key_id for k in keyring.list_keys()] == [key.key_id, other.key_id]
    for ref in (key.key_id, key.arn, "alias/cookies", "arn:aws:kms:eu-west-1:111122223333:alias/cookies"):
        assert keyring.resolve(ref) == key
    assert keyring.resolve("alias/none") is None
    assert keyring.resolve("arn:aws:kms:us-east-1:111122223333:key/" + key.key_id) is None
    assert stat.S_IMODE(keyring.path.stat().st_mode) == 0o600
    with pytest.raises(ValueError):
        keyring.create_key(alias="cookies")
    with pytest.raises(ValueError):
        keyring.create_key(alias="alias/aws/reserved")


def test_round_trip_with_context(keyring: Keyring) -> None:
    key = keyring.create_key(alias="k")
    context = {"project": "p1", "model": "1"}
    blob = keyring.encrypt("alias/k", b"secret image", context)
    assert b"secret image" not in blob and key.key_id.encode() in blob
    assert keyring.decrypt(blob, {"model": "1", "project": "p1"}) == b"secret image"
    assert keyring.encrypt(key.arn, b"x") != keyring.encrypt(key.arn, b"x")  # fresh data key and nonces
    assert keyring.decrypt(keyring.encrypt(key.key_id, b"")) == b""
    with pytest.raises(InvalidCiphertextError):
        keyring.decrypt(blob, {"project": "p2", "model": "1"})
    with pytest.raises(InvalidCiphertextError):
        keyring.decrypt(blob)


def test_tampering_is_detected_everywhere(keyring: Keyring) -> None:
    keyring.create_key(alias="k")
    blob = keyring.encrypt("alias/k", b"payload" * 10)
    for index in range(len(blob)):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        with pytest.raises((InvalidCiphertextError, UnknownKeyError)):
            keyring.decrypt(bytes(tampered))
    for truncated in (blob[:3], blob[:40], blob[:-1]):
        with pytest.raises(InvalidCiphertextError):
            keyring.decrypt(truncated)


def test_unknown_keys(keyring: Keyring, tmp_path: Path) -> None:
    with pytest.raises(UnknownKeyError) as caught:
        keyring.encrypt("alias/missing", b"x")
    assert isinstance(caught.value, KeyError)
    assert "alias/missing" in str(caught.value) and "does not exist" in str(caught.value)
    keyring.create_key(alias="k")
    blob = keyring.encrypt("alias/k", b"x")
    with pytest.raises(UnknownKeyError):
        Keyring(tmp_path / "other.json").decrypt(blob)


def _create_keys(path: str, count: int) -> None:
    ring = Keyring(Path(path))
    for i in range(count):
        ring.create_key(description=f"{multiprocessing.current_process().name}-{i}")


def test_two_processes_creating_keys_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.json")
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_create_keys, args=(path, 15)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    ring = Keyring(Path(path))
    assert len(ring.list_keys()) == 30
    assert len({k.key_id for k in ring.list_keys()}) == 30


def test_cli_helpers_use_the_settings_keyring(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, region="ap-south-1", account_id="999988887777")
    key = keys_create(settings, description="d", alias="a")
    assert settings.keyring_path.exists()
    assert key.arn.startswith("arn:aws:kms:ap-south-1:999988887777:key/")
    assert keys_list(settings) == [key]
