"""S3 locations named inside requests are used with the caller's own S3 permissions (issue 12 #1).

A key allowed every Lookout for Vision or Rekognition action but nothing of S3 must not
read a manifest, image or S3Object, nor write an OutputConfig, through the service; the
service's own bucket is refused to every key, root included, with the same error whether
or not the object exists (docs/security.md, "S3 locations named in requests").
"""

from __future__ import annotations

import json
import time
from functools import partial
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.server import ServerProcess

from .clients.connect import lookoutvision_client
from .synthetic import manifest_line, png
from .test_custom_labels import rekognition
from .test_custom_labels import wait_dataset as wait_cl_dataset
from .test_dataset_failures import wait_dataset

BUCKET = "deputy-source"
INTERNAL = "openlookout-internal"
MISSING_KEY = "dataset-changes/no-such-project/train/0000.jsonl"
TIMEOUT_S = 120


def error_of(call: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def cl_line(key: str, label: str) -> str:
    metadata = {
        "class-name": label,
        "confidence": 1,
        "type": "groundtruth/image-classification",
        "human-annotated": "yes",
        "creation-date": "2024-03-01T10:00:00.000Z",
        "job-name": "deputy",
    }
    return json.dumps({"source-ref": f"s3://{BUCKET}/{key}", "thing": 1, "thing-metadata": metadata})


@pytest.fixture(scope="module")
def source(s3: Any, lv: Any, server: ServerProcess) -> dict[str, str]:
    """A bucket with 8 images and manifests (root's), and a real object of the internal bucket."""
    s3.create_bucket(Bucket=BUCKET)
    l4v_lines, cl_lines = [], []
    for i in range(8):
        key = f"images/{i:02d}.png"
        s3.put_object(Bucket=BUCKET, Key=key, Body=png(500 + i, anomaly=i % 2 == 1))
        l4v_lines.append(manifest_line(BUCKET, key, anomaly=i % 2 == 1))
        cl_lines.append(cl_line(key, "odd" if i % 2 else "even"))
    l4v_manifest = "\n".join(l4v_lines) + "\n"
    s3.put_object(Bucket=BUCKET, Key="l4v.manifest", Body=l4v_manifest.encode())
    s3.put_object(Bucket=BUCKET, Key="cl.manifest", Body=("\n".join(cl_lines) + "\n").encode())
    # UpdateDatasetEntries stores its Changes in the internal bucket: a valid manifest of
    # root's images that, before the fix, any key could import by naming it.
    lv.create_project(ProjectName="deputy-victim")
    lv.create_dataset(ProjectName="deputy-victim", DatasetType="train")
    lv.update_dataset_entries(ProjectName="deputy-victim", DatasetType="train", Changes=l4v_manifest.encode())
    folder = server.data_dir / "buckets" / INTERNAL / "dataset-changes" / "deputy-victim" / "train"
    deadline = time.monotonic() + TIMEOUT_S
    while not list(folder.glob("*.jsonl")) and time.monotonic() < deadline:
        time.sleep(0.2)
    [changes] = list(folder.glob("*.jsonl"))
    return {"internal_key": changes.relative_to(folder.parents[2]).as_posix()}


def same_but_key(first: tuple[str, int, str], second: tuple[str, int, str], key_a: str, key_b: str) -> None:
    """Identical answers for an existing and a missing object: only the named key differs."""
    assert first[:2] == second[:2]
    assert first[2].replace(key_a, "KEY") == second[2].replace(key_b, "KEY"), (first, second)


# -- Lookout for Vision ------------------------------------------------------------------------


def test_l4v_key_without_s3_rights_cannot_import(config: dict[str, Any], source: dict[str, str]) -> None:
    l4v_only = lookoutvision_client(config, "l4v-only")
    l4v_only.create_project(ProjectName="deputy-l4v")
    manifest = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Key": "l4v.manifest"}}}
    create = partial(l4v_only.create_dataset, ProjectName="deputy-l4v", DatasetType="train")
    code, status, message = error_of(lambda: create(DatasetSource=manifest))
    assert (code, status) == ("AccessDeniedException", 403)
    assert "s3:GetObject" in message and f"arn:aws:s3:::{BUCKET}/l4v.manifest" in message
    missing = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Key": "nothing-here.manifest"}}}
    same_but_key(
        error_of(lambda: create(DatasetSource=missing)), (code, status, message), "nothing-here", "l4v"
    )
    # Nothing was created: the check ran before the dataset row and the job.
    assert l4v_only.describe_project(ProjectName="deputy-l4v")["ProjectDescription"]["Datasets"] == []


def test_l4v_key_without_s3_rights_cannot_write_output(
    config: dict[str, Any], source: dict[str, str]
) -> None:
    l4v_only = lookoutvision_client(config, "l4v-only")
    l4v_only.create_project(ProjectName="deputy-l4v-out")
    output = {"S3Location": {"Bucket": BUCKET, "Prefix": "evaluation/"}}
    code, status, message = error_of(
        lambda: l4v_only.create_model(ProjectName="deputy-l4v-out", OutputConfig=output)
    )
    assert (code, status) == ("AccessDeniedException", 403)
    assert "s3:PutObject" in message
    assert l4v_only.list_models(ProjectName="deputy-l4v-out")["Models"] == []


def test_internal_bucket_refused_to_root_without_an_existence_oracle(lv: Any, source: dict[str, str]) -> None:
    lv.create_project(ProjectName="deputy-root")
    create = partial(lv.create_dataset, ProjectName="deputy-root", DatasetType="train")

    def named(key: str) -> dict[str, Any]:
        return {"GroundTruthManifest": {"S3Object": {"Bucket": INTERNAL, "Key": key}}}

    existing = error_of(lambda: create(DatasetSource=named(source["internal_key"])))
    missing = error_of(lambda: create(DatasetSource=named(MISSING_KEY)))
    assert existing[:2] == ("AccessDeniedException", 403)
    same_but_key(existing, missing, source["internal_key"], MISSING_KEY)
    # OutputConfig into another model's folder of the internal bucket.
    output = {"S3Location": {"Bucket": INTERNAL, "Prefix": "models/deputy-victim/1/"}}
    code, status, _ = error_of(lambda: lv.create_model(ProjectName="deputy-root", OutputConfig=output))
    assert (code, status) == ("AccessDeniedException", 403)


def test_manifest_images_in_the_internal_bucket_fail_the_import(
    lv: Any, s3: Any, source: dict[str, str]
) -> None:
    """A readable manifest naming internal objects: the job fails, the same way for both keys."""
    lines = [
        manifest_line(INTERNAL, source["internal_key"], False),
        manifest_line(INTERNAL, MISSING_KEY, True),
    ]
    messages = []
    for n, ordered in enumerate((lines, lines[::-1])):
        key = f"internal-images-{n}.manifest"
        s3.put_object(Bucket=BUCKET, Key=key, Body=("\n".join(ordered) + "\n").encode())
        project = f"deputy-images-{n}"
        lv.create_project(ProjectName=project)
        manifest = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Key": key}}}
        lv.create_dataset(ProjectName=project, DatasetType="train", DatasetSource=manifest)
        description = wait_dataset(lv, project, {"CREATE_IN_PROGRESS"})
        assert description["Status"] == "CREATE_FAILED", description
        assert description["ImageStats"]["Total"] == 0
        messages.append(description["StatusMessage"])
    # Line 1 is the existing object in one run and the missing one in the other.
    assert "not authorized to perform: s3:GetObject" in messages[0]
    same_but_key(("", 0, messages[0]), ("", 0, messages[1]), source["internal_key"], MISSING_KEY)


def test_fully_allowed_key_still_imports(lv: Any, source: dict[str, str]) -> None:
    lv.create_project(ProjectName="deputy-allowed")
    manifest = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Key": "l4v.manifest"}}}
    lv.create_dataset(ProjectName="deputy-allowed", DatasetType="train", DatasetSource=manifest)
    description = wait_dataset(lv, "deputy-allowed", {"CREATE_IN_PROGRESS"})
    assert description["Status"] == "CREATE_COMPLETE", description
    assert description["ImageStats"]["Total"] == 8


# -- Rekognition Custom Labels -----------------------------------------------------------------


def test_cl_key_without_s3_rights(config: dict[str, Any], source: dict[str, str]) -> None:
    rek_only = rekognition(config, "rekognition-only")
    arn = rek_only.create_project(ProjectName="deputy-cl")["ProjectArn"]
    manifest = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Name": "cl.manifest"}}}
    code, status, message = error_of(
        lambda: rek_only.create_dataset(ProjectArn=arn, DatasetType="TRAIN", DatasetSource=manifest)
    )
    assert (code, status) == ("InvalidS3ObjectException", 400)
    assert "s3:GetObject" in message
    assert rek_only.describe_projects(ProjectNames=["deputy-cl"])["ProjectDescriptions"][0]["Datasets"] == []
    version = partial(
        rek_only.create_project_version,
        ProjectArn=arn,
        VersionName="v1",
        OutputConfig={"S3Bucket": BUCKET, "S3KeyPrefix": "cl-output/"},
    )
    code, status, message = error_of(version)
    assert (code, status) == ("AccessDeniedException", 400)
    assert "s3:PutObject" in message
    copy = partial(
        rek_only.copy_project_version,
        SourceProjectArn=arn,
        SourceProjectVersionArn=f"{arn.rsplit('/', 1)[0]}/version/v0/1",
        DestinationProjectArn=arn,
        VersionName="copy",
        OutputConfig={"S3Bucket": BUCKET, "S3KeyPrefix": "copies/"},
    )
    code, status, message = error_of(copy)
    assert (code, status) == ("AccessDeniedException", 400)
    assert f"s3:PutObject on resource: arn:aws:s3:::{BUCKET}/copies/" in message
    image = {"S3Object": {"Bucket": BUCKET, "Name": "images/00.png"}}
    detect = partial(rek_only.detect_custom_labels, ProjectVersionArn=f"{arn.rsplit('/', 1)[0]}/version/v1/1")
    code, status, message = error_of(lambda: detect(Image=image))
    assert (code, status) == ("InvalidS3ObjectException", 400)
    assert "s3:GetObject" in message


def test_cl_internal_bucket_refused_without_an_existence_oracle(
    config: dict[str, Any], source: dict[str, str]
) -> None:
    client = rekognition(config)
    arn = client.create_project(ProjectName="deputy-cl-root")["ProjectArn"]

    def create(key: str) -> tuple[str, int, str]:
        manifest = {"GroundTruthManifest": {"S3Object": {"Bucket": INTERNAL, "Name": key}}}
        return error_of(
            lambda: client.create_dataset(ProjectArn=arn, DatasetType="TRAIN", DatasetSource=manifest)
        )

    existing, missing = create(source["internal_key"]), create(MISSING_KEY)
    assert existing[:2] == ("InvalidS3ObjectException", 400)
    same_but_key(existing, missing, source["internal_key"], MISSING_KEY)

    version_arn = f"{arn.rsplit('/', 1)[0]}/version/none/1"

    def detect(key: str) -> tuple[str, int, str]:
        image = {"S3Object": {"Bucket": INTERNAL, "Name": key}}
        return error_of(lambda: client.detect_custom_labels(ProjectVersionArn=version_arn, Image=image))

    existing, missing = detect(source["internal_key"]), detect(MISSING_KEY)
    assert existing[:2] == ("InvalidS3ObjectException", 400)
    same_but_key(existing, missing, source["internal_key"], MISSING_KEY)
    # Root may read its own bucket: the request gets past the S3 check to the version lookup.
    allowed = {"S3Object": {"Bucket": BUCKET, "Name": "images/00.png"}}
    code, _, _ = error_of(lambda: client.detect_custom_labels(ProjectVersionArn=version_arn, Image=allowed))
    assert code == "ResourceNotFoundException"


def test_cl_images_in_the_internal_bucket_fail_the_import(
    config: dict[str, Any], s3: Any, source: dict[str, str]
) -> None:
    client = rekognition(config)
    arn = client.create_project(ProjectName="deputy-cl-images")["ProjectArn"]
    lines = [
        cl_line("images/00.png", "even").replace(
            f"s3://{BUCKET}/images/00.png", f"s3://{INTERNAL}/{source['internal_key']}"
        ),
        cl_line("images/01.png", "odd"),
    ]
    s3.put_object(Bucket=BUCKET, Key="cl-internal.manifest", Body=("\n".join(lines) + "\n").encode())
    manifest = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Name": "cl-internal.manifest"}}}
    dataset = client.create_dataset(ProjectArn=arn, DatasetType="TRAIN", DatasetSource=manifest)["DatasetArn"]
    description = wait_cl_dataset(client, dataset)
    assert description["Status"] == "CREATE_FAILED", description
    assert description["StatusMessage"].startswith("ERROR_INVALID_PERMISSIONS_IMAGES_S3_BUCKET"), description


def test_cl_fully_allowed_key_still_imports(config: dict[str, Any], source: dict[str, str]) -> None:
    client = rekognition(config)
    arn = client.create_project(ProjectName="deputy-cl-allowed")["ProjectArn"]
    manifest = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Name": "cl.manifest"}}}
    dataset = client.create_dataset(ProjectArn=arn, DatasetType="TRAIN", DatasetSource=manifest)["DatasetArn"]
    description = wait_cl_dataset(client, dataset)
    assert description["Status"] == "CREATE_COMPLETE", description
    assert description["DatasetStats"]["TotalEntries"] == 8


def test_l4v_packaging_output_needs_put_object(config: dict[str, Any], source: dict[str, str]) -> None:
    l4v_only = lookoutvision_client(config, "l4v-only")
    greengrass = {
        "ComponentName": "deputy.component",
        "S3OutputLocation": {"Bucket": BUCKET, "Prefix": "packages/"},
        "TargetDevice": "jetson_xavier",
    }
    start = partial(
        l4v_only.start_model_packaging_job,
        ProjectName="deputy-l4v",
        ModelVersion="1",
        Configuration={"Greengrass": greengrass},
    )
    code, status, message = error_of(start)
    assert (code, status) == ("AccessDeniedException", 403)
    assert f"s3:PutObject on resource: arn:aws:s3:::{BUCKET}/packages/" in message


def test_update_entries_naming_internal_images_roll_back(lv: Any, source: dict[str, str]) -> None:
    lv.create_project(ProjectName="deputy-update")
    lv.create_dataset(ProjectName="deputy-update", DatasetType="train")  # empty: no bucket fixed yet
    changes = manifest_line(INTERNAL, source["internal_key"], anomaly=False) + "\n"
    lv.update_dataset_entries(ProjectName="deputy-update", DatasetType="train", Changes=changes.encode())
    busy = {"UPDATE_IN_PROGRESS", "UPDATE_FAILED_ROLLBACK_IN_PROGRESS"}
    description = wait_dataset(lv, "deputy-update", busy)
    assert description["Status"] == "UPDATE_FAILED_ROLLBACK_COMPLETE", description
    assert "not authorized to perform: s3:GetObject" in description["StatusMessage"]
    assert description["ImageStats"]["Total"] == 0
