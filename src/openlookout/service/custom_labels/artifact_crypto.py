"""The model files a project version keeps in the internal bucket, encrypted with its KmsKeyId.

A version created with ``KmsKeyId`` stores every model file under its artifact prefix as a
keyring envelope (``openlookout.kms.keyring``, AES-256-GCM) whose encryption context is the
version's ARN, so a file cannot be passed off as another version's. Files of a version
without a key are stored as they are. Readers tell the two apart by the envelope's magic
bytes, which keeps models stored before encryption existed readable.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from openlookout.blobs.base import BlobStore
from openlookout.config import Settings
from openlookout.jobs.base import JobContext, JobFailed
from openlookout.kms.keyring import MAGIC, Keyring, UnknownKeyError
from openlookout.store.custom_labels_tables import CLProjectVersion

CONTEXT_KEY = "rekognition:project-version"


def model_prefix(project: str, version: str, version_id: int) -> str:
    """Where a version's model lives in the internal bucket (the id keeps re-created names apart)."""
    return f"custom-labels/{project}/{version}/{version_id}/model/"


def encryption_context(version_arn: str) -> dict[str, str]:
    return {CONTEXT_KEY: version_arn}


def seal(keyring: Keyring, kms_key_id: str | None, version_arn: str, data: bytes) -> bytes:
    """``data`` as stored for the version: an envelope when it has a key, else unchanged."""
    if not kms_key_id:
        return data
    try:
        return keyring.encrypt(kms_key_id, data, context=encryption_context(version_arn))
    except UnknownKeyError:
        raise JobFailed(
            f"The KMS key {kms_key_id} no longer exists in the keyring; the model cannot be stored."
        ) from None


def unseal(keyring: Keyring, version_arn: str, stored: bytes) -> bytes:
    """The plain file; raises the keyring's errors for a tampered file or a missing key."""
    if not stored.startswith(MAGIC):
        return stored
    return keyring.decrypt(stored, context=encryption_context(version_arn))


def upload_artifacts(ctx: JobContext, version_id: int, folder: Path, prefix: str) -> None:
    """Store every file of ``folder`` under ``prefix``, sealed with the version's key.

    For the training job in place of its plain upload: it reads the key and the ARN itself.
    """
    with ctx.sessions() as session:
        version = session.get(CLProjectVersion, version_id)
        if version is None:
            raise JobFailed("The project version no longer exists.")
        kms_key_id, arn = version.kms_key_id, version.arn
    bucket = ctx.settings.internal_bucket
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = prefix + path.relative_to(folder).as_posix()
        ctx.blobs.put(bucket, key, seal(ctx.keyring, kms_key_id, arn, path.read_bytes()))


def download_artifacts(
    settings: Settings, keyring: Keyring, blobs: BlobStore, prefix: str, folder: Path, version_arn: str
) -> Path:
    """Replace ``folder`` with the plain model files under ``prefix`` (for hosting)."""
    shutil.rmtree(folder, ignore_errors=True)
    for key in keys_under(blobs, settings.internal_bucket, prefix):
        target = folder / key[len(prefix) :]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(unseal(keyring, version_arn, blobs.get(settings.internal_bucket, key)))
    return folder


def download_version_artifacts(
    settings: Settings,
    keyring: Keyring,
    sessions: sessionmaker[Session],
    blobs: BlobStore,
    version_id: int,
    prefix: str,
    folder: Path,
) -> Path:
    """``download_artifacts`` for hosting, which knows the version by its id."""
    with sessions() as session:
        version = session.get(CLProjectVersion, version_id)
        if version is None:
            raise LookupError(f"The project version {version_id} no longer exists.")
        arn = version.arn
    return download_artifacts(settings, keyring, blobs, prefix, folder, arn)


def keys_under(blobs: BlobStore, bucket: str, prefix: str) -> Iterator[str]:
    token: str | None = None
    while True:
        page = blobs.list(bucket, prefix=prefix, continuation=token)
        yield from (obj.key for obj in page.objects)
        token = page.next_continuation
        if not page.is_truncated or not token:
            return
