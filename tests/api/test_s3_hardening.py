"""Embedded S3 under hostile or concurrent use (issue 12 items 7, 11), over real HTTP."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from test_s3_server import client, signed_http
from test_s3_support import EmbeddedS3, embedded_s3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedS3]:
    with embedded_s3(tmp_path_factory.mktemp("s3hardening")) as running:
        yield running


def _body(writer: int) -> bytes:
    # Sizes differ, so a mix of two writes shows in the length as well as in the digest.
    return f"writer {writer:02d};".encode() * (2000 + 97 * writer)


def test_concurrent_puts_of_one_key_stay_whole(server: EmbeddedS3) -> None:
    s3 = client(server, max_pool_connections=60)
    s3.create_bucket(Bucket="race")
    stop = threading.Event()
    mixed: list[str] = []

    def put(writer: int) -> str:
        return s3.put_object(
            Bucket="race", Key="same/key.bin", Body=_body(writer), Metadata={"writer": str(writer)}
        )["ETag"]

    def check_whole(response: dict, data: bytes) -> None:
        writer = int(response["Metadata"]["writer"])
        if data != _body(writer) or response["ETag"] != f'"{hashlib.md5(data).hexdigest()}"':
            mixed.append(f"metadata of writer {writer}, {len(data)} bytes, ETag {response['ETag']}")

    def read_while_writing() -> None:
        while not stop.is_set():
            try:
                got = s3.get_object(Bucket="race", Key="same/key.bin")
            except s3.exceptions.NoSuchKey:
                continue
            check_whole(got, got["Body"].read())

    s3.put_object(Bucket="race", Key="same/key.bin", Body=_body(99), Metadata={"writer": "99"})
    readers = [threading.Thread(target=read_while_writing) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        with ThreadPoolExecutor(max_workers=50) as pool:
            etags = list(pool.map(put, range(50)))
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
    assert mixed == []
    final = s3.get_object(Bucket="race", Key="same/key.bin")
    data = final["Body"].read()
    check_whole(final, data)
    assert mixed == []
    assert final["ETag"] in etags  # one of the 50 won, whole
    head = s3.head_object(Bucket="race", Key="same/key.bin")
    assert (head["ETag"], head["Metadata"]) == (final["ETag"], final["Metadata"])
    listed = s3.list_objects_v2(Bucket="race")["Contents"]
    assert [(o["Key"], o["ETag"], o["Size"]) for o in listed] == [("same/key.bin", final["ETag"], len(data))]


@pytest.mark.parametrize("name", ["xn--bcher-kva", "data-s3alias", "photos--ol-s3", "sthree-x", "b--x-s3"])
def test_reserved_bucket_names_are_refused(server: EmbeddedS3, name: str) -> None:
    # botocore checks only the character set, so these reach the server as they would from any SDK.
    response = signed_http(server, "PUT", f"/{name}")
    assert response.status == 400 and b"<Code>InvalidBucketName</Code>" in response.data
    assert name not in [b["Name"] for b in client(server).list_buckets()["Buckets"]]


def test_keys_that_are_not_utf8_are_refused(server: EmbeddedS3) -> None:
    s3 = client(server)
    s3.create_bucket(Bucket="utf8")
    for path in ("/utf8/bad%FFkey", "/utf8/half%C3", "/utf8/%C0%AFoverlong"):
        response = signed_http(server, "PUT", path, b"data")
        assert response.status == 400 and b"<Code>InvalidURI</Code>" in response.data, path
    listing = signed_http(server, "GET", "/utf8?prefix=%FF")
    assert listing.status == 400 and b"<Code>InvalidURI</Code>" in listing.data
    assert s3.list_objects_v2(Bucket="utf8")["KeyCount"] == 0  # nothing stored under a lookalike
    s3.put_object(Bucket="utf8", Key="caf\u00e9/\U0001f36a.png", Body=b"ok")  # valid UTF-8 keys still work
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="utf8")["Contents"]] == ["caf\u00e9/\U0001f36a.png"]


def test_conditional_puts_are_atomic_with_the_write(server: EmbeddedS3) -> None:
    s3 = client(server, max_pool_connections=20)
    s3.create_bucket(Bucket="locks")

    def take_lock(writer: int) -> int:
        try:
            s3.put_object(Bucket="locks", Key="state.lock", Body=str(writer).encode(), IfNoneMatch="*")
        except s3.exceptions.ClientError as error:
            return error.response["ResponseMetadata"]["HTTPStatusCode"]
        return 200

    # Twenty writers race for an absent key (Terraform's S3 lock file): exactly one wins.
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(pool.map(take_lock, range(20)))
    assert statuses == [200] + [412] * 19
    winner = s3.get_object(Bucket="locks", Key="state.lock")
    etag = winner["ETag"]
    with pytest.raises(s3.exceptions.ClientError) as caught:
        s3.put_object(Bucket="locks", Key="state.lock", Body=b"x", IfMatch='"0123"')
    assert caught.value.response["Error"]["Code"] == "PreconditionFailed"
    assert s3.put_object(Bucket="locks", Key="state.lock", Body=b"next", IfMatch=etag)["ETag"] != etag
    with pytest.raises(s3.exceptions.ClientError) as caught:
        s3.put_object(Bucket="locks", Key="absent", Body=b"x", IfMatch=etag)
    assert caught.value.response["Error"]["Code"] == "NoSuchKey"
    response = signed_http(server, "PUT", "/locks/other", b"x", {"If-None-Match": '"abc"'})
    assert response.status == 501 and b"If-None-Match other than" in response.data
