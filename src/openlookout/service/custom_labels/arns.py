"""Custom Labels ARNs (spec B.8).

The trailing number is the creation time in epoch milliseconds, as in every AWS example;
it makes a re-created project (same name) a different resource with a different ARN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from openlookout.errors import InvalidInputError

_ARN = re.compile(
    r"^arn:(?P<partition>[a-z\d-]+):rekognition:(?P<region>[a-z\d-]+):(?P<account>\d{12}):"
    r"project/(?P<project>[a-zA-Z0-9_.\-]{1,255})"
    r"(?:/dataset/(?P<dataset>train|test)|/version/(?P<version>[a-zA-Z0-9_.\-]{1,255}))?/(?P<stamp>[0-9]+)$"
)


def stamp(created_at: datetime) -> int:
    return int(created_at.timestamp() * 1000)


def project_arn(region: str, account_id: str, name: str, created_at: datetime) -> str:
    return f"arn:aws:rekognition:{region}:{account_id}:project/{name}/{stamp(created_at)}"


def dataset_arn(project_arn_: str, dataset_type: str, created_at: datetime) -> str:
    """``DatasetType`` is upper case on the wire and lower case in the ARN."""
    prefix = project_arn_.rsplit("/", 1)[0]
    return f"{prefix}/dataset/{dataset_type.lower()}/{stamp(created_at)}"


def version_arn(project_arn_: str, version_name: str, created_at: datetime) -> str:
    prefix = project_arn_.rsplit("/", 1)[0]
    return f"{prefix}/version/{version_name}/{stamp(created_at)}"


@dataclass(frozen=True)
class ParsedArn:
    kind: str  # "project" | "dataset" | "version"
    project_name: str


def parse_arn(arn: str) -> ParsedArn:
    """Which kind of Custom Labels resource an ARN names; InvalidInputError for anything else."""
    match = _ARN.match(arn)
    if match is None:
        raise InvalidInputError(
            f"{arn!r} is not a Rekognition Custom Labels project, dataset or project version ARN.",
            field="ResourceArn",
        )
    kind = "dataset" if match["dataset"] else "version" if match["version"] else "project"
    return ParsedArn(kind, match["project"])
