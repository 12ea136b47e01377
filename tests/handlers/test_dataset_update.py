from __future__ import annotations

import io
import json

import numpy as np
from PIL import Image

from openlookout.service.lookoutvision.dataset_jobs import ImportDatasetHandler, UpdateDatasetHandler

from .conftest import World, manifest_line, png, run_job

UPDATE = UpdateDatasetHandler()


def imported_dataset(world: World) -> tuple[int, list[str], str]:
    """Three 64x72 images, the first an anomaly with a mask; returns (dataset id, refs, mask ref)."""
    refs = [world.put("images", f"img/{i}.png", png(64, 72, seed=i)) for i in range(3)]
    pixels = np.zeros((72, 64, 3), dtype=np.uint8)
    pixels[10:20, 10:20] = (255, 0, 0)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    mask = world.put("images", "masks/0.png", out.getvalue())
    lines = [manifest_line(refs[0], "anomaly", mask=mask), manifest_line(refs[1]), manifest_line(refs[2])]
    world.put("manifests", "m.manifest", "\n".join(lines).encode())
    project_id = world.add_project()
    dataset_id = world.add_dataset(project_id)
    job = world.add_job(
        "import_dataset", {"dataset_id": dataset_id, "bucket": "manifests", "key": "m.manifest"}
    )
    assert run_job(world, ImportDatasetHandler(), job) is None
    return dataset_id, refs, mask


def update(world: World, dataset_id: int, lines: list[str]) -> str | None:
    bucket = world.settings.internal_bucket
    world.put(bucket, "dataset-changes/x.jsonl", "\n".join(lines).encode())
    payload = {"dataset_id": dataset_id, "changes_bucket": bucket, "changes_key": "dataset-changes/x.jsonl"}
    return run_job(world, UPDATE, world.add_job("update_dataset", payload))


def snapshot(world: World, dataset_id: int) -> list[tuple[object, ...]]:
    return [
        (e.id, e.source_ref, e.line, e.label, e.mask_ref, e.anomaly_classes, e.width, e.height, e.created_at)
        for e in world.entries(dataset_id)
    ]


def test_update_replaces_whole_lines_and_adds_new_ones(world: World) -> None:
    dataset_id, refs, _mask = imported_dataset(world)
    new = world.put("images", "img/new.png", png(64, 72, seed=9))
    # refs[0] loses its mask and becomes normal; refs[1] becomes unlabeled; new is added.
    message = update(
        world,
        dataset_id,
        [manifest_line(refs[0], "normal"), manifest_line(refs[1], None), manifest_line(new, "anomaly")],
    )
    assert message is None
    dataset = world.dataset(dataset_id)
    assert (dataset.status, dataset.status_message) == (
        "UPDATE_COMPLETE",
        "The dataset was updated successfully.",
    )
    entries = {e.source_ref: e for e in world.entries(dataset_id)}
    assert set(entries) == {*refs, new}
    replaced = entries[refs[0]]
    assert (replaced.label, replaced.mask_ref, replaced.anomaly_classes) == ("normal", None, "[]")
    assert "anomaly-mask-ref" not in json.loads(replaced.line)
    assert json.loads(replaced.line)["anomaly-label"] == 0
    assert entries[refs[1]].label is None
    assert entries[refs[2]].label == "normal"  # untouched
    assert entries[new].label == "anomaly"


def test_update_accepts_the_architecture_payload_name(world: World) -> None:
    dataset_id, refs, _mask = imported_dataset(world)
    world.put(world.settings.internal_bucket, "c.jsonl", manifest_line(refs[1], "anomaly").encode())
    job = world.add_job("update_dataset", {"dataset_id": dataset_id, "changes_blob_key": "c.jsonl"})
    assert run_job(world, UPDATE, job) is None
    assert {e.source_ref: e.label for e in world.entries(dataset_id)}[refs[1]] == "anomaly"


def assert_rolled_back(
    world: World, dataset_id: int, message: str | None, expected: str, before: list
) -> None:
    assert message is not None and expected in message
    dataset = world.dataset(dataset_id)
    assert (dataset.status, dataset.status_message) == ("UPDATE_FAILED_ROLLBACK_COMPLETE", message)
    assert snapshot(world, dataset_id) == before


def test_bad_image_rolls_back(world: World) -> None:
    dataset_id, refs, _mask = imported_dataset(world)
    before = snapshot(world, dataset_id)
    wide = world.put("images", "img/wide.png", png(80, 72))
    message = update(world, dataset_id, [manifest_line(refs[0], "normal"), manifest_line(wide)])
    assert_rolled_back(
        world, dataset_id, message, "Images in the dataset must have the same dimensions.", before
    )
    assert "s3://images/img/wide.png (line 2) is 80x72" in message  # type: ignore[operator]


def test_bad_line_rolls_back(world: World) -> None:
    dataset_id, refs, _mask = imported_dataset(world)
    before = snapshot(world, dataset_id)
    message = update(world, dataset_id, [manifest_line(refs[1], "anomaly"), '{"source-ref": 5}'])
    assert_rolled_back(world, dataset_id, message, "Line 2: 'source-ref' must be an S3 URI", before)


def test_other_bucket_rolls_back(world: World) -> None:
    dataset_id, _refs, _mask = imported_dataset(world)
    before = snapshot(world, dataset_id)
    other = world.put("otherbucket", "img/x.png", png(64, 72))
    message = update(world, dataset_id, [manifest_line(other)])
    assert_rolled_back(world, dataset_id, message, "must be in the same S3 bucket ('images')", before)


def test_missing_image_rolls_back(world: World) -> None:
    dataset_id, _refs, _mask = imported_dataset(world)
    before = snapshot(world, dataset_id)
    message = update(world, dataset_id, [manifest_line("s3://images/img/gone.png")])
    assert_rolled_back(
        world, dataset_id, message, "Line 1: The image s3://images/img/gone.png does not exist.", before
    )


def test_duplicate_in_changes_rolls_back(world: World) -> None:
    dataset_id, refs, _mask = imported_dataset(world)
    before = snapshot(world, dataset_id)
    message = update(world, dataset_id, [manifest_line(refs[1]), manifest_line(refs[1], "anomaly")])
    assert_rolled_back(world, dataset_id, message, "is already listed on line 1", before)
