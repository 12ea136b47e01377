"""The embedded S3 API end to end, driven by the current boto3 over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import urllib3
from boto3.s3.transfer import TransferConfig
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from test_s3_support import READER_KEY, REGION, ROOT_KEY, EmbeddedS3, embedded_s3

from openlookout.api.s3_checksums import crc32c
from openlookout.blobs.base import InvalidPart, NoSuchBucket, NoSuchKey, NoSuchUpload
from openlookout.blobs.s3 import S3BlobStore

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedS3]:
    with embedded_s3(tmp_path_factory.mktemp("s3data")) as running:
        yield running


def client(server: EmbeddedS3, key=ROOT_KEY, **config: object):
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        region_name=REGION,
        aws_access_key_id=key.access_key_id,
        aws_secret_access_key=key.secret_access_key,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
    )


@pytest.fixture
def s3(server: EmbeddedS3):
    return client(server)


@pytest.fixture
def bucket(s3, request: pytest.FixtureRequest) -> str:
    name = "t-" + request.node.name.lower().replace("_", "-")[:40].strip("-")
    s3.create_bucket(Bucket=name)
    return name


def error_code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return caught.value.response["Error"]["Code"]


def test_put_get_head_delete(s3, bucket: str) -> None:
    body = b"cookie bytes" * 1000
    put = s3.put_object(
        Bucket=bucket, Key="dir/a b+c.png", Body=body, ContentType="image/png", Metadata={"m": "1"}
    )
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="dir/a b+c.png")
    assert got["Body"].read() == body
    assert got["ContentType"] == "image/png"
    assert got["Metadata"] == {"m": "1"}
    assert got["ContentLength"] == len(body)
    head = s3.head_object(Bucket=bucket, Key="dir/a b+c.png")
    assert head["ETag"] == put["ETag"] and head["ContentLength"] == len(body)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    s3.delete_object(Bucket=bucket, Key="dir/a b+c.png")
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="dir/a b+c.png")
    assert error_code(caught) == "NoSuchKey"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    s3.delete_object(Bucket=bucket, Key="never-existed")  # S3: no error


def test_ranged_get(s3, bucket: str) -> None:
    body = bytes(range(256)) * 10
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    part = s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-19")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["ContentRange"] == f"bytes 10-19/{len(body)}"
    assert part["Body"].read() == body[10:20]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-5")["Body"].read() == body[-5:]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=2550-")["Body"].read() == body[2550:]
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="r", Range=f"bytes={len(body)}-")
    assert error_code(caught) == "InvalidRange"


def test_multipart_upload_and_download_of_20_mib(s3, bucket: str, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(20 * MIB + 123))
    small = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=2)
    s3.upload_file(str(source), bucket, "big/file.bin", Config=small)
    head = s3.head_object(Bucket=bucket, Key="big/file.bin")
    assert head["ETag"].endswith('-5"')
    assert head["ContentLength"] == source.stat().st_size
    target = tmp_path / "back.bin"
    s3.download_file(bucket, "big/file.bin", str(target), Config=small)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()


def test_multipart_errors(s3, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    first = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"a" * 10)
    second = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=2, Body=b"b" * 10)
    parts = [{"PartNumber": 1, "ETag": first["ETag"]}, {"PartNumber": 2, "ETag": second["ETag"]}]
    cases = [
        (list(reversed(parts)), "InvalidPartOrder"),
        ([{"PartNumber": 1, "ETag": second["ETag"]}], "InvalidPart"),
        (parts, "EntityTooSmall"),  # part 1 is below 5 MiB
    ]
    for given, code in cases:
        with pytest.raises(ClientError) as caught:
            s3.complete_multipart_upload(
                Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": given}
            )
        assert error_code(caught) == code
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": parts[1:]}
    )
    assert done["ETag"].endswith('-1"')
    s3.abort_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    )
    with pytest.raises(ClientError) as caught:
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=3, Body=b"c")
    assert error_code(caught) == "NoSuchUpload"


def test_list_with_delimiter_and_pagination(s3, bucket: str) -> None:
    keys = [f"train/good/{i:03d}.png" for i in range(7)] + ["train/bad/x.png", "test/y.png", "top.txt", "a~b"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    listed = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["test/", "train/"]
    assert [o["Key"] for o in listed["Contents"]] == ["a~b", "top.txt"]
    assert listed["KeyCount"] == 4
    sub = s3.list_objects_v2(Bucket=bucket, Prefix="train/", Delimiter="/")
    assert [p["Prefix"] for p in sub["CommonPrefixes"]] == ["train/bad/", "train/good/"]

    paginator = s3.get_paginator("list_objects_v2")
    pages = list(paginator.paginate(Bucket=bucket, Prefix="train/good/", PaginationConfig={"PageSize": 3}))
    assert [len(p["Contents"]) for p in pages] == [3, 3, 1]
    assert [o["Key"] for p in pages for o in p["Contents"]] == keys[:7]

    rolled = list(paginator.paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 1}))
    seen = [p.get("CommonPrefixes", [{}])[0].get("Prefix") or p["Contents"][0]["Key"] for p in rolled]
    assert seen == ["a~b", "test/", "top.txt", "train/"]

    after = s3.list_objects_v2(Bucket=bucket, StartAfter="train/good/004.png")
    assert [o["Key"] for o in after["Contents"]] == ["train/good/005.png", "train/good/006.png"]


def test_copy_object(s3, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket, Key="src/a:b.png", Body=b"pixels", ContentType="image/png", Metadata={"k": "v"}
    )
    copied = s3.copy_object(
        Bucket=bucket, Key="dst/c.png", CopySource={"Bucket": bucket, "Key": "src/a:b.png"}
    )
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"pixels").hexdigest()}"'
    head = s3.head_object(Bucket=bucket, Key="dst/c.png")
    assert head["ContentType"] == "image/png" and head["Metadata"] == {"k": "v"}
    s3.copy_object(
        Bucket=bucket,
        Key="dst/c.png",
        CopySource={"Bucket": bucket, "Key": "dst/c.png"},
        MetadataDirective="REPLACE",
        ContentType="text/plain",
    )
    assert s3.head_object(Bucket=bucket, Key="dst/c.png")["ContentType"] == "text/plain"
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "missing"})
    assert error_code(caught) == "NoSuchKey"


def test_bucket_errors(s3, bucket: str, server: EmbeddedS3) -> None:
    with pytest.raises(ClientError) as caught:
        s3.create_bucket(Bucket=bucket)
    assert error_code(caught) == "BucketAlreadyOwnedByYou"
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    with pytest.raises(ClientError) as caught:
        s3.delete_bucket(Bucket=bucket)
    assert error_code(caught) == "BucketNotEmpty"
    with pytest.raises(ClientError) as caught:
        s3.list_objects_v2(Bucket="no-such-bucket")
    assert error_code(caught) == "NoSuchBucket"
    with pytest.raises(ClientError) as caught:
        s3.head_bucket(Bucket="no-such-bucket")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # botocore validates names itself, so send the bad name over raw signed HTTP.
    response = signed_http(server, "PUT", "/Bad_Name")
    assert response.status == 400 and b"<Code>InvalidBucketName</Code>" in response.data
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_internal_bucket_is_refused(s3, server: EmbeddedS3) -> None:
    internal = server.settings.internal_bucket
    assert internal not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    for call in (
        lambda: s3.list_objects_v2(Bucket=internal),
        lambda: s3.put_object(Bucket=internal, Key="x", Body=b"1"),
        lambda: s3.copy_object(Bucket="anything", Key="x", CopySource={"Bucket": internal, "Key": "k"}),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert error_code(caught) == "AccessDenied"


def test_permissions_of_a_limited_key(s3, server: EmbeddedS3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    reader = client(server, READER_KEY)
    assert reader.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"
    assert reader.list_objects_v2(Bucket=bucket)["KeyCount"] == 1
    with pytest.raises(ClientError) as caught:
        reader.put_object(Bucket=bucket, Key="k2", Body=b"x")
    assert error_code(caught) == "AccessDenied"
    assert "s3:PutObject" in caught.value.response["Error"]["Message"]


def test_auth_errors(server: EmbeddedS3) -> None:
    wrong_secret = type(ROOT_KEY)(ROOT_KEY.access_key_id, "x" * 40)
    with pytest.raises(ClientError) as caught:
        client(server, wrong_secret).list_buckets()
    assert error_code(caught) == "SignatureDoesNotMatch"
    unknown = type(ROOT_KEY)("AKIAUNKNOWNUNKNOWNUN", "x" * 40)
    with pytest.raises(ClientError) as caught:
        client(server, unknown).list_buckets()
    assert error_code(caught) == "InvalidAccessKeyId"
    anonymous = urllib3.request("GET", server.endpoint_url + "/", timeout=10)
    assert anonymous.status == 403 and b"<Code>AccessDenied</Code>" in anonymous.data


def test_presigned_get(server: EmbeddedS3, s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="p/q.txt", Body=b"presigned")
    # boto3 presigns S3 URLs with the legacy SigV2 unless told otherwise; only SigV4 is served.
    presigner = client(server, signature_version="s3v4")
    url = presigner.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "p/q.txt"}, ExpiresIn=60
    )
    assert "X-Amz-Signature=" in url
    assert urllib3.request("GET", url, timeout=10).data == b"presigned"
    assert urllib3.request("GET", url.replace("q.txt", "r.txt"), timeout=10).status == 403
    legacy = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p/q.txt"})
    assert urllib3.request("GET", legacy, timeout=10).status == 403


def test_request_checksums(s3, bucket: str, server: EmbeddedS3) -> None:
    for algorithm in ("CRC32", "SHA256", "SHA1"):
        s3.put_object(Bucket=bucket, Key=f"c-{algorithm}", Body=b"checked", ChecksumAlgorithm=algorithm)
    good_crc32c = base64.b64encode(crc32c().digest(b"checked")).decode()
    s3.put_object(Bucket=bucket, Key="c-crc32c", Body=b"checked", ChecksumCRC32C=good_crc32c)
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"checked", ChecksumCRC32C="AAAAAA==")
    assert error_code(caught) == "BadDigest"
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    response = signed_http(server, "PUT", f"/{bucket}/bad", b"checked", {"Content-MD5": wrong_md5})
    assert response.status == 400 and b"<Code>BadDigest</Code>" in response.data


def test_aws_chunked_body_with_trailing_checksum(s3, bucket: str, server: EmbeddedS3) -> None:
    payload = os.urandom(300_000)
    chunked = b"".join(
        [
            b"%x\r\n%s\r\n" % (len(payload[i : i + 65536]), payload[i : i + 65536])
            for i in range(0, len(payload), 65536)
        ]
    )
    trailer = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big"))
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "X-Amz-Decoded-Content-Length": str(len(payload)),
        "X-Amz-Trailer": "x-amz-checksum-crc32",
    }
    body = chunked + b"0\r\nx-amz-checksum-crc32:" + trailer + b"\r\n\r\n"
    response = signed_http(server, "PUT", f"/{bucket}/chunked", body, headers)
    assert response.status == 200, response.data
    assert s3.get_object(Bucket=bucket, Key="chunked")["Body"].read() == payload
    corrupt = chunked + b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    assert signed_http(server, "PUT", f"/{bucket}/chunked2", corrupt, headers).status == 400


def test_unsupported_calls(s3, bucket: str, server: EmbeddedS3) -> None:
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_code(caught) == "NotImplemented"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert signed_http(server, "POST", "/").status == 405


class _SignAsSent(SigV4Auth):
    """S3 signing that keeps a caller-set x-amz-content-sha256 (e.g. STREAMING-*)."""

    def _normalize_url_path(self, path: str) -> str:
        return path


def signed_http(
    server: EmbeddedS3, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> urllib3.BaseHTTPResponse:
    """A raw SigV4-signed request, for what boto3 will not send."""
    request = AWSRequest(
        method=method, url=server.endpoint_url + path, data=body, headers=dict(headers or {})
    )
    creds = Credentials(ROOT_KEY.access_key_id, ROOT_KEY.secret_access_key)
    signer = _SignAsSent if "X-Amz-Content-SHA256" in request.headers else S3SigV4Auth
    signer(creds, "s3", REGION).add_auth(request)
    prepared = request.prepare()
    return urllib3.request(method, prepared.url, body=body, headers=dict(prepared.headers), timeout=30)


# ------------------------------------------------------------ S3BlobStore


@pytest.fixture
def store(server: EmbeddedS3) -> S3BlobStore:
    return S3BlobStore(server.endpoint_url, REGION, ROOT_KEY.access_key_id, ROOT_KEY.secret_access_key)


def test_s3_blob_store_round_trip(store: S3BlobStore) -> None:
    store.create_bucket("blobstore-rt")
    assert store.bucket_exists("blobstore-rt") and not store.bucket_exists("blobstore-absent")
    info = store.put("blobstore-rt", "a/b.bin", b"12345", content_type="x/y", metadata={"m": "n"})
    assert info.size == 5 and info.content_type == "x/y" and info.metadata == {"m": "n"}
    assert store.get("blobstore-rt", "a/b.bin") == b"12345"
    assert b"".join(store.iter_chunks("blobstore-rt", "a/b.bin", 2)) == b"12345"
    streamed = store.put("blobstore-rt", "streamed", io.BytesIO(b"x" * 1000))
    assert streamed.size == 1000
    copied = store.copy("blobstore-rt", "a/b.bin", "blobstore-rt", "c")
    assert copied.etag == info.etag
    listed = store.list("blobstore-rt", delimiter="/")
    assert listed.common_prefixes == ["a/"] and [o.key for o in listed.objects] == ["c", "streamed"]
    page = store.list("blobstore-rt", max_keys=1)
    assert page.is_truncated and page.next_continuation
    assert [o.key for o in store.list("blobstore-rt", continuation=page.next_continuation).objects] == [
        "c",
        "streamed",
    ]
    store.delete("blobstore-rt", "c")
    with pytest.raises(NoSuchKey):
        store.head("blobstore-rt", "c")
    with pytest.raises(NoSuchKey):
        store.get("blobstore-rt", "c")
    with pytest.raises(NoSuchBucket):
        store.list("blobstore-absent")


def test_s3_blob_store_open_object_and_upload_listings(store: S3BlobStore) -> None:
    store.create_bucket("blobstore-lists")
    put = store.put("blobstore-lists", "o", b"object", metadata={"k": "v"})
    info, handle = store.open_object("blobstore-lists", "o")
    with handle:
        assert handle.read() == b"object"
    assert (info.etag, info.metadata, info.size) == (put.etag, {"k": "v"}, 6)
    upload = store.create_multipart_upload("blobstore-lists", "mp")
    etag = store.upload_part("blobstore-lists", "mp", upload, 2, io.BytesIO(b"part two"))
    parts = store.list_parts("blobstore-lists", "mp", upload)
    assert [(p.part_number, p.etag, p.size) for p in parts] == [(2, etag, 8)]
    assert [(u.key, u.upload_id) for u in store.list_multipart_uploads("blobstore-lists")] == [("mp", upload)]
    store.abort_multipart_upload("blobstore-lists", "mp", upload)
    with pytest.raises(NoSuchUpload):
        store.list_parts("blobstore-lists", "mp", upload)


def test_s3_blob_store_multipart(store: S3BlobStore) -> None:
    store.create_bucket("blobstore-mp")
    upload = store.create_multipart_upload("blobstore-mp", "big", content_type="a/b")
    first = store.upload_part("blobstore-mp", "big", upload, 1, b"1" * (5 * MIB))
    second = store.upload_part("blobstore-mp", "big", upload, 2, b"2" * 10)
    with pytest.raises(InvalidPart):
        store.complete_multipart_upload("blobstore-mp", "big", upload, [(1, second)])
    info = store.complete_multipart_upload("blobstore-mp", "big", upload, [(1, first), (2, second)])
    assert info.size == 5 * MIB + 10 and info.etag.endswith('-2"') and info.content_type == "a/b"
    with pytest.raises(NoSuchUpload):
        store.abort_multipart_upload("blobstore-mp", "big", upload)


def _signing_key(secret: str, date: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def test_signed_streaming_chunks(s3, bucket: str, server: EmbeddedS3) -> None:
    payload = os.urandom(200_000)
    chunks = [payload[i : i + 65536] for i in range(0, len(payload), 65536)] + [b""]
    request = AWSRequest(
        method="PUT",
        url=f"{server.endpoint_url}/{bucket}/signed-chunks",
        headers={
            "Content-Encoding": "aws-chunked",
            "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "X-Amz-Decoded-Content-Length": str(len(payload)),
        },
    )
    creds = Credentials(ROOT_KEY.access_key_id, ROOT_KEY.secret_access_key)
    _SignAsSent(creds, "s3", REGION).add_auth(request)
    timestamp = request.headers["X-Amz-Date"]
    previous = request.headers["Authorization"].rsplit("Signature=", 1)[1]
    key = _signing_key(ROOT_KEY.secret_access_key, timestamp[:8])
    scope = f"{timestamp[:8]}/{REGION}/s3/aws4_request"
    framed = []
    for chunk in chunks:
        to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                timestamp,
                scope,
                previous,
                hashlib.sha256(b"").hexdigest(),
                hashlib.sha256(chunk).hexdigest(),
            ]
        )
        previous = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        framed.append(b"%x;chunk-signature=%s\r\n%s\r\n" % (len(chunk), previous.encode(), chunk))
    body = b"".join(framed)
    headers = dict(request.headers)
    sent = urllib3.request("PUT", request.url, body=body, headers=headers, timeout=30)
    assert sent.status == 200, sent.data
    assert s3.get_object(Bucket=bucket, Key="signed-chunks")["Body"].read() == payload

    swapped = body.replace(chunks[1][:10], bytes(10), 1)  # same framing, altered data
    rejected = urllib3.request("PUT", request.url, body=swapped, headers=headers, timeout=30)
    assert rejected.status == 403 and b"SignatureDoesNotMatch" in rejected.data
