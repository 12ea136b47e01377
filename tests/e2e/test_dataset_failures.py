"""Bad inputs fail the dataset job with a StatusMessage that names the problem.

Each bad input is tried twice: as line 3 of a CreateDataset manifest
(-> CREATE_FAILED) and as line 3 of UpdateDatasetEntries changes on a good
dataset (-> UPDATE_FAILED_ROLLBACK_COMPLETE, entries and ImageStats unchanged,
although lines 1-2 of the changes were valid).
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from PIL import Image

from .synthetic import SIZE, encode, image_array, manifest_line, png, with_declared_size

BUCKET = "bad-inputs"
DATASET_TIMEOUT_S = 180
MIB = 1024 * 1024


@dataclass(frozen=True)
class BadInput:
    name: str
    key: str  # object the bad line points at
    body: bytes | None  # uploaded at ``key``; None: nothing uploaded
    # Each group is a set of alternatives; every group must occur in StatusMessage (case-insensitive).
    mentions: tuple[tuple[str, ...], ...]
    broken_json: bool = False
    raw_line: str | None = None  # the manifest line itself, when not a line naming ``key``

    def line(self) -> str:
        if self.raw_line is not None:
            return self.raw_line
        if self.broken_json:
            return manifest_line(BUCKET, self.key, anomaly=False)[:-12]  # cut mid-object
        return manifest_line(BUCKET, self.key, anomaly=False)


def truncated_jpeg() -> bytes:
    whole = encode(image_array(5, anomaly=False), "JPEG")
    return whole[: len(whole) // 2]


def padded_jpeg(total_bytes: int) -> bytes:
    """A valid JPEG of the dataset's size, padded with trailing noise past the 8 MB limit."""
    whole = encode(image_array(6, anomaly=False), "JPEG")
    padding = np.random.default_rng(6).integers(0, 256, total_bytes - len(whole), dtype=np.uint8)
    return whole + padding.tobytes()


BAD_INPUTS = [
    BadInput("malformed-json", "bad/missing-on-purpose.png", None, (("line 3",),), broken_json=True),
    BadInput("truncated-jpeg", "bad/truncated.jpg", truncated_jpeg(), (("truncated.jpg",),)),
    BadInput("mixed-sizes", "bad/bigger.png", png(9, size=SIZE + 32), (("dimension", "same size"),)),
    BadInput(
        "over-8mb",
        "bad/padded.jpg",
        padded_jpeg(8 * MIB + 512 * 1024),
        (("padded.jpg",), ("8 mb", "8mb", "8 mib", "size", "large", "bytes")),
    ),
    BadInput(
        "not-an-image", "bad/notes.jpg", b"these are meeting notes, not a picture\n" * 20, (("notes.jpg",),)
    ),
    # issue 12 #9: headers claiming sizes no decoder should allocate, and a line nested 100,000 deep.
    BadInput(
        "png-claims-50000px",
        "bad/huge.png",
        with_declared_size(png(11), 50000, 50000),
        (("huge.png",), ("50000x50000",), ("4096",)),
    ),
    BadInput(
        "jpeg-claims-65500px",
        "bad/huge.jpg",
        with_declared_size(encode(image_array(12, anomaly=False), "JPEG"), 65500, 65500),
        (("huge.jpg",), ("65500x65500",), ("4096",)),
    ),
    BadInput(
        "line-nested-100000-deep",
        "bad/none.png",
        None,
        (("line 3",), ("nested too deeply",)),
        raw_line='{"source-ref": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ),
]


@pytest.fixture(scope="module")
def good_lines(s3: Any) -> list[str]:
    """Uploads the good images and the bad objects once; returns 8 good manifest lines."""
    s3.create_bucket(Bucket=BUCKET)
    lines = []
    for i in range(8):
        key = f"good/image-{i:02d}.png"
        s3.put_object(Bucket=BUCKET, Key=key, Body=png(100 + i, anomaly=i % 3 == 0))
        lines.append(manifest_line(BUCKET, key, anomaly=i % 3 == 0))
    for bad in BAD_INPUTS:
        if bad.body is not None:
            s3.put_object(Bucket=BUCKET, Key=bad.key, Body=bad.body)
    return lines


def wait_dataset(lv: Any, project: str, busy: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + DATASET_TIMEOUT_S
    while True:
        description = lv.describe_dataset(ProjectName=project, DatasetType="train")["DatasetDescription"]
        if description["Status"] not in busy or time.monotonic() > deadline:
            return description
        time.sleep(1)


def assert_mentions(message: str, bad: BadInput) -> None:
    for group in bad.mentions:
        assert any(word in message.lower() for word in group), (
            f"StatusMessage {message!r} names none of {group}"
        )


def all_entries(lv: Any, project: str) -> list[str]:
    entries, token = [], None
    while True:
        page = lv.list_dataset_entries(
            ProjectName=project,
            DatasetType="train",
            MaxResults=100,
            **({"NextToken": token} if token else {}),
        )
        entries += page["DatasetEntries"]
        token = page.get("NextToken")
        if not token:
            return sorted(json.loads(entry)["source-ref"] + "\n" + entry for entry in entries)


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda bad: bad.name)
def test_create_dataset_fails(lv: Any, s3: Any, good_lines: list[str], bad: BadInput) -> None:
    project = f"bad-create-{bad.name}"
    manifest = [good_lines[0], good_lines[1], bad.line(), good_lines[2]]
    key = f"manifests/{project}.manifest"
    s3.put_object(Bucket=BUCKET, Key=key, Body="\n".join(manifest).encode() + b"\n")
    lv.create_project(ProjectName=project)
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Key": key}}}
    lv.create_dataset(ProjectName=project, DatasetType="train", DatasetSource=source)
    description = wait_dataset(lv, project, {"CREATE_IN_PROGRESS"})
    assert description["Status"] == "CREATE_FAILED", description
    assert_mentions(description["StatusMessage"], bad)


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda bad: bad.name)
def test_update_dataset_entries_rolls_back(lv: Any, s3: Any, good_lines: list[str], bad: BadInput) -> None:
    project = f"bad-update-{bad.name}"
    key = f"manifests/{project}.manifest"
    s3.put_object(Bucket=BUCKET, Key=key, Body="\n".join(good_lines[:6]).encode() + b"\n")
    lv.create_project(ProjectName=project)
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Key": key}}}
    lv.create_dataset(ProjectName=project, DatasetType="train", DatasetSource=source)
    created = wait_dataset(lv, project, {"CREATE_IN_PROGRESS"})
    assert created["Status"] == "CREATE_COMPLETE", created
    entries_before = all_entries(lv, project)

    # Lines 1-2 are valid new images: the rollback must drop them too.
    changes = "\n".join([good_lines[6], good_lines[7], bad.line()]) + "\n"
    answer = lv.update_dataset_entries(ProjectName=project, DatasetType="train", Changes=changes.encode())
    assert answer["Status"].startswith("UPDATE_"), answer
    at_once = lv.describe_dataset(ProjectName=project, DatasetType="train")["DatasetDescription"]
    assert at_once["Status"].startswith("UPDATE_"), at_once
    busy = {"UPDATE_IN_PROGRESS", "UPDATE_FAILED_ROLLBACK_IN_PROGRESS"}
    description = wait_dataset(lv, project, busy)
    assert description["Status"] == "UPDATE_FAILED_ROLLBACK_COMPLETE", description
    assert_mentions(description["StatusMessage"], bad)
    assert all_entries(lv, project) == entries_before
    assert description["ImageStats"] == created["ImageStats"]


def test_padded_jpeg_is_a_real_image_over_the_limit() -> None:
    """Guards the fixture itself: the 8 MB case must fail on size alone, not on decoding."""
    body = next(bad.body for bad in BAD_INPUTS if bad.name == "over-8mb")
    assert body is not None and len(body) > 8 * MIB
    with Image.open(io.BytesIO(body)) as image:
        image.load()
        assert image.size == (SIZE, SIZE)
