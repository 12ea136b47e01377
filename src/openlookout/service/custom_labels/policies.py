"""Project policies: PutProjectPolicy, ListProjectPolicies, DeleteProjectPolicy (spec B.3).

A policy lets another account copy this project's versions. Every change issues a new
revision id (32 hex digits); callers must quote the current one to change or delete.
``copy_allowed`` evaluates the stored documents for a cross-account CopyProjectVersion.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openlookout.errors import InvalidInputError, NotFoundError
from openlookout.service.common import pagination
from openlookout.service.custom_labels.call import CustomLabelsCall
from openlookout.service.custom_labels.errors import (
    AlreadyExistsError,
    LimitExceededError,
    MalformedPolicyError,
    PolicyRevisionError,
    duplicate_as,
)
from openlookout.service.custom_labels.lookup import get_project
from openlookout.store.base import utcnow
from openlookout.store.custom_labels_tables import CLProjectPolicy
from openlookout.store.db import write_session

# Undocumented in AWS; five keeps the ListProjectPolicies default page complete.
MAX_POLICIES_PER_PROJECT = 5
POLICIES_QUOTA_CODE = "openlookout-project-policies"
ALLOWED_ACTION = "rekognition:CopyProjectVersion"
_FORBIDDEN_KEYS = ("NotAction", "NotResource", "NotPrincipal")
_REQUIRED_KEYS = ("Effect", "Principal", "Action", "Resource")


def check_policy_document(text: str) -> None:
    """IAM JSON whose statements only allow or deny rekognition:CopyProjectVersion."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedPolicyError(f"The policy document is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise MalformedPolicyError("The policy document must be a JSON object with a Statement.")
    statements = document["Statement"]
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not statements:
        raise MalformedPolicyError("Statement must be an object or a non-empty list of objects.")
    for number, statement in enumerate(statements, start=1):
        if not isinstance(statement, dict):
            raise MalformedPolicyError(f"Statement {number} is not a JSON object.")
        for key in _FORBIDDEN_KEYS:
            if key in statement:
                raise MalformedPolicyError(f"Statement {number}: {key} is not allowed in project policies.")
        for key in _REQUIRED_KEYS:
            if key not in statement:
                raise MalformedPolicyError(f"Statement {number}: {key} is required.")
        if statement["Effect"] not in ("Allow", "Deny"):
            raise MalformedPolicyError(f"Statement {number}: Effect must be Allow or Deny.")
        actions = _as_list(statement["Action"])
        if not actions or not all(isinstance(a, str) and _action_covers(a) for a in actions):
            raise MalformedPolicyError(
                f"Statement {number}: the only action a project policy can name is {ALLOWED_ACTION} "
                "(or a wildcard pattern that matches it, such as rekognition:*)."
            )


# -- evaluation (cross-account CopyProjectVersion) ---------------------------------------------


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM wildcards: ``*`` any run of characters, ``?`` one character; nothing else is special."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE if ignore_case else 0)


def _action_covers(pattern: str) -> bool:
    # IAM action names are case-insensitive.
    return bool(_wildcard(pattern, ignore_case=True).match(ALLOWED_ACTION))


def _principal_names(principal: object) -> list[object]:
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return _as_list(principal.get("AWS", []))
    return []


def _principal_matches(principal: object, account: str) -> bool:
    """``*``, the account id, or its root ARN (the caller is known by its account only)."""
    accepted = {"*", account, f"arn:aws:iam::{account}:root"}
    return any(name in accepted for name in _principal_names(principal))


def _resource_matches(resource: object, arns: Sequence[str]) -> bool:
    patterns = [p for p in _as_list(resource) if isinstance(p, str)]
    return any(_wildcard(p, ignore_case=False).match(arn) for p in patterns for arn in arns)


def copy_allowed(documents: Iterable[str], account: str, resource_arns: Sequence[str]) -> bool:
    """Whether the policies let ``account`` run CopyProjectVersion on one of ``resource_arns``.

    IAM logic: an explicit Deny that matches wins, otherwise one matching Allow is needed.
    Documents are the stored ones (already checked by ``check_policy_document``).
    """
    allowed = False
    for text in documents:
        statements = _as_list(json.loads(text)["Statement"])
        for statement in statements:
            if not (
                _principal_matches(statement["Principal"], account)
                and any(_action_covers(a) for a in _as_list(statement["Action"]))
                and _resource_matches(statement["Resource"], resource_arns)
            ):
                continue
            if statement["Effect"] == "Deny":
                return False
            allowed = True
    return allowed


def project_policy_documents(session: Session, project_id: int) -> list[str]:
    return list(
        session.scalars(select(CLProjectPolicy.document).where(CLProjectPolicy.project_id == project_id))
    )


def _policy(session: Session, project_id: int, name: str) -> CLProjectPolicy | None:
    return session.scalars(
        select(CLProjectPolicy).where(CLProjectPolicy.project_id == project_id, CLProjectPolicy.name == name)
    ).one_or_none()


def put_project_policy(
    call: CustomLabelsCall,
    project_arn: str,
    policy_name: str,
    policy_document: str,
    policy_revision_id: str | None = None,
) -> dict[str, Any]:
    check_policy_document(policy_document)
    revision = uuid.uuid4().hex
    exists = AlreadyExistsError(
        f"The policy {policy_name} already exists; pass its PolicyRevisionId to replace it.",
        resource_type="PROJECT_POLICY",
        resource_id=policy_name,
    )
    with duplicate_as(exists), write_session(call.sessions) as session:
        project = get_project(session, project_arn)
        policy = _policy(session, project.id, policy_name)
        now = utcnow()
        if policy is None:
            if policy_revision_id is not None:
                raise PolicyRevisionError(
                    f"The project has no policy named {policy_name}, so no revision id can match."
                )
            count = session.scalar(select(func.count()).where(CLProjectPolicy.project_id == project.id))
            if (count or 0) >= MAX_POLICIES_PER_PROJECT:
                raise LimitExceededError(
                    f"A project can have at most {MAX_POLICIES_PER_PROJECT} policies.", POLICIES_QUOTA_CODE
                )
            session.add(
                CLProjectPolicy(
                    project_id=project.id,
                    name=policy_name,
                    revision_id=revision,
                    document=policy_document,
                    created_at=now,
                    updated_at=now,
                )
            )
        else:
            if policy_revision_id is None:
                raise exists
            if policy_revision_id.lower() != policy.revision_id:
                raise PolicyRevisionError(
                    f"PolicyRevisionId {policy_revision_id} is not the current revision of {policy_name}."
                )
            policy.revision_id, policy.document, policy.updated_at = revision, policy_document, now
    return {"PolicyRevisionId": revision}


def list_project_policies(
    call: CustomLabelsCall,
    project_arn: str,
    next_token: str | None = None,
    max_results: int | None = None,
) -> dict[str, Any]:
    limit = MAX_POLICIES_PER_PROJECT if max_results is None else max_results
    if not 1 <= limit <= MAX_POLICIES_PER_PROJECT:
        raise InvalidInputError(f"MaxResults must be 1 to {MAX_POLICIES_PER_PROJECT}.", field="MaxResults")
    query = {"op": "ListProjectPolicies", "project": project_arn}
    page = pagination.keyset(next_token, query, str, limit)
    with call.sessions() as session:
        project = get_project(session, project_arn)
        stmt = select(CLProjectPolicy).where(CLProjectPolicy.project_id == project.id)
        rows = session.scalars(page.select(stmt, CLProjectPolicy.name)).all()
        return {
            "ProjectPolicies": [
                {
                    "ProjectArn": project.arn,
                    "PolicyName": p.name,
                    "PolicyRevisionId": p.revision_id,
                    "PolicyDocument": p.document,
                    "CreationTimestamp": p.created_at,
                    "LastUpdatedTimestamp": p.updated_at,
                }
                for p in page.rows(rows)
            ],
            **page.next_token(rows, lambda p: p.name),
        }


def delete_project_policy(
    call: CustomLabelsCall,
    project_arn: str,
    policy_name: str,
    policy_revision_id: str | None = None,
) -> dict[str, Any]:
    with write_session(call.sessions) as session:
        project = get_project(session, project_arn)
        policy = _policy(session, project.id, policy_name)
        if policy is None:
            raise NotFoundError(
                f"The project has no policy named {policy_name}.",
                resource_type="PROJECT_POLICY",
                resource_id=policy_name,
            )
        if policy_revision_id is not None and policy_revision_id.lower() != policy.revision_id:
            raise PolicyRevisionError(
                f"PolicyRevisionId {policy_revision_id} is not the current revision of {policy_name}."
            )
        session.delete(policy)
    return {}
