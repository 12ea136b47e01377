"""The embedded S3 API driven by the old awscli 1.42.60 (the last one with lookoutvision)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_s3_support import REGION, ROOT_KEY, EmbeddedS3, embedded_s3

from support.requirements import require_clients

AWS = Path(__file__).resolve().parents[2] / ".venv-clients" / "bin" / "aws"
MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def old_awscli() -> None:
    require_clients(AWS.exists(), f"old awscli not installed at {AWS} (see requirements-l4v-clients.txt)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedS3]:
    with embedded_s3(tmp_path_factory.mktemp("awscli-s3")) as running:
        yield running


def aws(server: EmbeddedS3, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    home = server.data_dir / "home"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": ROOT_KEY.access_key_id,
        "AWS_SECRET_ACCESS_KEY": ROOT_KEY.secret_access_key,
        "AWS_DEFAULT_REGION": REGION,
        # awscli 1.42.60 (botocore 1.40.60) honours AWS_ENDPOINT_URL; no --endpoint-url needed.
        "AWS_ENDPOINT_URL": server.endpoint_url,
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
    }
    result = subprocess.run([str(AWS), *args], env=env, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed: {result.stderr}")
    return result


def test_recursive_copy_list_and_head(server: EmbeddedS3, tmp_path: Path) -> None:
    source = tmp_path / "dataset"
    files = {"train/good/1.png": b"g1", "train/good/2.png": b"g2", "train/bad/3.png": b"b3", "x y.txt": b"s"}
    for name, data in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    aws(server, "s3", "mb", "s3://cli-bucket")
    aws(server, "s3", "cp", "--recursive", str(source), "s3://cli-bucket/data/")

    listing = aws(server, "s3", "ls", "--recursive", "s3://cli-bucket/").stdout
    assert sorted(line.split(maxsplit=3)[3] for line in listing.splitlines()) == sorted(
        f"data/{name}" for name in files
    )
    top = aws(server, "s3", "ls", "s3://cli-bucket/data/").stdout
    assert "PRE train/" in top and "x y.txt" in top

    head = json.loads(
        aws(server, "s3api", "head-object", "--bucket", "cli-bucket", "--key", "data/x y.txt").stdout
    )
    assert head["ContentLength"] == 1
    assert head["ETag"] == f'"{hashlib.md5(b"s").hexdigest()}"'

    back = tmp_path / "back"
    aws(server, "s3", "cp", "--recursive", "s3://cli-bucket/data/", str(back))
    assert {p.relative_to(back).as_posix(): p.read_bytes() for p in back.rglob("*") if p.is_file()} == files

    missing = aws(server, "s3api", "head-object", "--bucket", "cli-bucket", "--key", "nope", check=False)
    assert missing.returncode != 0 and "404" in missing.stderr


def test_copy_of_20_mib_file(server: EmbeddedS3, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(20 * MIB))
    aws(server, "s3", "mb", "s3://cli-big")
    aws(server, "s3", "cp", str(big), "s3://cli-big/big.bin")  # multipart: awscli's threshold is 8 MiB
    head = json.loads(aws(server, "s3api", "head-object", "--bucket", "cli-big", "--key", "big.bin").stdout)
    assert head["ContentLength"] == 20 * MIB
    assert head["ETag"].endswith('-3"')
    back = tmp_path / "back.bin"
    aws(server, "s3", "cp", "s3://cli-big/big.bin", str(back))
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(big.read_bytes()).digest()


def test_sync_both_ways_and_recursive_rm(server: EmbeddedS3, tmp_path: Path) -> None:
    source = tmp_path / "images"
    files = {f"good/{i}.png": bytes([i]) * (i + 1) for i in range(5)} | {"bad/odd name.png": b"odd"}
    for name, data in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    aws(server, "s3", "mb", "s3://cli-sync")
    first = aws(server, "s3", "sync", str(source), "s3://cli-sync/set/").stdout
    assert first.count("upload:") == len(files)
    # Nothing changed: a second sync lists, compares, and uploads nothing.
    assert "upload:" not in aws(server, "s3", "sync", str(source), "s3://cli-sync/set/").stdout
    (source / "good/0.png").write_bytes(b"changed, and longer")
    (source / "bad/odd name.png").unlink()
    again = aws(server, "s3", "sync", "--delete", str(source), "s3://cli-sync/set/").stdout
    assert (
        "upload: " in again
        and "good/0.png" in again
        and "delete: s3://cli-sync/set/bad/odd name.png" in again
    )
    back = tmp_path / "back"
    aws(server, "s3", "sync", "s3://cli-sync/set/", str(back))
    assert sorted(p.relative_to(back).as_posix() for p in back.rglob("*") if p.is_file()) == sorted(
        name for name in files if name != "bad/odd name.png"
    )
    assert (back / "good/0.png").read_bytes() == b"changed, and longer"
    # s3api list-objects is ListObjects v1, paginated by Marker (page size 2).
    listed = aws(server, "s3api", "list-objects", "--bucket", "cli-sync", "--page-size", "2").stdout
    assert [o["Key"] for o in json.loads(listed)["Contents"]] == [f"set/good/{i}.png" for i in range(5)]
    removed = aws(server, "s3", "rm", "--recursive", "s3://cli-sync/set/good/").stdout
    assert removed.count("delete:") == 5
    assert aws(server, "s3", "ls", "--recursive", "s3://cli-sync/").stdout == ""
    aws(server, "s3", "rb", "s3://cli-sync")
