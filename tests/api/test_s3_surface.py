"""The S3 operations real programs lean on (issue 12 item 12), over real HTTP with current boto3.

boto3's resource API (``Bucket.objects.all()/filter()/delete()``) drives ListObjects v1 and
DeleteObjects; the other calls go through the client or raw signed requests.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from test_s3_server import client, error_code, signed_http
from test_s3_support import READER_KEY, REGION, ROOT_KEY, WRITER_KEY, EmbeddedS3, embedded_s3

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedS3]:
    with embedded_s3(tmp_path_factory.mktemp("s3surface")) as running:
        yield running


@pytest.fixture
def s3(server: EmbeddedS3):
    return client(server)


@pytest.fixture
def bucket(s3, request: pytest.FixtureRequest) -> str:
    s3.create_bucket(Bucket=(name := "s-" + request.node.name.lower().replace("_", "-")[:40].strip("-")))
    return name


def resource(server: EmbeddedS3):
    return boto3.resource(
        "s3",
        endpoint_url=server.endpoint_url,
        region_name=REGION,
        aws_access_key_id=ROOT_KEY.access_key_id,
        aws_secret_access_key=ROOT_KEY.secret_access_key,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


KEYS = [f"train/good/{i:03d}.png" for i in range(7)] + ["train/bad/x.png", "test/y.png", "top.txt", "a~b&<c>"]


def test_resource_api_lists_filters_and_deletes(server: EmbeddedS3, s3, bucket: str) -> None:
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    res_bucket = resource(server).Bucket(bucket)
    expected = sorted(KEYS, key=lambda k: k.encode())
    # page_size 3 makes the collection follow the v1 Marker across four pages.
    assert [o.key for o in res_bucket.objects.page_size(3)] == expected
    assert [o.key for o in res_bucket.objects.all()] == expected
    good = res_bucket.objects.filter(Prefix="train/good/")
    assert [(o.key, o.size) for o in good] == [(k, len(k)) for k in KEYS[:7]]
    assert next(iter(good)).e_tag == f'"{hashlib.md5(KEYS[0].encode()).hexdigest()}"'
    # bucket.objects.delete(): ListObjects then DeleteObjects per page.
    res_bucket.objects.filter(Prefix="train/").delete()
    assert [o.key for o in res_bucket.objects.all()] == sorted(["test/y.png", "top.txt", "a~b&<c>"])
    res_bucket.objects.delete()
    assert list(res_bucket.objects.all()) == []


def test_list_objects_v1_delimiter_marker_and_encoding(server: EmbeddedS3, s3, bucket: str) -> None:
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    top = s3.list_objects(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["test/", "train/"]
    assert [o["Key"] for o in top["Contents"]] == ["a~b&<c>", "top.txt"]
    assert top["IsTruncated"] is False and "NextMarker" not in top
    # One entry per page: NextMarker steps over a rolled-up prefix instead of repeating it.
    seen, marker = [], ""
    while True:
        page = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=1, Marker=marker)
        entries = [p["Prefix"] for p in page.get("CommonPrefixes", [])] + [
            o["Key"] for o in page.get("Contents", [])
        ]
        seen += entries
        if not page["IsTruncated"]:
            break
        assert page["NextMarker"] == entries[-1]
        marker = page["NextMarker"]
    assert seen == ["a~b&<c>", "test/", "top.txt", "train/"]
    no_delimiter = s3.list_objects(Bucket=bucket, MaxKeys=2, Marker="train/good/003.png")
    assert [o["Key"] for o in no_delimiter["Contents"]] == ["train/good/004.png", "train/good/005.png"]
    assert no_delimiter["IsTruncated"] is True and "NextMarker" not in no_delimiter  # as S3
    # botocore asks for EncodingType=url and decodes the keys back.
    raw = signed_http(server, "GET", f"/{bucket}?encoding-type=url&prefix=a")
    assert raw.status == 200 and b"<Key>a~b%26%3Cc%3E</Key>" in raw.data
    assert b"<EncodingType>url</EncodingType>" in raw.data
    with pytest.raises(ClientError) as caught:
        s3.list_objects(Bucket="no-such-bucket-v1")
    assert error_code(caught) == "NoSuchBucket"


def test_delete_objects_quiet_and_per_key_errors(server: EmbeddedS3, s3, bucket: str) -> None:
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    loud = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "never"}]})
    assert sorted(d["Key"] for d in loud["Deleted"]) == ["a", "never"]  # absent keys count as deleted
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "b"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    too_long = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k" * 1025}, {"Key": "c"}]})
    assert [(e["Key"][:3], e["Code"]) for e in too_long["Errors"]] == [("kkk", "KeyTooLongError")]
    assert [d["Key"] for d in too_long["Deleted"]] == ["c"]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    # A key without s3:DeleteObject gets a 200 whose every key is AccessDenied, and nothing goes.
    s3.put_object(Bucket=bucket, Key="kept", Body=b"x")
    denied = client(server, READER_KEY).delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "kept"}]})
    assert [(e["Key"], e["Code"]) for e in denied["Errors"]] == [("kept", "AccessDenied")]
    assert "s3:DeleteObject" in denied["Errors"][0]["Message"]
    assert s3.head_object(Bucket=bucket, Key="kept")["ContentLength"] == 1
    # S3 requires an integrity header on DeleteObjects, and a well-formed document of <= 1000 keys.
    body = b"<Delete><Object><Key>kept</Key></Object></Delete>"
    unchecked = signed_http(server, "POST", f"/{bucket}?delete", body)
    assert unchecked.status == 400 and b"<Code>InvalidRequest</Code>" in unchecked.data
    md5 = {"Content-MD5": _b64md5(b"<Delete>")}
    malformed = signed_http(server, "POST", f"/{bucket}?delete", b"<Delete>", md5)
    assert malformed.status == 400 and b"<Code>MalformedXML</Code>" in malformed.data
    many = b"<Delete>" + b"<Object><Key>k</Key></Object>" * 1001 + b"</Delete>"
    refused = signed_http(server, "POST", f"/{bucket}?delete", many, {"Content-MD5": _b64md5(many)})
    assert refused.status == 400 and b"<Code>MalformedXML</Code>" in refused.data
    internal = server.settings.internal_bucket
    with pytest.raises(ClientError) as caught:
        s3.delete_objects(Bucket=internal, Delete={"Objects": [{"Key": "x"}]})
    assert error_code(caught) == "AccessDenied"


def _b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_list_parts_list_uploads_and_upload_part_copy(server: EmbeddedS3, s3, bucket: str) -> None:
    source = os.urandom(6 * MIB + 1000)
    s3.put_object(Bucket=bucket, Key="src.bin", Body=source)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dir/joined.bin")["UploadId"]
    other = s3.create_multipart_upload(Bucket=bucket, Key="other.bin")["UploadId"]
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="dir/joined.bin",
        UploadId=upload,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src.bin"},
        CopySourceRange=f"bytes=0-{5 * MIB}",
    )
    first = source[: 5 * MIB + 1]
    assert copied["CopyPartResult"]["ETag"] == f'"{hashlib.md5(first).hexdigest()}"'
    tail = s3.upload_part(Bucket=bucket, Key="dir/joined.bin", UploadId=upload, PartNumber=2, Body=b"end")
    parts = s3.list_parts(Bucket=bucket, Key="dir/joined.bin", UploadId=upload)
    assert [(p["PartNumber"], p["Size"]) for p in parts["Parts"]] == [(1, len(first)), (2, 3)]
    assert parts["IsTruncated"] is False
    page = s3.list_parts(Bucket=bucket, Key="dir/joined.bin", UploadId=upload, MaxParts=1)
    assert page["IsTruncated"] is True and page["NextPartNumberMarker"] == 1
    rest = s3.list_parts(Bucket=bucket, Key="dir/joined.bin", UploadId=upload, PartNumberMarker=1)
    assert [p["PartNumber"] for p in rest["Parts"]] == [2]

    uploads = s3.list_multipart_uploads(Bucket=bucket)
    assert [(u["Key"], u["UploadId"]) for u in uploads["Uploads"]] == [
        ("dir/joined.bin", upload),
        ("other.bin", other),
    ]
    rolled = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["dir/"]
    assert [u["Key"] for u in rolled["Uploads"]] == ["other.bin"]
    one = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1)
    assert one["IsTruncated"] is True and one["NextKeyMarker"] == "dir/joined.bin"
    after = s3.list_multipart_uploads(
        Bucket=bucket, KeyMarker=one["NextKeyMarker"], UploadIdMarker=one["NextUploadIdMarker"]
    )
    assert [u["UploadId"] for u in after["Uploads"]] == [other]

    parts_done = [
        {"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]},
        {"PartNumber": 2, "ETag": tail["ETag"]},
    ]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="dir/joined.bin", UploadId=upload, MultipartUpload={"Parts": parts_done}
    )
    assert s3.get_object(Bucket=bucket, Key="dir/joined.bin")["Body"].read() == first + b"end"
    s3.abort_multipart_upload(Bucket=bucket, Key="other.bin", UploadId=other)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
    with pytest.raises(ClientError) as caught:
        s3.list_parts(Bucket=bucket, Key="other.bin", UploadId=other)
    assert error_code(caught) == "NoSuchUpload"

    again = s3.create_multipart_upload(Bucket=bucket, Key="again.bin")["UploadId"]
    refusals = [
        ({"CopySourceRange": f"bytes=0-{len(source)}"}, "InvalidRange"),
        ({"CopySourceIfMatch": '"0"'}, "PreconditionFailed"),
    ]
    for extra, code in refusals:
        with pytest.raises(ClientError) as caught:
            s3.upload_part_copy(
                Bucket=bucket,
                Key="again.bin",
                UploadId=again,
                PartNumber=1,
                CopySource={"Bucket": bucket, "Key": "src.bin"},
                **extra,
            )
        assert error_code(caught) == code


def test_conditional_get_and_head(s3, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"conditional")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    earlier, later = modified - timedelta(hours=1), modified + timedelta(hours=1)
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"conditional"

    def status(**conditions: object) -> int:
        try:
            response = s3.get_object(Bucket=bucket, Key="c", **conditions)
        except ClientError as error:  # botocore raises on 304 as on 412
            response = error.response
        return response["ResponseMetadata"]["HTTPStatusCode"]

    assert status(IfMatch='"other"') == 412
    assert status(IfNoneMatch=etag) == 304
    assert status(IfNoneMatch='"other"') == 200
    assert status(IfModifiedSince=later) == 304
    assert status(IfModifiedSince=earlier) == 200
    assert status(IfUnmodifiedSince=earlier) == 412
    assert status(IfUnmodifiedSince=later) == 200
    # S3's precedence: a true If-Match overrides a false If-Unmodified-Since, and a false
    # If-None-Match (it matches) answers 304 whatever If-Modified-Since says.
    assert status(IfMatch=etag, IfUnmodifiedSince=earlier) == 200
    assert status(IfNoneMatch=etag, IfModifiedSince=earlier) == 304
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"other"')
    assert error_code(caught) == "PreconditionFailed"
    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket=bucket, Key="c", IfNoneMatch="*")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    ranged = s3.get_object(Bucket=bucket, Key="c", Range="bytes=0-3", IfMatch=etag)
    assert ranged["Body"].read() == b"cond" and ranged["ResponseMetadata"]["HTTPStatusCode"] == 206
    head = s3.head_object(Bucket=bucket, Key="c", Range="bytes=2-5")  # HEAD answers a range as S3 does
    assert (head["ResponseMetadata"]["HTTPStatusCode"], head["ContentLength"]) == (206, 4)
    assert head["ContentRange"] == "bytes 2-5/11"


def test_copy_object_conditions_and_permissions(server: EmbeddedS3, s3, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"copy me")["ETag"]
    source = {"Bucket": bucket, "Key": "src"}
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=source, CopySourceIfMatch=etag)
    future = datetime.now(UTC) + timedelta(days=1)
    for conditions in ({"CopySourceIfNoneMatch": etag}, {"CopySourceIfModifiedSince": future}):
        with pytest.raises(ClientError) as caught:
            s3.copy_object(Bucket=bucket, Key="dst2", CopySource=source, **conditions)
        assert error_code(caught) == "PreconditionFailed"  # copies answer 412, never 304
    response = signed_http(
        server,
        "PUT",
        f"/{bucket}/dst3",
        headers={"x-amz-copy-source": f"/{bucket}/src", "x-amz-metadata-directive": "MOVE"},
    )
    assert response.status == 400 and b"<Code>InvalidArgument</Code>" in response.data
    # Copying reads the source: a key that may copy and write but not read gets AccessDenied.
    writer = client(server, WRITER_KEY)
    writer.put_object(Bucket=bucket, Key="written", Body=b"w")
    with pytest.raises(ClientError) as caught:
        writer.copy_object(Bucket=bucket, Key="dst4", CopySource=source)
    assert error_code(caught) == "AccessDenied"
    assert "s3:GetObject" in caught.value.response["Error"]["Message"]
    upload = writer.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    with pytest.raises(ClientError) as caught:
        writer.upload_part_copy(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, CopySource=source)
    assert "s3:GetObject" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        writer.list_parts(Bucket=bucket, Key="mp", UploadId=upload)
    assert "s3:ListMultipartUploadParts" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        writer.list_multipart_uploads(Bucket=bucket)
    assert "s3:ListBucketMultipartUploads" in caught.value.response["Error"]["Message"]


def test_bucket_location_head_and_unsupported_names(server: EmbeddedS3, s3, bucket: str) -> None:
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] is None  # us-east-1
    head = s3.head_bucket(Bucket=bucket)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == REGION
    cases = [
        (lambda: s3.get_bucket_tagging(Bucket=bucket), "GetBucketTagging"),
        (lambda: s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": []}), "PutObjectTagging"),
        (lambda: s3.get_bucket_acl(Bucket=bucket), "GetBucketAcl"),
        (lambda: s3.list_object_versions(Bucket=bucket), "ListObjectVersions"),
        (lambda: s3.get_bucket_versioning(Bucket=bucket), "GetBucketVersioning"),
        (lambda: s3.delete_bucket_cors(Bucket=bucket), "DeleteBucketCors"),
        (lambda: s3.get_object(Bucket=bucket, Key="k", PartNumber=1), "GetObject with partNumber"),
    ]
    for call, name in cases:
        with pytest.raises(ClientError) as caught:
            call()
        assert error_code(caught) == "NotImplemented", name
        assert caught.value.response["Error"]["Message"].startswith(name + " is not implemented"), name
