"""openlookout through its real Rekognition Custom Labels API, one task at a time.

Upload the images with S3, import Ground Truth manifests as the TRAIN and TEST datasets,
CreateProjectVersion and poll to TRAINING_COMPLETED (that wall time is "train s"; the job
worker's peak RSS is "peak RAM"), read the evaluation summary, then StartProjectVersion and
DetectCustomLabels with MinConfidence=0 on every test image.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.custom_labels_data import (
    NeuImage,
    classification_line,
    detection_line,
    manifest_text,
    s3_key,
)
from bench.custom_labels_server import BenchServer, WorkerMemoryWatch

BUCKET = "neu-det"
POLL_S = 0.5
LINE_WRITERS: dict[str, Callable[[NeuImage, str, Sequence[str]], dict]] = {
    "classification": classification_line,
    "detection": detection_line,
}


@dataclass
class OursRun:
    status: str  # "ok", "TRAINING_FAILED: ...", "timeout after N s", ...
    train_s: float | None = None
    peak_gib: float | None = None
    f1_score: float | None = None  # EvaluationResult.F1Score
    summary: dict | None = None  # the evaluation summary file
    predictions: list[list[dict]] = field(default_factory=list)  # CustomLabels per test image
    detect_s: float | None = None  # all DetectCustomLabels calls together


class Timeout(Exception):
    pass


def wait_for(read: Callable[[], str], busy: set[str], timeout_s: float, what: str) -> str:
    """Poll ``read`` until its status leaves ``busy``; the final status."""
    deadline = time.monotonic() + timeout_s
    while (status := read()) in busy:
        if time.monotonic() > deadline:
            raise Timeout(f"{what} still {status} after {timeout_s:.0f} s")
        time.sleep(POLL_S)
    return status


def upload_images(s3: Any, items: Sequence[NeuImage]) -> None:
    """Create the bucket if needed and put every image not there yet."""
    if BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=BUCKET)
    present = {
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        for o in page.get("Contents", [])
    }
    for item in items:
        if s3_key(item) not in present:
            s3.put_object(Bucket=BUCKET, Key=s3_key(item), Body=item.path.read_bytes())


def create_dataset(
    rek: Any, s3: Any, project_arn: str, kind: str, lines: list[dict], task: str, timeout_s: float
) -> None:
    key = f"manifests/{task}-{kind.lower()}.manifest"
    s3.put_object(Bucket=BUCKET, Key=key, Body=manifest_text(lines).encode())
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Name": key}}}
    arn = rek.create_dataset(ProjectArn=project_arn, DatasetType=kind, DatasetSource=source)["DatasetArn"]

    def status() -> str:
        return rek.describe_dataset(DatasetArn=arn)["DatasetDescription"]["Status"]

    final = wait_for(status, {"CREATE_IN_PROGRESS"}, timeout_s, f"{kind} dataset")
    if final != "CREATE_COMPLETE":
        message = rek.describe_dataset(DatasetArn=arn)["DatasetDescription"].get("StatusMessage", "")
        raise RuntimeError(f"{kind} dataset {final}: {message}")


def describe_version(rek: Any, project_arn: str, version: str) -> dict:
    return rek.describe_project_versions(ProjectArn=project_arn, VersionNames=[version])[
        "ProjectVersionDescriptions"
    ][0]


def read_summary(s3: Any, description: dict) -> dict | None:
    location = description.get("EvaluationResult", {}).get("Summary", {}).get("S3Object")
    if not location:
        return None
    return json.loads(s3.get_object(Bucket=location["Bucket"], Key=location["Name"])["Body"].read())


def detect_all(rek: Any, version_arn: str, items: Sequence[NeuImage]) -> tuple[list[list[dict]], float]:
    started = time.perf_counter()
    predictions = [
        rek.detect_custom_labels(
            ProjectVersionArn=version_arn, Image={"Bytes": item.path.read_bytes()}, MinConfidence=0
        )["CustomLabels"]
        for item in items
    ]
    return predictions, time.perf_counter() - started


def run_ours(
    server: BenchServer,
    task: str,
    train: Sequence[NeuImage],
    test: Sequence[NeuImage],
    labels: Sequence[str],
    timeout_s: float,
    log: Callable[[str], None] = print,
) -> OursRun:
    """One task end to end through the API; failures come back as the run's status."""
    rek, s3 = server.client("rekognition"), server.client("s3")
    write_line = LINE_WRITERS[task]
    upload_images(s3, [*train, *test])
    project_arn = rek.create_project(ProjectName=f"neu-{task}")["ProjectArn"]
    for kind, items in (("TRAIN", train), ("TEST", test)):
        lines = [write_line(item, f"s3://{BUCKET}/{s3_key(item)}", labels) for item in items]
        create_dataset(rek, s3, project_arn, kind, lines, task, timeout_s)
    log(f"[bench] ours {task}: datasets imported, training ...")
    output = {"S3Bucket": BUCKET, "S3KeyPrefix": f"output/{task}/"}
    assert server.process is not None
    run = OursRun(status="ok")
    with WorkerMemoryWatch(server.process.pid) as watch:
        started = time.perf_counter()
        version_arn = rek.create_project_version(
            ProjectArn=project_arn, VersionName="v1", OutputConfig=output
        )["ProjectVersionArn"]
        try:
            final = wait_for(
                lambda: describe_version(rek, project_arn, "v1")["Status"],
                {"TRAINING_IN_PROGRESS"},
                timeout_s,
                "training",
            )
        except Timeout:
            return OursRun(status=f"timeout after {timeout_s:.0f} s", peak_gib=watch.peak_gib)
        run.train_s = time.perf_counter() - started
    run.peak_gib = watch.peak_gib
    description = describe_version(rek, project_arn, "v1")
    if final != "TRAINING_COMPLETED":
        run.status = f"{final}: {description.get('StatusMessage', '')}"[:200]
        return run
    run.f1_score = description.get("EvaluationResult", {}).get("F1Score")
    run.summary = read_summary(s3, description)
    log(f"[bench] ours {task}: trained in {run.train_s:.0f} s, hosting ...")
    rek.start_project_version(ProjectVersionArn=version_arn, MinInferenceUnits=1)
    hosted = wait_for(
        lambda: describe_version(rek, project_arn, "v1")["Status"], {"STARTING"}, timeout_s, "hosting"
    )
    if hosted != "RUNNING":
        run.status = f"hosting {hosted}"
        return run
    try:
        run.predictions, run.detect_s = detect_all(rek, version_arn, test)
    finally:
        rek.stop_project_version(ProjectVersionArn=version_arn)
    return run
