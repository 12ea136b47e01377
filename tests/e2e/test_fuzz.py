"""Generated requests against a real server: no 5xx, no dropped connection (issue 12 item 16).

About 2,000 requests from a fixed seed (hypothesis, derandomized), in three parts:

- Lookout for Vision and Rekognition Custom Labels: every operation of the declared shapes,
  with valid-shaped and boundary values (lengths and ranges at and past their limits, enum
  values and near misses), sent through botocore with its parameter validation off, plus raw
  signed bodies that are not what the operation declares;
- the embedded S3 API: methods, sub-resources, headers and bodies over the routes.

A 4xx is fine (bad input must be refused), and so is S3's deliberate 501 NotImplemented; any
other 5xx, or a connection the server drops, fails.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import urllib3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import Shape
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from openlookout.api.shapes.lookoutvision import SERVICE as L4V_SERVICE
from openlookout.api.shapes.rekognition import SERVICE as CL_SERVICE
from support.server import ServerProcess, client_config, signed_request, start_server

from .clients.connect import s3_client, session_for

SEED = 20261207  # a fixed seed (and no example database): the same requests every run
FUZZ = settings(
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
# Characters that exercise encodings without being unsendable in a header.
_TEXT = st.text(
    alphabet=st.sampled_from(string.ascii_letters + string.digits + "-_./:@ %+é猫\u2028"), max_size=40
)
_ASCII = st.text(alphabet=st.sampled_from(string.ascii_letters + string.digits + "-_.:/=+"), max_size=40)


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("fuzz"), "fuzz")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def clients(fuzz_server: ServerProcess, sdk_model_dir: Path) -> dict[str, Any]:
    config = client_config(fuzz_server, sdk_model_dir)
    unchecked = Config(parameter_validation=False, retries={"total_max_attempts": 1}, read_timeout=60)
    session = session_for(config)
    return {
        "lookoutvision": session.client("lookoutvision", endpoint_url=fuzz_server.endpoint, config=unchecked),
        "rekognition": session.client("rekognition", endpoint_url=fuzz_server.endpoint, config=unchecked),
    }


def _string(shape: Shape, in_header: bool) -> st.SearchStrategy[str]:
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max", 64)
    base = _ASCII if in_header else _TEXT
    options = [base, st.just("a" * low), st.just("a" * min(high, 2048)), st.just("a" * min(high + 1, 2049))]
    if low:
        options.append(st.just("a" * (low - 1)))
    if shape.enum:
        options += [st.sampled_from(shape.enum), st.sampled_from([e.lower() + "x" for e in shape.enum])]
    return st.one_of(options)


def _number(shape: Shape) -> st.SearchStrategy[int]:
    low, high = shape.metadata.get("min", -(2**31)), shape.metadata.get("max", 2**31 - 1)
    return st.one_of(st.integers(low, high), st.sampled_from([low - 1, low, high, high + 1, 0, -1]))


def value_of(shape: Shape, depth: int = 0, in_header: bool = False) -> st.SearchStrategy[Any]:
    """A value of ``shape``: mostly valid-shaped, often at or just past a declared limit."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 4:
            return st.just({})
        members = {
            name: value_of(member, depth + 1, member.serialization.get("location") == "header")
            for name, member in shape.members.items()
        }
        required = {name: members[name] for name in shape.required_members}
        optional = {name: s for name, s in members.items() if name not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "string":
        return _string(shape, in_header)
    if kind in ("integer", "long"):
        return _number(shape)
    if kind in ("float", "double"):
        return st.floats(-1e6, 1e6, allow_nan=False) | st.sampled_from([0.0, 100.0, 100.5, -0.5])
    if kind == "boolean":
        return st.booleans()
    if kind == "blob":
        return st.binary(max_size=256) | st.just(b"\x89PNG\r\n\x1a\n" + bytes(64))
    if kind == "timestamp":
        return st.datetimes(datetime(1970, 1, 2), datetime(2100, 1, 1), timezones=st.just(UTC))
    if kind == "list":
        return st.lists(value_of(shape.member, depth + 1), max_size=3)
    if kind == "map":
        return st.dictionaries(_ASCII, value_of(shape.value, depth + 1), max_size=3)
    return st.none()


_REFUSED: list[str] = []  # operations botocore could not serialise (never sent)


def _call(client: Any, operation: str, params: dict[str, Any]) -> None:
    try:
        client._make_api_call(operation, params)
    except ClientError as error:
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        assert status < 500, f"{operation} {params!r:.400} answered {status}: {error.response['Error']}"
    except (TypeError, ValueError, UnicodeError):
        _REFUSED.append(operation)  # refused by botocore before anything was sent


def _api_request(service_model: Any) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    names = sorted(service_model.operation_names)
    return st.sampled_from(names).flatmap(
        lambda name: st.tuples(st.just(name), value_of(service_model.operation_model(name).input_shape))
    )


@settings(FUZZ, max_examples=650)
@seed(SEED)
@given(request=_api_request(L4V_SERVICE))
def test_fuzz_lookoutvision_operations(clients: dict[str, Any], request: tuple[str, dict[str, Any]]) -> None:
    _call(clients["lookoutvision"], *request)


@settings(FUZZ, max_examples=650)
@seed(SEED)
@given(request=_api_request(CL_SERVICE))
def test_fuzz_custom_labels_operations(clients: dict[str, Any], request: tuple[str, dict[str, Any]]) -> None:
    _call(clients["rekognition"], *request)


def test_fuzzed_api_requests_mostly_reached_the_server() -> None:
    # Runs after the two API fuzz tests (file order): they must not be mostly refused client-side.
    assert len(_REFUSED) < 130, sorted(set(_REFUSED))


_RAW_BODIES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"", b"{", b"[]", b"null", b'{"ProjectName": 5}', b'{"a":' * 50 + b"1" + b"}" * 50]),
    st.dictionaries(
        _TEXT, st.one_of(st.none(), st.integers(), _TEXT, st.lists(_TEXT, max_size=2)), max_size=4
    ).map(lambda d: json.dumps(d).encode()),
)


def _send(
    server: ServerProcess,
    service: str,
    method: str,
    path: str,
    body: bytes,
    headers: dict[str, str],
    params: dict[str, str] | None = None,
) -> None:
    try:
        response = signed_request(server.endpoint, server.keys, service, method, path, body, headers, params)
    except urllib3.exceptions.HTTPError as error:
        raise AssertionError(f"{method} {path[:300]} {params} dropped the connection: {error}") from None
    # S3 answers what it does not implement with 501 NotImplemented, on purpose.
    not_implemented = method == "HEAD" or b"<Code>NotImplemented</Code>" in response.data  # HEAD: no body
    deliberate = service == "s3" and response.status == 501 and not_implemented
    assert response.status < 500 or deliberate, (
        f"{method} {path[:300]} {params} answered {response.status}: {response.data[:300]!r}"
    )


@settings(FUZZ, max_examples=300)
@seed(SEED)
@given(
    l4v=st.tuples(
        st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
        st.sampled_from(
            [
                "/2020-11-20/projects",
                "/2020-11-20/projects/p",
                "/2020-11-20/projects/p/datasets",
                "/2020-11-20/projects/p/models",
                "/2020-11-20/projects/p/models/1/detect",
                "/2020-11-20/projects/p/models/1/start",
                "/2020-11-20/tags/arn%3Aaws%3Alookoutvision%3Aus-east-1%3A123456789012%3Amodel%2Fp%2F1",
                "/2020-11-20/packagingjobs",
                "/2020-11-20/",
            ]
        ),
    ),
    target=st.sampled_from([*sorted(CL_SERVICE.operation_names), "DetectLabels", "Nope"]),
    body=_RAW_BODIES,
    which=st.booleans(),
)
def test_fuzz_raw_signed_bodies(
    fuzz_server: ServerProcess, l4v: tuple[str, str], target: str, body: bytes, which: bool
) -> None:
    if which:
        method, path = l4v
        _send(fuzz_server, "lookoutvision", method, path, body, {"Content-Type": "application/json"})
    else:
        headers = {
            "X-Amz-Target": f"RekognitionService.{target}",
            "Content-Type": "application/x-amz-json-1.1",
        }
        _send(fuzz_server, "rekognition", "POST", "/", body, headers)


_S3_PARAMS = [
    "list-type", "prefix", "delimiter", "marker", "max-keys", "encoding-type", "continuation-token",
    "start-after", "uploads", "uploadId", "partNumber", "delete", "location", "versionId", "tagging",
    "acl", "max-parts", "part-number-marker", "key-marker", "upload-id-marker", "max-uploads",
    "response-content-type", "versions", "select",
]  # fmt: skip
_S3_HEADERS = [
    "Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "x-amz-copy-source",
    "x-amz-copy-source-range", "x-amz-metadata-directive", "Content-MD5", "x-amz-checksum-crc32",
    "x-amz-checksum-sha256", "x-amz-trailer", "Content-Encoding", "x-amz-decoded-content-length",
    "x-amz-meta-m", "Content-Type", "x-amz-copy-source-if-match",
]  # fmt: skip
_HEADER_VALUES = st.one_of(
    _ASCII,
    st.sampled_from(
        ["bytes=0-3", "bytes=-1", "bytes=5-", "bytes=9-2", "*", '"0"', "Mon, 07 Dec 2026 10:00:00 GMT",
         "/fuzz-bucket/k", "/fuzz-bucket/", "REPLACE", "aws-chunked", "x-amz-checksum-crc32", "AAAAAA==", "0"]
    ),
)  # fmt: skip


@settings(FUZZ, max_examples=450)
@seed(SEED)
@given(
    method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE"]),
    bucket=st.sampled_from(
        ["fuzz-bucket", "", "no-such-bucket", "xn--x", "Bad_Name", "ab", "openlookout-internal"]
    ),
    key=st.one_of(st.just(""), st.just("k"), st.just("dir/k"), _TEXT),
    params=st.dictionaries(st.sampled_from(_S3_PARAMS), _ASCII, max_size=3),
    headers=st.dictionaries(st.sampled_from(_S3_HEADERS), _HEADER_VALUES, max_size=3),
    body=st.one_of(st.binary(max_size=200), st.just(b"<Delete><Object><Key>k</Key></Object></Delete>")),
)
def test_fuzz_s3_routes(
    fuzz_bucket: ServerProcess,
    method: str,
    bucket: str,
    key: str,
    params: dict[str, str],
    headers: dict[str, str],
    body: bytes,
) -> None:
    path = "/" + quote(bucket) + ("/" + quote(key, safe="/") if key else "")
    _send(fuzz_bucket, "s3", method, path, body if method in ("PUT", "POST") else b"", headers, params)


@pytest.fixture(scope="module")
def fuzz_bucket(fuzz_server: ServerProcess, sdk_model_dir: Path) -> ServerProcess:
    """The server, with one bucket and one object for the S3 requests to find."""
    s3 = s3_client(client_config(fuzz_server, sdk_model_dir))
    s3.create_bucket(Bucket="fuzz-bucket")
    s3.put_object(Bucket="fuzz-bucket", Key="k", Body=b"fuzz object")
    return fuzz_server
