"""A real Lookout for Vision import and training run by the job runner leave their progress.

Small generated images (64x96 stripes, anomalies with a red blob) in the local blob store;
the jobs run in worker processes, as in production. Stages shorter than the reporter's
one-second throttle are still seen, through the job row's ``progress_history``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from openlookout.blobs.local import LocalBlobStore
from openlookout.config import Settings
from openlookout.jobs.runner import LocalJobRunner, queue_job
from openlookout.service.common.job_progress import latest_dataset_job, latest_model_training
from openlookout.store.db import open_database, write_session
from openlookout.store.lookoutvision_tables import Dataset, Model, Project

ARN = "arn:aws:lookoutvision:us-east-1:123456789012"
SIZE = (64, 96)  # (height, width)


def _png(seed: int, anomalous: bool) -> bytes:
    rng = np.random.default_rng(seed)
    cols = np.arange(SIZE[1])[None, :]
    stripes = 0.5 + 0.5 * np.sin(cols / 4.0 + rng.uniform(0, 0.5))
    image = 90 + 60 * np.repeat(stripes, SIZE[0], axis=0)[..., None] * np.array([1.0, 0.9, 0.8])
    image = image + rng.normal(scale=4.0, size=(*SIZE, 3))
    if anomalous:
        r, c = int(rng.integers(12, SIZE[0] - 12)), int(rng.integers(12, SIZE[1] - 12))
        image[r - 5 : r + 5, c - 5 : c + 5] = (230, 30, 30)
    out = io.BytesIO()
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


def _manifest(blobs: LocalBlobStore) -> None:
    lines = []
    for index in range(30):
        anomalous = index >= 20  # 20 normal, 10 anomalous: the single-dataset minimum
        key = f"train/{index}.png"
        blobs.put("images", key, _png(index, anomalous))
        label = "anomaly" if anomalous else "normal"
        lines.append(
            json.dumps(
                {
                    "source-ref": f"s3://images/{key}",
                    "defect": 1 if anomalous else 0,
                    "defect-metadata": {
                        "class-name": label,
                        "type": "groundtruth/image-classification",
                        "human-annotated": "yes",
                    },
                }
            )
        )
    blobs.put("images", "train.manifest", "\n".join(lines).encode())


def _stages(history: tuple) -> list[str]:
    return [record.stage for record in history]


def _run(
    runner: LocalJobRunner, sessions: sessionmaker[Session], kind: str, payload: dict, **ids: int
) -> None:
    with write_session(sessions) as session:
        job_id = queue_job(session, kind, payload, **ids).id
    runner.submit(job_id)
    assert runner.wait_idle(180)


def test_import_and_training_leave_finished_progress_with_their_stages(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", job_workers=1)
    sessions = open_database(settings)
    blobs = LocalBlobStore(settings.buckets_dir)
    for bucket in ("images", "output"):
        blobs.create_bucket(bucket)
    _manifest(blobs)
    with write_session(sessions) as session:
        project = Project(region="us-east-1", name="stripes", arn=f"{ARN}:project/stripes")
        session.add(project)
        session.flush()
        dataset = Dataset(
            project_id=project.id, dataset_type="train", status="CREATE_IN_PROGRESS", status_message=""
        )
        model = Model(
            project_id=project.id,
            version=1,
            arn=f"{ARN}:model/stripes/1",
            status="TRAINING",
            status_message="",
            output_bucket="output",
            output_prefix="eval/",
        )
        session.add_all([dataset, model])
        session.flush()
        project_id, dataset_id, model_id = project.id, dataset.id, model.id
    runner = LocalJobRunner(settings, sessions)
    runner.start()
    try:
        payload = {"dataset_id": dataset_id, "bucket": "images", "key": "train.manifest"}
        _run(runner, sessions, "import_dataset", payload, project_id=project_id, dataset_id=dataset_id)
        imported = latest_dataset_job(sessions, dataset_id)
        assert imported is not None and imported.status == "SUCCEEDED", imported
        assert (imported.stage, imported.percent, imported.finished) == ("done", 100, True)
        assert _stages(imported.stages) == [
            "reading the manifest",
            "checking images",
            "saving entries",
            "done",
        ]

        _run(
            runner, sessions, "train_model", {"model_id": model_id}, project_id=project_id, model_id=model_id
        )
    finally:
        runner.stop(timeout=10)
    with sessions() as session:
        trained = session.get(Model, model_id)
        assert trained is not None and trained.status == "TRAINED", trained.status_message
    progress = latest_model_training(sessions, model_id)
    assert progress is not None and progress.status == "SUCCEEDED"
    assert (progress.stage, progress.percent, progress.attempts) == ("done", 100, 1)
    assert _stages(progress.stages) == [
        "snapshot",
        "features",
        "held-out scoring",
        "calibration",
        "memory bank",
        "evaluation",
        "saving the model",
        "evaluation files",
        "done",
    ]
    percents = [record.percent for record in progress.stages]
    assert percents == sorted(percents)
    times = [record.started_at for record in progress.stages]
    assert times == sorted(times) and progress.updated_at is not None and progress.updated_at >= times[-1]
