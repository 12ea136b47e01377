"""End-to-end segmentation training on the cookie masks (one training run, shared)."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from PIL import Image

from openlookout.service.lookoutvision.dataset_jobs import ImportDatasetHandler
from openlookout.service.lookoutvision.training_job import TrainModelHandler
from openlookout.store.lookoutvision_tables import Model

from .conftest import COOKIES_DIR, World, cookie_manifest, make_world, run_job, upload_cookies

pytestmark = pytest.mark.slow
RESULT_KEY = "seg/EvaluationResult-cookies-1.json"
MANIFEST_KEY = "seg/EvaluationManifest-cookies-1.json"


@dataclass
class Trained:
    world: World
    model: Model
    seconds: float


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    if not (COOKIES_DIR / "manifests" / "train_segmentation.manifest").is_file():
        pytest.skip(f"cookie dataset not found at {COOKIES_DIR} (shared/ must sit beside the repo)")
    world = make_world(tmp_path_factory.mktemp("segmentation") / "data")
    upload_cookies(world, COOKIES_DIR)
    world.put("manifests", "seg.manifest", cookie_manifest(COOKIES_DIR, "train_segmentation.manifest"))
    project_id = world.add_project()
    dataset_id = world.add_dataset(project_id)
    job = world.add_job(
        "import_dataset", {"dataset_id": dataset_id, "bucket": "manifests", "key": "seg.manifest"}
    )
    assert run_job(world, ImportDatasetHandler(), job) is None
    world.blobs.create_bucket("output")
    model_id = world.add_model(project_id, output_bucket="output", prefix="seg/")
    started = time.monotonic()
    message = run_job(world, TrainModelHandler(), world.add_job("train_model", {"model_id": model_id}))
    seconds = time.monotonic() - started
    assert message is None
    yield Trained(world=world, model=world.model(model_id), seconds=seconds)
    world.sessions.kw["bind"].dispose()


def _metrics(trained: Trained) -> dict[str, Any]:
    content = json.loads(trained.world.blobs.get("output", RESULT_KEY))
    return content["AggregatedEvaluationResults"]["Metrics"]


def test_segmentation_model_metrics(trained: Trained) -> None:
    model = trained.model
    assert (model.status, model.model_type) == ("TRAINED", "segmentation")
    metrics = _metrics(trained)
    print(f"segmentation train_model job: {trained.seconds:.1f} s; metrics {metrics}")
    assert metrics["F1Score"] >= 0.9
    [cracked] = metrics["PixelAnomalyClassMetrics"]
    assert set(cracked) == {"ClassName", "Precision", "Recall", "F1Score", "AIOU"}
    assert cracked["ClassName"] == "cracked"
    assert cracked["AIOU"] >= 0.5  # measured 0.61 (docs/training.md)


def test_snapshot_holds_masks(trained: Trained) -> None:
    internal = trained.world.settings.internal_bucket
    image_key = "models/cookies/1/snapshot/images/cookie-bucket/getting-started/training-images/normal-1.jpg"
    # Without a KMS key the snapshot holds plain copies; the masks are snapshotted too (once each).
    assert trained.world.blobs.get(internal, image_key).startswith(b"\xff\xd8\xff")
    masks = trained.world.blobs.list(internal, prefix="models/cookies/1/snapshot/masks/").objects
    assert len(masks) == 33  # 32 crack masks + the shared placeholder


def test_labels_file_keeps_the_manifest_colour(trained: Trained) -> None:
    key = trained.model.artifact_prefix + "labels.json"
    labels = json.loads(trained.world.blobs.get(trained.world.settings.internal_bucket, key))
    assert labels == {"classes": [{"name": "cracked", "color": "#23A436"}]}


def test_evaluation_manifest_references_predicted_masks(trained: Trained) -> None:
    text = trained.world.blobs.get("output", MANIFEST_KEY).decode()
    lines = [json.loads(t) for t in text.splitlines()]
    assert len(lines) == 12
    for line in lines:
        ref = line["anomaly-mask-ref-detected"]
        assert ref.startswith("s3://output/seg/EvaluationMasks-cookies-1/cookie-bucket/getting-started/")
        metadata = line["anomaly-mask-ref-detected-metadata"]
        assert metadata["internal-color-map"] == {
            "0": {"class-name": "BACKGROUND", "hex-color": "#000000"},
            "1": {"class-name": "cracked", "hex-color": "#23A436"},
        }
        assert metadata["human-annotated"] == "no"
        png = trained.world.blobs.get("output", ref.removeprefix("s3://output/"))
        pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
        assert pixels.shape == (768, 576, 3)
        colours = {tuple(c) for c in pixels.reshape(-1, 3)}
        assert colours <= {(0, 0, 0), (0x23, 0xA4, 0x36)}
        if line["anomaly-label-detected"] == 0:
            assert colours == {(0, 0, 0)}
    painted = [ln for ln in lines if ln["anomaly-label-detected"] == 1]
    assert painted, "no test image was predicted anomalous"
