"""Manifests as AWS's own published tools write them (issue 12 #13)."""

from __future__ import annotations

import json
from typing import Any

from .synthetic import manifest_line, png
from .test_dataset_failures import wait_dataset

BUCKET = "csv-to-manifest"


def csv_to_manifest_line(key: str, anomaly: bool) -> str:
    """A line as aws-doc-sdk-examples' csv_to_manifest.py writes it: the label number is a string."""
    line = json.loads(manifest_line(BUCKET, key, anomaly))
    line["anomaly-label"] = "1" if anomaly else "0"
    line["anomaly-label-metadata"]["confidence"] = 1
    return json.dumps(line)


def test_string_label_numbers_import(lv: Any, s3: Any) -> None:
    s3.create_bucket(Bucket=BUCKET)
    lines = []
    for i in range(6):
        key = f"images/{i}.png"
        s3.put_object(Bucket=BUCKET, Key=key, Body=png(700 + i, anomaly=i < 2))
        lines.append(csv_to_manifest_line(key, anomaly=i < 2))
    s3.put_object(Bucket=BUCKET, Key="train.manifest", Body=("\n".join(lines) + "\n").encode())
    lv.create_project(ProjectName="csv-to-manifest")
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Key": "train.manifest"}}}
    lv.create_dataset(ProjectName="csv-to-manifest", DatasetType="train", DatasetSource=source)
    description = wait_dataset(lv, "csv-to-manifest", {"CREATE_IN_PROGRESS"})
    assert description["Status"] == "CREATE_COMPLETE", description
    assert description["ImageStats"] == {"Total": 6, "Labeled": 6, "Normal": 4, "Anomaly": 2}
    entries = lv.list_dataset_entries(ProjectName="csv-to-manifest", DatasetType="train")["DatasetEntries"]
    # Stored normalised: the number agrees with class-name and is a JSON number.
    assert sorted(json.loads(e)["anomaly-label"] for e in entries) == [0, 0, 0, 0, 1, 1]


def test_manifest_past_the_image_limit_stops_at_that_line(lv: Any, s3: Any) -> None:
    """issue 12 #8: the import reads the manifest as a stream and fails at line 16,001."""
    line = manifest_line(BUCKET, "images/{n}.png", anomaly=False)
    body = "\n".join(line.replace("{n}", str(n)) for n in range(20_000)) + "\n"
    s3.put_object(Bucket=BUCKET, Key="too-many.manifest", Body=body.encode())
    lv.create_project(ProjectName="too-many-lines")
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Key": "too-many.manifest"}}}
    lv.create_dataset(ProjectName="too-many-lines", DatasetType="train", DatasetSource=source)
    description = wait_dataset(lv, "too-many-lines", {"CREATE_IN_PROGRESS"})
    assert description["Status"] == "CREATE_FAILED", description
    assert description["StatusMessage"].startswith("Line 16001: "), description
    assert "at most 16000 images" in description["StatusMessage"]
