"""Projects, datasets, entries and labels through the real facade (spec B.3, B.4)."""

from __future__ import annotations

import json

import pytest

from openlookout.blobs.local import LocalBlobStore
from openlookout.errors import ConflictError, InvalidInputError, NotFoundError, NotSupportedError
from openlookout.service.custom_labels.errors import AlreadyExistsError, InvalidS3ObjectError, NotReadyError
from openlookout.service.custom_labels.facade import CustomLabelsService

from .conftest import (
    InlineRunner,
    classification_line,
    detection_line,
    put_images,
    put_manifest,
)


def _project(service: CustomLabelsService, name: str = "shoes") -> str:
    arn: str = service.create_project(project_name=name)["ProjectArn"]
    return arn


def test_project_arn_lifecycle_and_content_moderation(service: CustomLabelsService) -> None:
    arn = _project(service, "my.project-1")
    assert arn.startswith("arn:aws:rekognition:us-east-1:")
    assert arn.split(":")[5].split("/")[1] == "my.project-1"  # the demo app's parsing (B.8)
    with pytest.raises(ConflictError):
        _project(service, "my.project-1")
    with pytest.raises(NotSupportedError, match="CONTENT_MODERATION"):
        service.create_project(project_name="mod", feature="CONTENT_MODERATION", auto_update="ENABLED")
    described = service.describe_projects(project_names=["my.project-1"])["ProjectDescriptions"]
    assert [(d["ProjectArn"], d["Status"], d["Feature"], d["Datasets"]) for d in described] == [
        (arn, "CREATED", "CUSTOM_LABELS", [])
    ]
    assert service.describe_projects(features=["CONTENT_MODERATION"])["ProjectDescriptions"] == []
    assert service.delete_project(project_arn=arn) == {"Status": "DELETING"}
    assert service.describe_projects()["ProjectDescriptions"] == []
    with pytest.raises(NotFoundError):
        service.delete_project(project_arn=arn)


def test_describe_projects_pages_in_creation_order(service: CustomLabelsService) -> None:
    arns = [_project(service, f"p{i}") for i in range(5)]
    first = service.describe_projects(max_results=2)
    assert [d["ProjectArn"] for d in first["ProjectDescriptions"]] == arns[:2]
    rest = service.describe_projects(max_results=10, next_token=first["NextToken"])
    assert [d["ProjectArn"] for d in rest["ProjectDescriptions"]] == arns[2:]
    with pytest.raises(InvalidInputError) as caught:
        service.describe_projects(next_token="bogus!")
    assert caught.value.field == "NextToken"


def test_empty_dataset_duplicate_type_and_delete(service: CustomLabelsService) -> None:
    project = _project(service)
    train = service.create_dataset(project_arn=project, dataset_type="TRAIN")["DatasetArn"]
    assert "/dataset/train/" in train
    with pytest.raises(AlreadyExistsError):
        service.create_dataset(project_arn=project, dataset_type="TRAIN")
    description = service.describe_dataset(dataset_arn=train)["DatasetDescription"]
    assert description["Status"] == "CREATE_COMPLETE"
    assert description["StatusMessageCode"] == "SUCCESS"
    assert description["DatasetStats"] == {
        "LabeledEntries": 0,
        "TotalEntries": 0,
        "TotalLabels": 0,
        "ErrorEntries": 0,
    }
    datasets = service.describe_projects()["ProjectDescriptions"][0]["Datasets"]
    assert [(d["DatasetType"], d["DatasetArn"]) for d in datasets] == [("TRAIN", train)]
    assert service.delete_dataset(dataset_arn=train) == {}
    with pytest.raises(NotFoundError):
        service.describe_dataset(dataset_arn=train)


def test_manifest_import_with_line_errors(service: CustomLabelsService, blobs: LocalBlobStore) -> None:
    put_images(blobs, [f"img{i}.png" for i in range(9)])
    bad_box = detection_line("img8.png", [("cat", 70, 10, 30, 20), ("dog", 1, 1, 10, 10)])
    lines = [classification_line(f"img{i}.png", "cat" if i % 2 else "dog") for i in range(7)]
    lines += [{"source-ref": "s3://images/img7.png"}, bad_box]
    source = put_manifest(blobs, "train.manifest", lines)
    project = _project(service)
    arn = service.create_dataset(project_arn=project, dataset_type="TRAIN", dataset_source=source)[
        "DatasetArn"
    ]
    description = service.describe_dataset(dataset_arn=arn)["DatasetDescription"]
    assert description["Status"] == "CREATE_COMPLETE", description
    assert description["DatasetStats"] == {
        "LabeledEntries": 8,
        "TotalEntries": 9,
        "TotalLabels": 2,
        "ErrorEntries": 1,
    }
    with_errors = service.list_dataset_entries(dataset_arn=arn, has_errors=True)["DatasetEntries"]
    assert len(with_errors) == 1
    box_line = json.loads(with_errors[0])
    first_box = box_line["bounding-box"]["annotations"][0]
    assert first_box["errors"][0]["code"] == "ERROR_INVALID_BOUNDING_BOX"
    unlabeled = service.list_dataset_entries(dataset_arn=arn, labeled=False)["DatasetEntries"]
    assert [json.loads(e)["source-ref"] for e in unlabeled] == ["s3://images/img7.png"]
    cats = service.list_dataset_entries(dataset_arn=arn, contains_labels=["cat"])["DatasetEntries"]
    assert len(cats) == 3
    refs = service.list_dataset_entries(dataset_arn=arn, source_ref_contains="img8")["DatasetEntries"]
    assert len(refs) == 1
    labels = service.list_dataset_labels(dataset_arn=arn)["DatasetLabelDescriptions"]
    assert labels == [
        {"LabelName": "cat", "LabelStats": {"EntryCount": 3, "BoundingBoxCount": 0}},
        {"LabelName": "dog", "LabelStats": {"EntryCount": 5, "BoundingBoxCount": 1}},
    ]
    page = service.list_dataset_entries(dataset_arn=arn, max_results=4)
    assert len(page["DatasetEntries"]) == 4
    rest = service.list_dataset_entries(dataset_arn=arn, max_results=100, next_token=page["NextToken"])
    assert len(rest["DatasetEntries"]) == 5 and "NextToken" not in rest


def test_too_many_invalid_lines_fail_the_import(service: CustomLabelsService, blobs: LocalBlobStore) -> None:
    put_images(blobs, ["a.png", "b.png", "c.png"])
    lines: list = [classification_line(n, "x") for n in ("a.png", "b.png", "c.png")]
    lines += [classification_line("missing.png", "x"), "not json"]  # 2 of 5 invalid = 40 %
    source = put_manifest(blobs, "bad.manifest", lines)
    arn = service.create_dataset(project_arn=_project(service), dataset_type="TRAIN", dataset_source=source)[
        "DatasetArn"
    ]
    description = service.describe_dataset(dataset_arn=arn)["DatasetDescription"]
    assert description["Status"] == "CREATE_FAILED"
    assert description["StatusMessageCode"] == "CLIENT_ERROR"
    assert description["StatusMessage"].startswith("ERROR_TOO_MANY_INVALID_ROWS_IN_MANIFEST")
    with pytest.raises(NotReadyError):
        service.list_dataset_entries(dataset_arn=arn)


def test_one_missing_image_in_six_is_only_a_line_error(
    service: CustomLabelsService, blobs: LocalBlobStore
) -> None:
    names = [f"i{i}.png" for i in range(5)]
    put_images(blobs, names)
    lines = [classification_line(n, "x") for n in [*names, "gone.png"]]
    source = put_manifest(blobs, "m", lines)
    arn = service.create_dataset(project_arn=_project(service), dataset_type="TEST", dataset_source=source)[
        "DatasetArn"
    ]
    assert service.describe_dataset(dataset_arn=arn)["DatasetDescription"]["Status"] == "CREATE_COMPLETE"
    bad = service.list_dataset_entries(dataset_arn=arn, has_errors=True)["DatasetEntries"]
    assert [e["code"] for e in json.loads(bad[0])["errors"]] == ["ERROR_INVALID_IMAGE"]


def test_images_in_two_buckets_fail(service: CustomLabelsService, blobs: LocalBlobStore) -> None:
    blobs.create_bucket("other")
    put_images(blobs, ["a.png"])
    blobs.put("other", "b.png", blobs.get("images", "a.png"))
    source = put_manifest(
        blobs, "m", [classification_line("a.png", "x"), classification_line("b.png", "y", "other")]
    )
    arn = service.create_dataset(project_arn=_project(service), dataset_type="TRAIN", dataset_source=source)[
        "DatasetArn"
    ]
    message = service.describe_dataset(dataset_arn=arn)["DatasetDescription"]["StatusMessage"]
    assert message.startswith("ERROR_IMAGES_IN_MULTIPLE_S3_BUCKETS")


def test_unreadable_manifest_is_invalid_s3_object(service: CustomLabelsService) -> None:
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": "manifests", "Name": "nope"}}}
    with pytest.raises(InvalidS3ObjectError):
        service.create_dataset(project_arn=_project(service), dataset_type="TRAIN", dataset_source=source)


def test_update_entries_adds_and_replaces(
    service: CustomLabelsService, blobs: LocalBlobStore, runner: InlineRunner
) -> None:
    put_images(blobs, ["a.png", "b.png", "c.png"])
    source = put_manifest(blobs, "m", [classification_line("a.png", "x"), classification_line("b.png", "x")])
    arn = service.create_dataset(project_arn=_project(service), dataset_type="TRAIN", dataset_source=source)[
        "DatasetArn"
    ]
    changes = (
        json.dumps(classification_line("b.png", "y")) + "\n" + json.dumps(classification_line("c.png", "z"))
    ).encode()
    runner.paused = True
    assert service.update_dataset_entries(dataset_arn=arn, changes={"GroundTruth": changes}) == {}
    assert service.describe_dataset(dataset_arn=arn)["DatasetDescription"]["Status"] == "UPDATE_IN_PROGRESS"
    with pytest.raises(ConflictError):
        service.update_dataset_entries(dataset_arn=arn, changes={"GroundTruth": changes})
    runner.drain()
    description = service.describe_dataset(dataset_arn=arn)["DatasetDescription"]
    assert description["Status"] == "UPDATE_COMPLETE"
    assert description["DatasetStats"]["TotalEntries"] == 3
    names = [d["LabelName"] for d in service.list_dataset_labels(dataset_arn=arn)["DatasetLabelDescriptions"]]
    assert names == ["x", "y", "z"]


def test_copy_and_distribute(service: CustomLabelsService, blobs: LocalBlobStore) -> None:
    names = [f"i{i:02d}.png" for i in range(20)]
    put_images(blobs, names)
    source = put_manifest(blobs, "m", [classification_line(n, "ab"[i % 2]) for i, n in enumerate(names)])
    project = _project(service)
    train = service.create_dataset(project_arn=project, dataset_type="TRAIN", dataset_source=source)[
        "DatasetArn"
    ]
    other = _project(service, "copy")
    copied = service.create_dataset(
        project_arn=other, dataset_type="TRAIN", dataset_source={"DatasetArn": train}
    )["DatasetArn"]
    assert (
        service.describe_dataset(dataset_arn=copied)["DatasetDescription"]["DatasetStats"]["TotalEntries"]
        == 20
    )
    test = service.create_dataset(project_arn=project, dataset_type="TEST")["DatasetArn"]
    with pytest.raises(InvalidInputError):
        service.distribute_dataset_entries(datasets=[{"Arn": train}, {"Arn": copied}])
    service.distribute_dataset_entries(datasets=[{"Arn": test}, {"Arn": train}])
    moved = [
        json.loads(e)["source-ref"] for e in service.list_dataset_entries(dataset_arn=test)["DatasetEntries"]
    ]
    assert len(moved) == 4
    test_labels = service.list_dataset_labels(dataset_arn=test)["DatasetLabelDescriptions"]
    assert [(d["LabelName"], d["LabelStats"]["EntryCount"]) for d in test_labels] == [("a", 2), ("b", 2)]
    for arn in (train, test):
        assert service.describe_dataset(dataset_arn=arn)["DatasetDescription"]["Status"] == "UPDATE_COMPLETE"
    with pytest.raises(InvalidInputError, match="empty"):
        service.distribute_dataset_entries(datasets=[{"Arn": train}, {"Arn": test}])
    # The same dataset always splits the same way.
    again = _project(service, "again")
    train2 = service.create_dataset(project_arn=again, dataset_type="TRAIN", dataset_source=source)[
        "DatasetArn"
    ]
    test2 = service.create_dataset(project_arn=again, dataset_type="TEST")["DatasetArn"]
    service.distribute_dataset_entries(datasets=[{"Arn": train2}, {"Arn": test2}])
    moved2 = [
        json.loads(e)["source-ref"] for e in service.list_dataset_entries(dataset_arn=test2)["DatasetEntries"]
    ]
    assert sorted(moved2) == sorted(moved)


def test_delete_project_removes_its_datasets(service: CustomLabelsService) -> None:
    project = _project(service)
    train = service.create_dataset(project_arn=project, dataset_type="TRAIN")["DatasetArn"]
    service.delete_project(project_arn=project)
    with pytest.raises(NotFoundError):
        service.describe_dataset(dataset_arn=train)


def test_bad_update_fails_and_keeps_the_entries(service: CustomLabelsService, blobs: LocalBlobStore) -> None:
    put_images(blobs, ["a.png", "b.png"])
    source = put_manifest(blobs, "m", [classification_line("a.png", "x"), classification_line("b.png", "x")])
    arn = service.create_dataset(project_arn=_project(service), dataset_type="TRAIN", dataset_source=source)[
        "DatasetArn"
    ]
    # Two missing images against two good entries: half the dataset would be invalid.
    changes = "\n".join(json.dumps(classification_line(n, "y")) for n in ("gone1.png", "gone2.png"))
    service.update_dataset_entries(dataset_arn=arn, changes={"GroundTruth": changes.encode()})
    description = service.describe_dataset(dataset_arn=arn)["DatasetDescription"]
    assert description["Status"] == "UPDATE_FAILED"
    assert description["StatusMessage"].startswith("ERROR_TOO_MANY_INVALID_ROWS_IN_MANIFEST: 2 of 4")
    assert description["DatasetStats"]["TotalEntries"] == 2
    # UPDATE_FAILED keeps the previous entries usable.
    assert len(service.list_dataset_entries(dataset_arn=arn)["DatasetEntries"]) == 2
