"""End-to-end training job on the real cookie data, with a KMS key (one training run, shared)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from openlookout.service.lookoutvision.dataset_jobs import ImportDatasetHandler
from openlookout.service.lookoutvision.training_job import TrainModelHandler
from openlookout.store.lookoutvision_tables import Model

from .conftest import COOKIES_DIR, World, cookie_manifest, make_world, run_job, upload_cookies

pytestmark = pytest.mark.slow
PREFIX = "k_fold_"


@dataclass
class Trained:
    world: World
    model: Model
    message: str | None
    kms_arn: str


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    if not (COOKIES_DIR / "manifests" / "train_class.manifest").is_file():
        pytest.skip(f"cookie dataset not found at {COOKIES_DIR} (shared/ must sit beside the repo)")
    world = make_world(tmp_path_factory.mktemp("training") / "data")
    upload_cookies(world, COOKIES_DIR)
    world.put("manifests", "train.manifest", cookie_manifest(COOKIES_DIR, "train_class.manifest"))
    project_id = world.add_project()
    dataset_id = world.add_dataset(project_id)
    job = world.add_job(
        "import_dataset", {"dataset_id": dataset_id, "bucket": "manifests", "key": "train.manifest"}
    )
    assert run_job(world, ImportDatasetHandler(), job) is None
    world.blobs.create_bucket("output")
    kms_arn = world.ctx.keyring.create_key(description="cookie snapshots").arn
    model_id = world.add_model(project_id, output_bucket="output", prefix=PREFIX, kms_key_id=kms_arn)
    started = time.monotonic()
    message = run_job(world, TrainModelHandler(), world.add_job("train_model", {"model_id": model_id}))
    print(f"classification train_model job: {time.monotonic() - started:.1f} s")
    yield Trained(world=world, model=world.model(model_id), message=message, kms_arn=kms_arn)
    world.sessions.kw["bind"].dispose()


def test_model_is_trained_with_good_metrics(trained: Trained) -> None:
    model = trained.model
    assert trained.message is None
    assert (model.status, model.status_message) == ("TRAINED", "Training completed successfully.")
    assert model.model_type == "classification"
    assert model.f1_score is not None and model.f1_score >= 0.9
    assert model.precision is not None and model.recall is not None
    assert model.evaluation_end is not None
    assert model.evaluation_result_key == "k_fold_EvaluationResult-cookies-1.json"
    assert model.evaluation_manifest_key == "k_fold_EvaluationManifest-cookies-1.json"


def test_evaluation_result_file(trained: Trained) -> None:
    content = json.loads(trained.world.blobs.get("output", "k_fold_EvaluationResult-cookies-1.json"))
    assert content["Version"] == 1
    details = content["EvaluationDetails"]
    assert details["ModelArn"] == trained.model.arn
    assert details["EvaluationEndTimestamp"].endswith("Z")
    # 31 normal + 32 anomaly, 20 % of each held out: 6 + 6.
    assert (details["NumberOfTrainingImages"], details["NumberOfTestingImages"]) == (51, 12)
    metrics = content["AggregatedEvaluationResults"]["Metrics"]
    assert set(metrics) == {"ROCAUC", "AveragePrecision", "Precision", "Recall", "F1Score"}
    assert all(0.0 <= v <= 1.0 for v in metrics.values())
    assert metrics["F1Score"] == pytest.approx(trained.model.f1_score)


def test_evaluation_manifest_file(trained: Trained) -> None:
    text = trained.world.blobs.get("output", "k_fold_EvaluationManifest-cookies-1.json").decode()
    lines = [json.loads(t) for t in text.splitlines()]
    assert len(lines) == 12
    assert sum(ln["anomaly-label-metadata"]["class-name"] == "anomaly" for ln in lines) == 6
    for line in lines:
        assert line["source-ref"].startswith("s3://cookie-bucket/getting-started/training-images/")
        assert "creation-date" in line["source-ref-metadata"]
        assert line["anomaly-label-detected"] in (0, 1)
        detected = line["anomaly-label-detected-metadata"]
        assert detected["class-name"] == ("anomaly" if line["anomaly-label-detected"] else "normal")
        assert detected["human-annotated"] == "no"
        assert detected["model-arn"] == trained.model.arn
        assert (detected["project-name"], detected["model-version"]) == ("cookies", "1")
    correct = sum(
        ln["anomaly-label-detected"] == (ln["anomaly-label-metadata"]["class-name"] == "anomaly")
        for ln in lines
    )
    assert correct >= 10


def test_snapshot_is_encrypted_and_decrypts_back(trained: Trained) -> None:
    world = trained.world
    internal = world.settings.internal_bucket
    listed = world.blobs.list(internal, prefix="models/cookies/1/snapshot/", max_keys=1000).objects
    assert len(listed) == 63
    for obj in listed[:5]:
        stored = world.blobs.get(internal, obj.key)
        assert not stored.startswith(b"\xff\xd8\xff")  # not a plaintext JPEG
        source_key = obj.key.removeprefix("models/cookies/1/snapshot/images/cookie-bucket/")
        plain = world.ctx.keyring.decrypt(stored, context={"model": trained.model.arn})
        assert plain == world.blobs.get("cookie-bucket", source_key)


def test_artifacts_are_uploaded(trained: Trained) -> None:
    prefix = trained.model.artifact_prefix
    assert prefix == "models/cookies/1/artifacts/"
    assert trained.world.blobs.list(trained.world.settings.internal_bucket, prefix=prefix).objects
    labels = json.loads(
        trained.world.blobs.get(trained.world.settings.internal_bucket, prefix + "labels.json")
    )
    assert labels == {"classes": []}


def test_cookie_files_are_where_the_manifest_says(trained: Trained) -> None:
    # Guards the path rewriting the other tests rely on.
    assert Path(COOKIES_DIR / "train" / "normal" / "normal-1.jpg").is_file()
    assert trained.world.blobs.head("cookie-bucket", "getting-started/training-images/normal-1.jpg").size > 0
