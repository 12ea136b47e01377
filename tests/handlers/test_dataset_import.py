from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from openlookout.service.lookoutvision.dataset_jobs import ImportDatasetHandler

from .conftest import COOKIE_BUCKET, World, cookie_manifest, manifest_line, png, run_job, upload_cookies

HANDLER = ImportDatasetHandler()


def import_manifest(
    world: World, manifest: bytes | None, key: str = "manifests/m.manifest"
) -> tuple[int, str | None]:
    project_id = world.add_project()
    dataset_id = world.add_dataset(project_id)
    if manifest is not None:
        world.put("manifests", key, manifest)
    job = world.add_job("import_dataset", {"dataset_id": dataset_id, "bucket": "manifests", "key": key})
    return dataset_id, run_job(world, HANDLER, job)


def assert_failed_without_entries(world: World, dataset_id: int, message: str | None, expected: str) -> None:
    assert message is not None and expected in message
    dataset = world.dataset(dataset_id)
    assert dataset.status == "CREATE_FAILED"
    assert dataset.status_message == message
    assert world.entries(dataset_id) == []


def test_import_real_cookie_classification_manifest(world: World, cookies: Path) -> None:
    upload_cookies(world, cookies)
    dataset_id, message = import_manifest(world, cookie_manifest(cookies, "train_class.manifest"))
    assert message is None
    dataset = world.dataset(dataset_id)
    assert (dataset.status, dataset.status_message) == (
        "CREATE_COMPLETE",
        "The dataset was created successfully.",
    )
    entries = world.entries(dataset_id)
    assert len(entries) == 63
    assert sum(e.label == "anomaly" for e in entries) == 32
    assert sum(e.label == "normal" for e in entries) == 31
    assert {(e.width, e.height) for e in entries} == {(576, 768)}
    assert all(e.mask_ref is None and e.anomaly_classes == "[]" for e in entries)
    first = json.loads(entries[0].line)
    assert first["source-ref"] == entries[0].source_ref
    assert first["anomaly-label"] == (1 if entries[0].label == "anomaly" else 0)


def test_import_real_cookie_segmentation_manifest(world: World, cookies: Path) -> None:
    upload_cookies(world, cookies)
    dataset_id, message = import_manifest(world, cookie_manifest(cookies, "train_segmentation.manifest"))
    assert message is None
    entries = world.entries(dataset_id)
    anomalies = [e for e in entries if e.label == "anomaly"]
    assert len(anomalies) == 32
    assert all(json.loads(e.anomaly_classes) == ["cracked"] for e in anomalies)
    assert all(e.mask_ref and e.mask_ref.startswith(f"s3://{COOKIE_BUCKET}/") for e in anomalies)
    normals = [e for e in entries if e.label == "normal"]
    assert all(e.anomaly_classes == "[]" for e in normals)  # BACKGROUND-only placeholder masks
    line = json.loads(anomalies[0].line)
    assert line["anomaly-mask-ref-metadata"]["internal-color-map"]["0"]["class-name"] == "cracked"


def small_dataset(world: World, count: int = 3, size: tuple[int, int] = (64, 72)) -> list[str]:
    return [world.put("images", f"img/{i}.png", png(*size, seed=i)) for i in range(count)]


def test_import_is_rerunnable(world: World) -> None:
    refs = small_dataset(world)
    manifest = "\n".join(manifest_line(r) for r in refs).encode()
    dataset_id, message = import_manifest(world, manifest)
    assert message is None
    job = world.add_job(
        "import_dataset", {"dataset_id": dataset_id, "bucket": "manifests", "key": "manifests/m.manifest"}
    )
    assert run_job(world, HANDLER, job) is None
    assert [e.source_ref for e in world.entries(dataset_id)] == sorted(refs)


def test_any_label_attribute_and_unlabeled_lines(world: World) -> None:
    refs = small_dataset(world, 3)
    manifest = "\n".join(
        [
            manifest_line(refs[0], "anomaly", attribute="auto-label"),
            manifest_line(refs[1], "cat"),
            manifest_line(refs[2], None),
        ]
    ).encode()
    dataset_id, message = import_manifest(world, manifest)
    assert message is None
    entries = {e.source_ref: e for e in world.entries(dataset_id)}
    assert entries[refs[0]].label == "anomaly"
    assert json.loads(entries[refs[0]].line)["anomaly-label"] == 1
    assert entries[refs[1]].label is None and entries[refs[2]].label is None


def test_mask_classes_present_are_recorded(world: World) -> None:
    image = world.put("images", "img/a.png", png(64, 64))
    pixels = np.zeros((64, 64, 3), dtype=np.uint8)
    pixels[3:9, 3:9] = (255, 0, 0)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    mask = world.put("images", "masks/a.png", out.getvalue())
    dataset_id, message = import_manifest(world, manifest_line(image, "anomaly", mask=mask).encode())
    assert message is None
    (entry,) = world.entries(dataset_id)
    assert (entry.mask_ref, json.loads(entry.anomaly_classes)) == (mask, ["scratch"])
    assert "anomaly-mask-ref" in json.loads(entry.line)


def test_missing_manifest_bucket(world: World) -> None:
    project_id = world.add_project()
    dataset_id = world.add_dataset(project_id)
    job = world.add_job(
        "import_dataset", {"dataset_id": dataset_id, "bucket": "nobucket", "key": "a/b.manifest"}
    )
    message = run_job(world, HANDLER, job)
    assert_failed_without_entries(world, dataset_id, message, "s3://nobucket/a/b.manifest")
    assert "bucket 'nobucket' does not exist" in message  # type: ignore[operator]


def test_missing_manifest_object(world: World) -> None:
    world.blobs.create_bucket("manifests")
    dataset_id, message = import_manifest(world, None, key="nope.manifest")
    assert_failed_without_entries(
        world, dataset_id, message, "The manifest file s3://manifests/nope.manifest does not exist."
    )


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda refs: [manifest_line(refs[0]), "{not json"], "Line 2: The line is not valid JSON"),
        (lambda refs: [manifest_line(refs[0]), '{"lbl": 1}'], "Line 2: 'source-ref' is missing."),
        (
            lambda refs: [manifest_line(refs[0]), manifest_line(refs[1]), manifest_line(refs[0])],
            "Line 3: The image {0} is already listed on line 1.",
        ),
        (
            lambda refs: [manifest_line(refs[0]), manifest_line("s3://elsewhere/x.png")],
            "Line 2: s3://elsewhere/x.png is in bucket 'elsewhere'",
        ),
        (
            lambda refs: [manifest_line(refs[0]), manifest_line("s3://images/img/missing.png")],
            "Line 2: The image s3://images/img/missing.png does not exist.",
        ),
        (
            lambda refs: [
                manifest_line(refs[0]),
                manifest_line(refs[1], "anomaly", mask="s3://images/none.png"),
            ],
            "Line 2: The mask s3://images/none.png does not exist.",
        ),
    ],
)
def test_bad_manifests_fail_without_entries(world: World, build, expected: str) -> None:
    refs = small_dataset(world)
    manifest = "\n".join(build(refs)).encode()
    dataset_id, message = import_manifest(world, manifest)
    assert_failed_without_entries(world, dataset_id, message, expected.format(refs[0]))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png(64, 64)[:300], "could not be"),
        (b"hello, I am not an image", "is not a PNG or JPEG file"),
    ],
)
def test_corrupt_and_non_image_files_fail(world: World, data: bytes, expected: str) -> None:
    refs = small_dataset(world, 2)
    bad = world.put("images", "img/bad.jpg", data)
    manifest = "\n".join([manifest_line(refs[0]), manifest_line(bad)]).encode()
    dataset_id, message = import_manifest(world, manifest)
    assert_failed_without_entries(world, dataset_id, message, f"Line 2: The image {bad} ")
    assert expected in message  # type: ignore[operator]


def test_too_small_image_fails(world: World) -> None:
    refs = small_dataset(world, 1)
    tiny = world.put("images", "img/tiny.png", png(32, 64))
    dataset_id, message = import_manifest(
        world, "\n".join([manifest_line(refs[0]), manifest_line(tiny)]).encode()
    )
    assert_failed_without_entries(world, dataset_id, message, "is 32x64 pixels; each side must be 64 to 4096")


def test_oversized_image_is_refused_from_its_size(world: World) -> None:
    big = world.put("images", "img/big.png", png(64, 64) + b"\0" * (8 * 1024 * 1024))
    dataset_id, message = import_manifest(world, manifest_line(big).encode())
    assert_failed_without_entries(world, dataset_id, message, "Line 1: The image s3://images/img/big.png is")
    assert "at most 8388608 bytes" in message  # type: ignore[operator]


def test_images_of_different_sizes_fail(world: World) -> None:
    refs = small_dataset(world, 2)
    other = world.put("images", "img/wide.png", png(80, 72))
    manifest = "\n".join([manifest_line(refs[0]), manifest_line(refs[1]), manifest_line(other)]).encode()
    dataset_id, message = import_manifest(world, manifest)
    assert_failed_without_entries(
        world, dataset_id, message, "Images in the dataset must have the same dimensions."
    )
    assert "s3://images/img/wide.png (line 3) is 80x72" in message  # type: ignore[operator]
