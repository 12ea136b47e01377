"""The training job on a small synthetic segmentation project with an unusual colour map.

Separate train and test datasets at their minimums (spec A.5.2). The colour map has a
BACKGROUND entry, a sparse key ("3") and a mixed-case colour; the masks paint the class in
lower case and carry an anti-aliased ring in a colour that is not in the map (background).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from PIL import Image

from openlookout.service.lookoutvision.dataset_jobs import ImportDatasetHandler
from openlookout.service.lookoutvision.training_job import TrainModelHandler
from openlookout.store.lookoutvision_tables import Model

from .conftest import World, make_world, run_job

pytestmark = pytest.mark.slow  # one real training, about 15 s on 2 cores
SIZE = (64, 96)  # (height, width)
COLOUR_MAP = {
    "0": {"class-name": "BACKGROUND", "hex-color": "#FFFFFF"},
    "3": {"class-name": "Scratch", "hex-color": "#aBcDeF"},
}
CLASS_RGB = (0xAB, 0xCD, 0xEF)
RING_RGB = (0xAA, 0xCC, 0xEE)  # anti-aliasing: not in the map, so background


def _png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def _sample(seed: int, anomalous: bool) -> tuple[bytes, bytes | None]:
    rng = np.random.default_rng(seed)
    image = rng.normal(120.0, 12.0, size=(*SIZE, 3))
    if not anomalous:
        return _png(np.clip(image, 0, 255).astype(np.uint8)), None
    r, c = int(rng.integers(10, SIZE[0] - 24)), int(rng.integers(10, SIZE[1] - 24))
    image[r : r + 14, c : c + 14] = (240, 220, 40)
    mask = np.full((*SIZE, 3), 255, dtype=np.uint8)
    mask[r - 1 : r + 15, c - 1 : c + 15] = RING_RGB
    mask[r : r + 14, c : c + 14] = CLASS_RGB
    return _png(np.clip(image, 0, 255).astype(np.uint8)), _png(mask)


def _line(world: World, dataset: str, index: int, anomalous: bool) -> str:
    image, mask = _sample(1000 * (dataset == "test") + index, anomalous)
    ref = world.put("images", f"{dataset}/{index}.png", image)
    line: dict[str, Any] = {
        "source-ref": ref,
        "defect": 1 if anomalous else 0,
        "defect-metadata": {
            "class-name": "anomaly" if anomalous else "normal",
            "type": "groundtruth/image-classification",
            "human-annotated": "yes",
        },
    }
    if mask is not None:
        line["paint-ref"] = world.put("images", f"{dataset}/{index}-mask.png", mask)
        line["paint-ref-metadata"] = {
            "internal-color-map": COLOUR_MAP,
            "type": "groundtruth/semantic-segmentation",
            "human-annotated": "yes",
        }
    return json.dumps(line)


def _import(world: World, project_id: int, dataset: str) -> None:
    lines = [_line(world, dataset, i, anomalous=i >= 10) for i in range(20)]
    world.put("manifests", f"{dataset}.manifest", "\n".join(lines).encode())
    dataset_id = world.add_dataset(project_id, dataset)
    job = world.add_job(
        "import_dataset", {"dataset_id": dataset_id, "bucket": "manifests", "key": f"{dataset}.manifest"}
    )
    assert run_job(world, ImportDatasetHandler(), job) is None


@dataclass
class Trained:
    world: World
    model: Model


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    world = make_world(tmp_path_factory.mktemp("segmentation-job") / "data")
    project_id = world.add_project("squares")
    _import(world, project_id, "train")
    _import(world, project_id, "test")
    world.blobs.create_bucket("output")
    model_id = world.add_model(project_id, output_bucket="output", prefix="eval/")
    assert run_job(world, TrainModelHandler(), world.add_job("train_model", {"model_id": model_id})) is None
    yield Trained(world=world, model=world.model(model_id))
    world.sessions.kw["bind"].dispose()


def test_trains_a_segmentation_model(trained: Trained) -> None:
    assert (trained.model.status, trained.model.model_type) == ("TRAINED", "segmentation")
    content = json.loads(trained.world.blobs.get("output", "eval/EvaluationResult-squares-1.json"))
    metrics = content["AggregatedEvaluationResults"]["Metrics"]
    assert metrics["F1Score"] >= 0.9
    [scratch] = metrics["PixelAnomalyClassMetrics"]
    assert scratch["ClassName"] == "Scratch"
    assert scratch["AIOU"] >= 0.6, scratch  # the ring counts as background in truth and prediction


def test_labels_file_keeps_the_colour_as_written(trained: Trained) -> None:
    key = trained.model.artifact_prefix + "labels.json"
    labels = json.loads(trained.world.blobs.get(trained.world.settings.internal_bucket, key))
    assert labels == {"classes": [{"name": "Scratch", "color": "#aBcDeF"}]}


def test_predicted_masks_use_the_class_colour(trained: Trained) -> None:
    text = trained.world.blobs.get("output", "eval/EvaluationManifest-squares-1.json").decode()
    lines = [json.loads(t) for t in text.splitlines()]
    assert len(lines) == 20
    painted = 0
    for line in lines:
        ref = line["anomaly-mask-ref-detected"]
        assert ref == "s3://output/eval/EvaluationMasks-squares-1/" + line["source-ref"][5:] + ".png"
        colours = line["anomaly-mask-ref-detected-metadata"]["internal-color-map"]
        assert colours["1"] == {"class-name": "Scratch", "hex-color": "#aBcDeF"}
        pixels = np.asarray(
            Image.open(io.BytesIO(trained.world.blobs.get("output", ref[len("s3://output/") :])))
        )
        assert pixels.shape == (*SIZE, 3)
        is_class = (pixels == CLASS_RGB).all(axis=-1)
        assert (is_class | (pixels == 0).all(axis=-1)).all()
        painted += int(is_class.any())
    assert painted >= 9
