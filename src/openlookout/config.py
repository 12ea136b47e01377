"""Server settings: one object built from CLI flags and environment variables.

Everything that picks an implementation behind a seam (metadata URL, blob
store, job runner) lives here, so the embedded default and a cluster run the
same code with different settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
# Bucket (local folder or S3 bucket) that holds the service's own copies of
# images and model artefacts. The embedded S3 API refuses user access to it.
DEFAULT_INTERNAL_BUCKET = "openlookout-internal"


@dataclass
class Settings:
    data_dir: Path = field(default_factory=lambda: Path("./data"))
    host: str = "127.0.0.1"
    port: int = 8080
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    # SQLAlchemy URL; None means SQLite in the data dir.
    database_url: str | None = None
    # "local" (folder under data_dir/buckets) or "s3" (any S3-compatible endpoint via boto3).
    blob_backend: str = "local"
    s3_endpoint_url: str | None = None
    internal_bucket: str = DEFAULT_INTERNAL_BUCKET
    # JSON policy file with extra access keys and their allow-lists (docs/security.md).
    policy_file: Path | None = None
    # Worker processes for training and dataset jobs.
    job_workers: int = 2
    # Which job runner and model host the composition root builds; only "local" exists so far.
    job_runner: str = "local"
    model_host: str = "local"
    # ServiceQuotaExceededException beyond this many concurrent trainings.
    max_concurrent_trainings: int = 2
    # A job interrupted this many times (server crash) is failed instead of resumed.
    max_job_attempts: int = 3

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'openlookout.db').resolve()}"

    @property
    def buckets_dir(self) -> Path:
        return self.data_dir / "buckets"

    @property
    def credentials_path(self) -> Path:
        return self.data_dir / "credentials.json"

    @property
    def keyring_path(self) -> Path:
        return self.data_dir / "keyring.json"

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then OPENLOOKOUT_* environment variables, then explicit overrides."""
        s = cls()
        for name, (field_name, convert) in _ENVIRONMENT.items():
            if v := os.environ.get(name):
                setattr(s, field_name, convert(v))
        for key, value in overrides.items():
            if value is not None:
                setattr(s, key, value)
        s.data_dir = Path(s.data_dir)
        return s


# OPENLOOKOUT_* variable -> the Settings field it sets, and how its text becomes the value.
_ENVIRONMENT: dict[str, tuple[str, Callable[[str], object]]] = {
    "OPENLOOKOUT_DATA_DIR": ("data_dir", Path),
    "OPENLOOKOUT_DATABASE_URL": ("database_url", str),
    "OPENLOOKOUT_BLOB_BACKEND": ("blob_backend", str),
    "OPENLOOKOUT_S3_ENDPOINT_URL": ("s3_endpoint_url", str),
    "OPENLOOKOUT_POLICY_FILE": ("policy_file", Path),
    "OPENLOOKOUT_REGION": ("region", str),
    "OPENLOOKOUT_ACCOUNT_ID": ("account_id", str),
    "OPENLOOKOUT_JOB_WORKERS": ("job_workers", int),
    "OPENLOOKOUT_JOB_RUNNER": ("job_runner", str),
    "OPENLOOKOUT_MODEL_HOST": ("model_host", str),
}
