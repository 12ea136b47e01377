"""Build boto3 clients for an openlookout server from a plain config dict.

Imported in-process (current boto3) and by the scripts that the old boto3
1.40.60 runs, so it may use only the standard library and boto3/botocore.

Config keys: ``endpoint`` (http://127.0.0.1:PORT), ``region``, ``keys``
(role -> [access key id, secret]), optional ``data_path`` (a folder holding a
generated ``lookoutvision`` service model, for boto3 releases without one).
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
from botocore.config import Config

# Exactly one attempt: a retried 500 or throttle would hide the very error a test checks.
NO_RETRIES = {"total_max_attempts": 1, "mode": "standard"}


def session_for(config: dict[str, Any], role: str = "root") -> boto3.session.Session:
    access_key, secret_key = config["keys"][role]
    core = botocore.session.Session()
    if config.get("data_path"):
        # The loader is built lazily, so setting data_path here is enough.
        core.set_config_variable("data_path", config["data_path"])
    return boto3.session.Session(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=config["region"],
        botocore_session=core,
    )


def lookoutvision_client(config: dict[str, Any], role: str = "root") -> Any:
    return session_for(config, role).client(
        "lookoutvision",
        endpoint_url=config["endpoint"],
        config=Config(retries=NO_RETRIES, connect_timeout=10, read_timeout=120),
    )


def s3_client(config: dict[str, Any], role: str = "root") -> Any:
    return session_for(config, role).client(
        "s3",
        endpoint_url=config["endpoint"],
        config=Config(
            retries=NO_RETRIES,
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            connect_timeout=10,
            read_timeout=120,
        ),
    )


def clients_by_role(config: dict[str, Any]) -> dict[str, Any]:
    """One lookoutvision client per configured access key."""
    return {role: lookoutvision_client(config, role) for role in config["keys"]}
