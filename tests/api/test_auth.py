"""SigV4 verification against requests signed by the current botocore, and permissions."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from openlookout.api.auth import (
    AccessKey,
    Authenticator,
    AuthError,
    CredentialStore,
    PayloadHashMismatch,
    Principal,
    load_policy_file,
)
from openlookout.config import Settings
from openlookout.errors import AccessDeniedError

ROOT = AccessKey("AKIAROOTROOTROOTROOT", "root-secret-0123456789012345678901234567")
LIMITED = AccessKey(
    "AKIALIMITEDLIMITEDLI",
    "limited-secret-012345678901234567890123",
    ("lookoutvision:Describe*", "lookoutvision:List*", "s3:GetObject"),
)
ENDPOINT = "http://127.0.0.1:8080"
TAG_PATH = "/2020-11-20/tags/arn%3Aaws%3Alookoutvision%3Aus-east-1%3A123456789012%3Amodel%2Fp1%2F1"


@pytest.fixture
def authenticator() -> Authenticator:
    return Authenticator(CredentialStore(ROOT, [LIMITED]), "us-east-1")


def wire(
    service: str,
    method: str,
    url: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    key: AccessKey = ROOT,
    signer: type[SigV4Auth] = SigV4Auth,
    region: str = "us-east-1",
) -> tuple[str, str, str, dict[str, str], bytes]:
    """Sign like botocore does, then return what the server would receive."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer(Credentials(key.access_key_id, key.secret_access_key), service, region).add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    received = dict(prepared.headers)
    received["Host"] = parts.netloc  # added by the HTTP client, and signed by botocore
    return method, parts.path, parts.query, received, prepared.body or b""


def test_lookoutvision_post_with_encoded_arn_label(authenticator: Authenticator) -> None:
    body = json.dumps({"Tags": [{"Key": "k", "Value": "v"}]}).encode()
    args = wire("lookoutvision", "POST", ENDPOINT + TAG_PATH, body, {"Content-Type": "application/json"})
    principal = authenticator.authenticate(*args)
    assert principal == Principal(ROOT.access_key_id, True, "lookoutvision", "us-east-1")


def test_query_string_with_encoded_values(authenticator: Authenticator) -> None:
    url = (
        ENDPOINT + "/2020-11-20/projects/p1/datasets/train/entries"
        "?maxResults=5&nextToken=ab%2Bc%2Fd%3D&createdBefore=2024-01-02T03%3A04%3A05Z&labeled=true"
    )
    principal = authenticator.authenticate(*wire("lookoutvision", "GET", url))
    assert principal.service == "lookoutvision"


def test_delete_with_content_length_zero_and_empty_body(authenticator: Authenticator) -> None:
    url = ENDPOINT + TAG_PATH + "?tagKeys=a&tagKeys=b"
    method, path, query, headers, body = wire("lookoutvision", "DELETE", url)
    headers["Content-Length"] = "0"  # unsigned, as the HTTP client adds it
    headers["User-Agent"] = "aws-cli/1.42.60"
    assert authenticator.authenticate(method, path, query, headers, body).is_root


def test_s3_put_with_signed_payload_hash(authenticator: Authenticator) -> None:
    body = b"image bytes" * 100
    url = ENDPOINT + "/bucket/images/a%20b%2Bc.png"
    args = wire("s3", "PUT", url, body, signer=S3SigV4Auth)
    assert args[3]["X-Amz-Content-SHA256"] not in ("UNSIGNED-PAYLOAD", "")
    assert authenticator.authenticate(*args).service == "s3"


def test_s3_unsigned_and_streaming_payload_values_are_signed_as_given(authenticator: Authenticator) -> None:
    for value in ("UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"):
        request = AWSRequest(method="PUT", url=ENDPOINT + "/b/k", data=b"xyz")
        request.context["payload_signing_enabled"] = False
        signer = SigV4Auth(Credentials(ROOT.access_key_id, ROOT.secret_access_key), "s3", "us-east-1")
        request.headers["X-Amz-Content-SHA256"] = value
        signer.add_auth(request)
        headers = dict(request.headers) | {"Host": "127.0.0.1:8080"}
        assert authenticator.authenticate("PUT", "/b/k", "", headers, b"any body").service == "s3"


def test_s3_body_that_differs_from_signed_hash_is_rejected(authenticator: Authenticator) -> None:
    method, path, query, headers, _ = wire("s3", "PUT", ENDPOINT + "/b/k", b"original", signer=S3SigV4Auth)
    with pytest.raises(PayloadHashMismatch):
        authenticator.authenticate(method, path, query, headers, b"tampered")


def test_lookoutvision_body_tampering_breaks_the_signature(authenticator: Authenticator) -> None:
    method, path, query, headers, _ = wire("lookoutvision", "POST", ENDPOINT + "/2020-11-20/projects", b"{}")
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate(method, path, query, headers, b'{"ProjectName":"x"}')
    assert caught.value.kind == "BAD_SIGNATURE"


def test_s3_presigned_url(authenticator: Authenticator) -> None:
    request = AWSRequest(method="GET", url=ENDPOINT + "/bucket/dir/key%3A1.png")
    creds = Credentials(ROOT.access_key_id, ROOT.secret_access_key)
    S3SigV4QueryAuth(creds, "s3", "us-east-1", expires=60).add_auth(request)
    parts = urlsplit(request.url)
    headers = {"Host": parts.netloc}
    assert authenticator.authenticate("GET", parts.path, parts.query, headers, b"").service == "s3"
    later = datetime.now(UTC) + timedelta(seconds=120)
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate("GET", parts.path, parts.query, headers, b"", now=later)
    assert caught.value.kind == "EXPIRED"
    tampered = parts.query.replace("X-Amz-Expires=60", "X-Amz-Expires=600")
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate("GET", parts.path, tampered, headers, b"")
    assert caught.value.kind == "BAD_SIGNATURE"


def test_unknown_access_key(authenticator: Authenticator) -> None:
    stranger = AccessKey("AKIASTRANGERSTRANGER", "x" * 40)
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate(
            *wire("lookoutvision", "GET", ENDPOINT + "/2020-11-20/projects", key=stranger)
        )
    assert caught.value.kind == "UNKNOWN_KEY"


def test_wrong_secret_or_tampered_signature(authenticator: Authenticator) -> None:
    wrong = AccessKey(ROOT.access_key_id, "not-the-secret-000000000000000000000000")
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate(
            *wire("lookoutvision", "GET", ENDPOINT + "/2020-11-20/projects", key=wrong)
        )
    assert caught.value.kind == "BAD_SIGNATURE"

    method, path, query, headers, body = wire("lookoutvision", "GET", ENDPOINT + "/2020-11-20/projects")
    signature = headers["Authorization"][-64:]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    headers["Authorization"] = headers["Authorization"][:-64] + flipped
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate(method, path, query, headers, body)
    assert caught.value.kind == "BAD_SIGNATURE"


def test_path_changed_after_signing_is_rejected(authenticator: Authenticator) -> None:
    method, path, query, headers, body = wire("lookoutvision", "POST", ENDPOINT + TAG_PATH, b"{}")
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate(method, path.replace("%2F1", "%2F2"), query, headers, body)
    assert caught.value.kind == "BAD_SIGNATURE"


def test_stale_and_future_dates(authenticator: Authenticator) -> None:
    args = wire("lookoutvision", "GET", ENDPOINT + "/2020-11-20/projects")
    for offset in (timedelta(minutes=16), -timedelta(minutes=16)):
        with pytest.raises(AuthError) as caught:
            authenticator.authenticate(*args, now=datetime.now(UTC) + offset)
        assert caught.value.kind == "EXPIRED"
    assert authenticator.authenticate(*args, now=datetime.now(UTC) + timedelta(minutes=10)).is_root


def test_missing_and_malformed_authorization(authenticator: Authenticator) -> None:
    method, path, query, headers, body = wire("lookoutvision", "GET", ENDPOINT + "/2020-11-20/projects")
    unsigned = {k: v for k, v in headers.items() if k != "Authorization"}
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate(method, path, query, unsigned, body)
    assert caught.value.kind == "MISSING"

    for bad in ("AWS AKIA:abc", "AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1", "AWS4-HMAC-SHA256 x"):
        with pytest.raises(AuthError) as caught:
            authenticator.authenticate(method, path, query, {**headers, "Authorization": bad}, body)
        assert caught.value.kind == "MALFORMED"

    no_date = {k: v for k, v in headers.items() if k != "X-Amz-Date"}
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate(method, path, query, no_date, body)
    assert caught.value.kind == "MALFORMED"


def test_any_aws_region_is_served_and_others_are_malformed(authenticator: Authenticator) -> None:
    # Every AWS region name is served (its resources are its own: docs/protocol.md "Regions").
    for region in ("eu-west-1", "us-gov-west-1", "cn-northwest-1", "ap-southeast-3"):
        args = wire("lookoutvision", "GET", ENDPOINT + "/2020-11-20/projects", region=region)
        assert authenticator.authenticate(*args).region == region
    args = wire("lookoutvision", "GET", ENDPOINT + "/2020-11-20/projects", region="moon-base")
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate(*args)
    assert caught.value.kind == "MALFORMED"
    assert "moon-base" in caught.value.message


def test_allow_list_wildcards(authenticator: Authenticator) -> None:
    limited = Principal(LIMITED.access_key_id, False, "lookoutvision", "us-east-1")
    authenticator.authorize(limited, "lookoutvision:DescribeProject")
    authenticator.authorize(limited, "lookoutvision:ListModels")
    authenticator.authorize(limited, "s3:GetObject")
    for action in ("lookoutvision:CreateModel", "lookoutvision:describeProject", "s3:PutObject"):
        with pytest.raises(AccessDeniedError) as caught:
            authenticator.authorize(limited, action)
        assert caught.value.message == f"User: {LIMITED.access_key_id} is not authorized to perform: {action}"
    root = Principal(ROOT.access_key_id, True, "lookoutvision", "us-east-1")
    authenticator.authorize(root, "lookoutvision:CreateModel")


def test_limited_key_authenticates_but_is_not_root(authenticator: Authenticator) -> None:
    args = wire("lookoutvision", "GET", ENDPOINT + "/2020-11-20/projects", key=LIMITED)
    principal = authenticator.authenticate(*args)
    assert principal.access_key_id == LIMITED.access_key_id
    assert not principal.is_root


# ------------------------------------------------------------ credential store


def test_root_key_generated_once_with_private_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENLOOKOUT_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("OPENLOOKOUT_SECRET_ACCESS_KEY", raising=False)
    settings = Settings(data_dir=tmp_path)
    first = CredentialStore.load(settings)
    key_id, secret = first.root
    assert first.created
    assert key_id.startswith("AKIA") and len(key_id) == 20 and key_id.isalnum()
    assert len(secret) == 40
    assert stat.S_IMODE(settings.credentials_path.stat().st_mode) == 0o600
    second = CredentialStore.load(settings)
    assert second.root == (key_id, secret)
    assert not second.created


def test_root_key_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENLOOKOUT_ACCESS_KEY_ID", "AKIAENVENVENVENVENV1")
    monkeypatch.setenv("OPENLOOKOUT_SECRET_ACCESS_KEY", "env-secret")
    store = CredentialStore.load(Settings(data_dir=tmp_path))
    assert store.root == ("AKIAENVENVENVENVENV1", "env-secret")
    assert not (tmp_path / "credentials.json").exists()


def test_policy_file_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENLOOKOUT_ACCESS_KEY_ID", ROOT.access_key_id)
    monkeypatch.setenv("OPENLOOKOUT_SECRET_ACCESS_KEY", ROOT.secret_access_key)
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps({"keys": [{"access_key_id": "AKIAREAD", "secret_access_key": "s", "allow": ["s3:Get*"]}]})
    )
    store = CredentialStore.load(Settings(data_dir=tmp_path, policy_file=policy))
    assert store.secret_for("AKIAREAD") == "s"
    assert store.allowed_actions("AKIAREAD") == ("s3:Get*",)
    assert not store.is_root("AKIAREAD")
    assert store.secret_for("AKIANOPE") is None


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"keys": {}},
        {"keys": [{"access_key_id": "A"}]},
        {"keys": [{"access_key_id": "A", "secret_access_key": "s", "allow": "s3:*"}]},
        {"keys": [{"access_key_id": "A", "secret_access_key": "s"}] * 2},
    ],
)
def test_malformed_policy_files_are_refused(tmp_path: Path, document: object) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(document))
    with pytest.raises(ValueError):
        load_policy_file(policy)
