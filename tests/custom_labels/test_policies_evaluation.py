"""Cross-account CopyProjectVersion: project policy evaluation (``policies.copy_allowed``) and the
policy file's per-key ``account``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openlookout.api.auth import AccessKey, CredentialStore, load_policy_file
from openlookout.service.custom_labels.errors import MalformedPolicyError
from openlookout.service.custom_labels.policies import check_policy_document, copy_allowed

ACCOUNT = "210987654321"
PROJECT = "arn:aws:rekognition:us-east-1:123456789012:project/shared/1700000000000"
VERSION = "arn:aws:rekognition:us-east-1:123456789012:project/shared/version/v1/1700000000001"
TARGETS = [VERSION, PROJECT]


def document(*statements: dict[str, Any]) -> str:
    text = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    check_policy_document(text)  # every document evaluated here is one PutProjectPolicy accepts
    return text


def statement(
    effect: str = "Allow",
    principal: Any = None,
    action: Any = "rekognition:CopyProjectVersion",
    resource: Any = VERSION,
) -> dict[str, Any]:
    return {
        "Effect": effect,
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"} if principal is None else principal,
        "Action": action,
        "Resource": resource,
    }


@pytest.mark.parametrize(
    "principal",
    ["*", {"AWS": "*"}, {"AWS": ACCOUNT}, {"AWS": ["111122223333", f"arn:aws:iam::{ACCOUNT}:root"]}],
)
def test_principal_forms_that_name_the_caller(principal: Any) -> None:
    assert copy_allowed([document(statement(principal=principal))], ACCOUNT, TARGETS)


@pytest.mark.parametrize(
    "principal",
    [{"AWS": "111122223333"}, {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}, {"Service": "*"}],
)
def test_principals_that_do_not_name_the_caller(principal: Any) -> None:
    assert not copy_allowed([document(statement(principal=principal))], ACCOUNT, TARGETS)


@pytest.mark.parametrize(
    "action", ["rekognition:*", "*", "rekognition:Copy*", ["REKOGNITION:copyprojectversion"]]
)
def test_action_wildcards_are_accepted_and_match(action: Any) -> None:
    assert copy_allowed([document(statement(action=action))], ACCOUNT, TARGETS)


@pytest.mark.parametrize("action", ["rekognition:Detect*", "s3:*", "rekognition:CopyProjectVersion2"])
def test_actions_that_do_not_cover_copy_are_malformed(action: str) -> None:
    with pytest.raises(MalformedPolicyError, match="CopyProjectVersion"):
        document(statement(action=action))


@pytest.mark.parametrize(
    ("resource", "allowed"),
    [
        ("*", True),
        (PROJECT, True),  # the project covers its versions
        ("arn:aws:rekognition:us-east-1:123456789012:project/shared/*", True),
        ("arn:aws:rekognition:us-east-1:123456789012:project/shared/version/v?/*", True),
        ([VERSION.replace("/v1/", "/v2/"), VERSION], True),
        (VERSION.replace("/v1/", "/v2/"), False),
        ("arn:aws:rekognition:us-east-1:123456789012:project/SHARED/*", False),  # ARNs are case-sensitive
        ("arn:aws:rekognition:us-east-1:123456789012:project/other/*", False),
    ],
)
def test_resource_patterns(resource: Any, allowed: bool) -> None:
    assert copy_allowed([document(statement(resource=resource))], ACCOUNT, TARGETS) is allowed


def test_explicit_deny_wins_and_no_statement_means_no() -> None:
    allow = document(statement())
    deny = document(statement(effect="Deny", principal="*", resource="*"))
    assert copy_allowed([allow], ACCOUNT, TARGETS)
    assert not copy_allowed([allow, deny], ACCOUNT, TARGETS)
    assert not copy_allowed([deny, allow], ACCOUNT, TARGETS)
    both = document(statement(), statement(effect="Deny", resource=PROJECT))
    assert not copy_allowed([both], ACCOUNT, TARGETS)
    assert not copy_allowed([], ACCOUNT, TARGETS)
    # A Deny for someone else does not touch this caller.
    other_deny = document(statement(effect="Deny", principal={"AWS": "111122223333"}, resource="*"))
    assert copy_allowed([allow, other_deny], ACCOUNT, TARGETS)


def test_policy_file_keys_may_belong_to_another_account(tmp_path: Path) -> None:
    entries = [
        {"access_key_id": "AKIAPARTNER000000001", "secret_access_key": "s1", "account": ACCOUNT},
        {"access_key_id": "AKIALOCAL00000000001", "secret_access_key": "s2"},
    ]
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"keys": entries}))
    store = CredentialStore(AccessKey("AKIAROOT000000000001", "root"), load_policy_file(path))
    assert store.account_of("AKIAPARTNER000000001") == ACCOUNT
    assert store.account_of("AKIALOCAL00000000001") is None  # the server's own account
    assert store.account_of("AKIAROOT000000000001") is None
    for bad in ("12345", 210987654321, "21098765432x"):
        path.write_text(json.dumps({"keys": [{**entries[0], "account": bad}]}))
        with pytest.raises(ValueError, match="12-digit account id"):
            load_policy_file(path)
