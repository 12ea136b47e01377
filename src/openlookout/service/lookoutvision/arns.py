"""Lookout for Vision resource ARNs (spec A.10)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from openlookout.errors import InvalidInputError

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-zA-Z-]*):lookoutvision:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<kind>project|model)/(?P<project>[a-zA-Z0-9][a-zA-Z0-9_\-]{0,254})"
    r"(?:/(?P<version>[1-9][0-9]{0,9}))?$"
)


def project_arn(region: str, account_id: str, project_name: str) -> str:
    return f"arn:aws:lookoutvision:{region}:{account_id}:project/{project_name}"


def model_arn(region: str, account_id: str, project_name: str, version: int) -> str:
    return f"arn:aws:lookoutvision:{region}:{account_id}:model/{project_name}/{version}"


@dataclass(frozen=True)
class ResourceArn:
    """A parsed project ARN (``model_version`` None) or model ARN."""

    region: str
    account_id: str
    project_name: str
    model_version: int | None


def parse_resource_arn(arn: str) -> ResourceArn:
    """Parse a taggable ARN; InvalidInputError for anything that is not a project or model ARN."""
    match = _ARN.match(arn)
    if match is None or (match["kind"] == "model") != (match["version"] is not None):
        raise InvalidInputError(
            f"{arn!r} is not a Lookout for Vision project or model ARN "
            "(arn:aws:lookoutvision:<region>:<account>:project/<name> or .../model/<name>/<version>).",
            field="ResourceArn",
        )
    version = int(match["version"]) if match["version"] else None
    return ResourceArn(match["region"], match["account"], match["project"], version)
