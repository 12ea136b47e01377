"""Training job behaviour that needs no model: data checks, split, snapshot, failures."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from openlookout.service.lookoutvision.dataset_jobs import ImportDatasetHandler
from openlookout.service.lookoutvision.training_job import (
    SPLIT_TEST_FRACTION,
    Snapshot,
    TrainModelHandler,
    load_plan,
    segmentation_classes,
    stratified_split,
)
from openlookout.store.lookoutvision_tables import DatasetEntry

from .conftest import World, manifest_line, png, run_job

TRAIN = TrainModelHandler()


def import_images(
    world: World, project_id: int, normal: int, anomaly: int, dataset_type: str = "train", size=(64, 64)
) -> list[str]:
    labels = ["normal"] * normal + ["anomaly"] * anomaly
    refs = [
        world.put("images", f"{dataset_type}/{i}.png", png(*size, seed=i + 100 * (dataset_type == "test")))
        for i in range(len(labels))
    ]
    key = f"{dataset_type}.manifest"
    world.put(
        "manifests",
        key,
        "\n".join(manifest_line(r, lbl) for r, lbl in zip(refs, labels, strict=True)).encode(),
    )
    dataset_id = world.add_dataset(project_id, dataset_type)
    job = world.add_job("import_dataset", {"dataset_id": dataset_id, "bucket": "manifests", "key": key})
    assert run_job(world, ImportDatasetHandler(), job) is None
    return refs


def train_job(world: World, model_id: int) -> str | None:
    return run_job(world, TRAIN, world.add_job("train_model", {"model_id": model_id}))


def assert_training_failed(world: World, model_id: int, message: str | None, expected: str) -> None:
    assert message is not None and expected in message
    model = world.model(model_id)
    assert (model.status, model.status_message) == ("TRAINING_FAILED", message)


def test_split_is_stratified_and_deterministic(world: World) -> None:
    project_id = world.add_project()
    import_images(world, project_id, normal=25, anomaly=11, dataset_type="train", size=(64, 64))
    model_id = world.add_model(project_id)
    plan = load_plan(world.ctx, model_id)
    assert not plan.separate_test
    test_normal = [e for e in plan.test if e.label == "normal"]
    test_anomaly = [e for e in plan.test if e.label == "anomaly"]
    assert (len(test_normal), len(test_anomaly)) == (
        round(25 * SPLIT_TEST_FRACTION),
        round(11 * SPLIT_TEST_FRACTION),
    )
    assert len(plan.train) + len(plan.test) == 36
    assert not {e.source_ref for e in plan.train} & {e.source_ref for e in plan.test}
    # Same input in another order gives the same split.
    again_train, again_test = stratified_split(list(reversed(plan.train + plan.test)))
    assert [e.source_ref for e in again_test] == [e.source_ref for e in plan.test]
    assert sorted(e.source_ref for e in again_train) == sorted(e.source_ref for e in plan.train)


def test_separate_test_dataset_is_used_and_unlabeled_images_are_ignored(world: World) -> None:
    project_id = world.add_project()
    import_images(world, project_id, normal=10, anomaly=0, dataset_type="train")
    test_refs = import_images(world, project_id, normal=10, anomaly=10, dataset_type="test")
    with world.sessions.begin() as session:
        session.query(DatasetEntry).filter(DatasetEntry.source_ref == test_refs[0]).update({"label": None})
    plan = load_plan(world.ctx, world.add_model(project_id))
    assert plan.separate_test
    assert len(plan.train) == 10
    assert sorted(e.source_ref for e in plan.test) == sorted(test_refs[1:])


def test_images_of_different_sizes_fail(world: World) -> None:
    project_id = world.add_project()
    import_images(world, project_id, normal=20, anomaly=0, dataset_type="train", size=(64, 64))
    import_images(world, project_id, normal=10, anomaly=10, dataset_type="test", size=(64, 80))
    world.blobs.create_bucket("output")
    model_id = world.add_model(project_id)
    message = train_job(world, model_id)
    assert_training_failed(world, model_id, message, "Images in the dataset must have the same dimensions.")


def test_too_few_images_fail(world: World) -> None:
    project_id = world.add_project()
    import_images(world, project_id, normal=19, anomaly=10)
    world.blobs.create_bucket("output")
    model_id = world.add_model(project_id)
    message = train_job(world, model_id)
    assert_training_failed(world, model_id, message, "needs at least 20 normal and 10 anomalous")


def test_missing_output_bucket_fails_before_training(world: World) -> None:
    project_id = world.add_project()
    import_images(world, project_id, normal=20, anomaly=10)
    model_id = world.add_model(project_id, output_bucket="no-such-output")
    message = train_job(world, model_id)
    assert_training_failed(world, model_id, message, "The output bucket 'no-such-output' does not exist")


def test_missing_source_image_fails_naming_it(world: World) -> None:
    project_id = world.add_project()
    refs = import_images(world, project_id, normal=20, anomaly=10)
    world.blobs.delete("images", refs[7].removeprefix("s3://images/"))
    world.blobs.create_bucket("output")
    model_id = world.add_model(project_id)
    message = train_job(world, model_id)
    assert_training_failed(world, model_id, message, f"The image {refs[7]} does not exist.")


def test_unknown_kms_key_fails(world: World) -> None:
    project_id = world.add_project()
    import_images(world, project_id, normal=20, anomaly=10)
    world.blobs.create_bucket("output")
    model_id = world.add_model(project_id, kms_key_id="alias/nope")
    message = train_job(world, model_id)
    assert_training_failed(world, model_id, message, "The KMS key alias/nope does not exist.")


@pytest.mark.parametrize("encrypted", [False, True])
def test_snapshot_copies_and_reads_back(world: World, encrypted: bool) -> None:
    project_id = world.add_project()
    refs = import_images(world, project_id, normal=3, anomaly=2)
    key_id = world.ctx.keyring.create_key(description="test").arn if encrypted else None
    plan = load_plan(world.ctx, world.add_model(project_id, kms_key_id=key_id))
    entries = plan.train + plan.test
    snapshot = Snapshot(world.ctx, plan)
    world.blobs.create_bucket(world.settings.internal_bucket)
    snapshot.copy(entries)
    internal = world.settings.internal_bucket
    for ref in refs:
        key = snapshot.image_key(ref)
        assert key.startswith("models/cookies/1/snapshot/")
        stored = world.blobs.get(internal, key)
        source = world.blobs.get("images", ref.removeprefix("s3://images/"))
        assert (stored == source) is not encrypted
        assert stored.startswith(b"\x89PNG") is not encrypted
        assert snapshot.read(key) == source
    image = snapshot.labeled_image(entries[0], class_names=[])
    assert image.load().shape == (64, 64, 3) and image.load_mask is None
    if encrypted:
        line = json.loads(world.entries(1)[0].line)  # still the user's line; only copies are encrypted
        assert line["source-ref"].startswith("s3://images/")


def test_segmentation_masks_are_mapped_to_the_model_class_order(world: World) -> None:
    project_id = world.add_project()
    image = world.put("images", "seg/a.png", png(64, 64))
    normal = world.put("images", "seg/n.png", png(64, 64, seed=5))
    pixels = np.zeros((64, 64, 3), dtype=np.uint8)
    pixels[0:4, 0:8] = (255, 0, 0)  # "scratch" in manifest_line's colour map
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    mask = world.put("images", "seg/a-mask.png", out.getvalue())
    world.put(
        "manifests",
        "seg.manifest",
        f"{manifest_line(image, 'anomaly', mask=mask)}\n{manifest_line(normal)}".encode(),
    )
    dataset_id = world.add_dataset(project_id)
    job = world.add_job(
        "import_dataset", {"dataset_id": dataset_id, "bucket": "manifests", "key": "seg.manifest"}
    )
    assert run_job(world, ImportDatasetHandler(), job) is None
    plan = load_plan(world.ctx, world.add_model(project_id))
    entries = {e.source_ref: e for e in plan.train + plan.test}
    assert segmentation_classes(plan.train + plan.test, []) == ["scratch"]
    world.blobs.create_bucket(world.settings.internal_bucket)
    snapshot = Snapshot(world.ctx, plan)
    snapshot.copy(list(entries.values()))
    class_names = ["aaa", "scratch"]  # the model's order differs from the mask's own
    loaded = snapshot.labeled_image(entries[image], class_names).load_mask()  # type: ignore[misc]
    assert loaded.dtype == np.uint8 and loaded.shape == (64, 64)
    assert (loaded[0:4, 0:8] == 2).all() and int((loaded > 0).sum()) == 32
    normal_mask = snapshot.labeled_image(entries[normal], class_names).load_mask()  # type: ignore[misc]
    assert not normal_mask.any()


def _mask_png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    pixels = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    pixels[0:4, 0:8] = colour
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def test_too_few_images_per_anomaly_label_fail(world: World) -> None:
    project_id = world.add_project()
    lines = [manifest_line(world.put("images", f"n/{i}.png", png(64, 64, seed=i))) for i in range(20)]
    for i in range(12):
        image = world.put("images", f"a/{i}.png", png(64, 64, seed=50 + i))
        mask = world.put("images", f"a/{i}-mask.png", _mask_png((64, 64), (255, 0, 0)))
        lines.append(manifest_line(image, "anomaly", mask=mask))
    world.put("manifests", "seg.manifest", "\n".join(lines).encode())
    dataset_id = world.add_dataset(project_id)
    job = world.add_job(
        "import_dataset", {"dataset_id": dataset_id, "bucket": "manifests", "key": "seg.manifest"}
    )
    assert run_job(world, ImportDatasetHandler(), job) is None
    world.blobs.create_bucket("output")
    model_id = world.add_model(project_id)
    message = train_job(world, model_id)
    expected = "needs at least 20 images whose mask shows only the anomaly label 'scratch'; it has 12"
    assert_training_failed(world, model_id, message, expected)


def test_class_colours_keep_the_first_spelling(tmp_path) -> None:
    from datetime import UTC, datetime

    from openlookout.manifests import ColorClass
    from openlookout.service.lookoutvision.evaluation_files import ClassColour
    from openlookout.service.lookoutvision.training_job import TrainingEntry, class_colours, write_labels_file

    def entry(colour_map: dict[str, dict[str, str]]) -> TrainingEntry:
        parsed = tuple(ColorClass(v["class-name"], v["hex-color"].lower()) for v in colour_map.values())
        return TrainingEntry(
            source_ref="s3://b/x.png",
            line={
                "source-ref": "s3://b/x.png",
                "anomaly-mask-ref-metadata": {"internal-color-map": colour_map},
            },
            label="anomaly",
            mask_ref="s3://b/m.png",
            color_map=parsed,
            anomaly_classes=(),
            width=64,
            height=64,
            created_at=datetime(2024, 1, 1, tzinfo=UTC),
        )

    entries = [
        entry(
            {
                "0": {"class-name": "BACKGROUND", "hex-color": "#FFFFFF"},
                "1": {"class-name": "b", "hex-color": "#aBc123"},
            }
        ),
        entry(
            {
                "0": {"class-name": "b", "hex-color": "#ABC123"},
                "1": {"class-name": "a", "hex-color": "#00FF00"},
            }
        ),
    ]
    classes = class_colours(entries, ["a", "b"])
    assert classes == [ClassColour("a", "#00FF00"), ClassColour("b", "#aBc123")]
    write_labels_file(tmp_path, classes)
    assert json.loads((tmp_path / "labels.json").read_text()) == {
        "classes": [{"name": "a", "color": "#00FF00"}, {"name": "b", "color": "#aBc123"}]
    }
