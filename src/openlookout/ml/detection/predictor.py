"""The trained object detector as a predictor: run, save and load it.

``DetectionModel`` is what a hosting unit calls (``predict_many``); ``HeadRunner`` runs a
head on cached feature maps and decodes boxes (hosting and training validation).
Artefacts: see ``model.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from openlookout.ml.backbone import FINE_STRIDE, backbone_versions, select_device, shared_backbone
from openlookout.ml.detection.box_coding import ENCODINGS, SIDES, unmirror_box_channels
from openlookout.ml.detection.boxes import corners_to_ratio_box
from openlookout.ml.detection.calibration import IDENTITY, calibrate
from openlookout.ml.detection.decoding import MIN_CONFIDENCE, decode_image
from openlookout.ml.detection.feature_maps import (
    LEGACY_TUNED_FROM,
    TUNABLE_FROM,
    TUNED_FROM,
    CachedMaps,
    Projections,
    extract_feature_maps,
)
from openlookout.ml.detection.head import DetectionHead, channels_last
from openlookout.ml.detection.projection import projection_state, projections_from_state
from openlookout.ml.detection.targets import location_centres
from openlookout.ml.detection.training import FLIPS
from openlookout.ml.detection.tuned_stage import TunedStage
from openlookout.ml.detection.types import (
    FORMAT,
    MODEL_FILE,
    MODEL_TYPE,
    Detection,
    DetectionPrediction,
)

HEAD_FILE = "detection_head.pt"
PREDICT_BATCH = 16
FORMAT_1 = "openlookout-object-detection/1"  # session-3 models: 224 px, sides, no calibration


@dataclass
class DetectorConfig:
    """How a saved model was built; everything its predictions depend on besides weights."""

    work_size: tuple[int, int]
    encoding: str
    tuned_stage: bool
    test_flips: bool = False  # average the head over the four mirrorings of the maps
    calibration: dict[str, tuple[float, float]] = field(default_factory=dict)  # label -> (a, b)
    tuned_from: int = TUNED_FROM  # first fine-tuned backbone block (when tuned_stage)


def mirrored_outputs(
    head: DetectionHead,
    stage: TunedStage | None,
    fine: torch.Tensor,
    coarse: torch.Tensor,
    flips: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The head's outputs, averaged over the four mirrorings of the maps when ``flips``.

    Each mirrored output is mirrored back (a left-right flip swaps the left and right box
    channels) before the mean, which is taken over logits and raw box channels. Only the
    head runs again, not the backbone.
    """
    variants = FLIPS if flips else FLIPS[:1]
    sums: list[torch.Tensor] | None = None
    for horizontal, vertical in variants:
        dims = [d for d, flip in ((3, horizontal), (2, vertical)) if flip]
        f, c = (fine.flip(dims), coarse.flip(dims)) if dims else (fine, coarse)
        c = c.contiguous(memory_format=torch.channels_last)
        outputs = head(f.contiguous(memory_format=torch.channels_last), c if stage is None else stage(c))
        logits, boxes, centerness = (o.flip(dims) if dims else o for o in outputs)
        boxes = unmirror_box_channels(boxes, horizontal, vertical)
        parts = [logits, boxes, centerness]
        sums = parts if sums is None else [a + b for a, b in zip(sums, parts, strict=True)]
    assert sums is not None
    logits, boxes, centerness = (part / len(variants) for part in sums)
    return logits, boxes, centerness


class HeadRunner:
    """Runs a head on cached maps and decodes its boxes (training validation and hosting)."""

    def __init__(self, labels: list[str], config: DetectorConfig, device: torch.device) -> None:
        self.labels = labels
        self.config = config
        self.device = device
        self.centres = location_centres(
            (config.work_size[0] // FINE_STRIDE, config.work_size[1] // FINE_STRIDE), FINE_STRIDE
        )

    def detect(
        self, head: DetectionHead, stage: TunedStage | None, maps: CachedMaps, refs: Sequence[str]
    ) -> list[DetectionPrediction]:
        """Raw-confidence predictions of every cached image (no calibration)."""
        predictions = []
        size = self.config.work_size
        for start in range(0, len(refs), PREDICT_BATCH):
            index = torch.arange(start, min(start + PREDICT_BATCH, len(refs)))
            fine = maps.fine[index].to(self.device, torch.float32)
            coarse = maps.coarse[index].to(self.device, torch.float32)
            logits, raw_boxes, centerness = mirrored_outputs(
                head, stage, fine, coarse, self.config.test_flips
            )
            for row, ref in enumerate(refs[start : start + PREDICT_BATCH]):
                raw = decode_image(
                    logits[row].cpu(),
                    raw_boxes[row].cpu(),
                    centerness[row].cpu(),
                    self.centres,
                    size,
                    self.config.encoding,
                )
                detections = [
                    Detection(self.labels[int(k)], float(score), corners_to_ratio_box(box.numpy(), size))
                    for k, score, box in zip(raw.labels, raw.scores, raw.corners, strict=True)
                ]
                predictions.append(DetectionPrediction(ref, detections))
        return predictions


def _calibrated(
    prediction: DetectionPrediction, calibration: dict[str, tuple[float, float]]
) -> DetectionPrediction:
    """Calibrated confidences, highest first; boxes under MIN_CONFIDENCE after it are dropped."""
    detections = []
    for d in prediction.detections:
        confidence = float(calibrate(np.array([d.confidence]), calibration.get(d.label, IDENTITY))[0])
        if confidence >= MIN_CONFIDENCE:
            detections.append(Detection(d.label, confidence, d.box))
    detections.sort(key=lambda d: -d.confidence)
    return DetectionPrediction(prediction.ref, detections)


def save_detection_model(
    model_dir: Path,
    head: DetectionHead,
    stage: TunedStage | None,
    projections: Projections,
    labels: list[str],
    thresholds: list[float],
    config: DetectorConfig,
) -> None:
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    weights = {f"head.{k}": v.cpu() for k, v in head.state_dict().items()}
    weights.update({f"projection.{k}": v for k, v in projection_state(*projections).items()})
    if stage is not None:
        weights.update({f"stage.{k}": v.cpu() for k, v in stage.state_dict().items()})
    torch.save(weights, model_dir / HEAD_FILE)
    document = {
        "format": FORMAT,
        "labels": labels,
        "thresholds": thresholds,
        "work_size": list(config.work_size),
        "box_encoding": config.encoding,
        "tuned_stage": config.tuned_stage,
        "test_flips": config.test_flips,
        "calibration": {label: list(config.calibration.get(label, IDENTITY)) for label in labels},
        "tuned_from": config.tuned_from,
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
        stage: TunedStage | None,
        projections: Projections,
        config: DetectorConfig,
        device: torch.device,
    ) -> None:
        self.labels = labels
        self.thresholds = thresholds
        self.config = config
        self.image_size: tuple[int, int] = config.work_size
        # The hosting protocol reports one threshold; labels each have their own, so report the lowest.
        self.threshold = float(min(thresholds.values()))
        self._head = channels_last(head, device).eval()  # as in training
        self._stage = None if stage is None else channels_last(stage, device).eval()
        self._projections = projections
        self._backbone = shared_backbone(str(device))
        self._runner = HeadRunner(labels, config, device)

    def predict_many(
        self, loaders: Sequence[Callable[[], np.ndarray]], refs: Sequence[str]
    ) -> list[DetectionPrediction]:
        predictions: list[DetectionPrediction] = []
        for start in range(0, len(loaders), PREDICT_BATCH):
            batch = loaders[start : start + PREDICT_BATCH]
            maps = extract_feature_maps(
                self._backbone,
                batch,
                self.config.work_size,
                self._projections,
                self.config.tuned_stage,
                tuned_from=self.config.tuned_from,
            )
            with torch.inference_mode():
                found = self._runner.detect(
                    self._head, self._stage, maps, refs[start : start + PREDICT_BATCH]
                )
            predictions.extend(_calibrated(p, self.config.calibration) for p in found)
        return predictions

    def predict(self, image: np.ndarray, ref: str = "") -> DetectionPrediction:
        return self.predict_many([lambda: image], [ref])[0]

    def save(self, model_dir: Path, thresholds: list[float]) -> None:
        """Write the model with each label's assumed threshold (aligned with ``labels``)."""
        save_detection_model(
            model_dir, self._head, self._stage, self._projections, self.labels, thresholds, self.config
        )


def read_config(document: dict) -> DetectorConfig:
    """The build of a saved model; format 1 documents are session-3 models (224 px, sides)."""
    if document.get("format") == FORMAT_1:
        return DetectorConfig((224, 224), SIDES, False)
    if document.get("format") != FORMAT:
        raise ValueError("not an object-detection model")
    if document["box_encoding"] not in ENCODINGS:
        raise ValueError(f"unknown box encoding {document['box_encoding']!r}")
    calibration = {str(k): (float(v[0]), float(v[1])) for k, v in document.get("calibration", {}).items()}
    return DetectorConfig(
        (int(document["work_size"][0]), int(document["work_size"][1])),
        str(document["box_encoding"]),
        bool(document["tuned_stage"]),
        bool(document.get("test_flips", False)),
        calibration,
        _tuned_from(document),
    )


def _tuned_from(document: dict) -> int:
    """The first tuned block; session-4 models (no key) tuned from block LEGACY_TUNED_FROM."""
    start = int(document.get("tuned_from", LEGACY_TUNED_FROM))
    if start not in TUNABLE_FROM:
        raise ValueError(f"unknown tuned stage start {start}")
    return start


def load_detection_model(model_dir: Path, device: str | None = None) -> DetectionModel:
    """The hosting loader (``"openlookout.ml.detection.model:load_detection_model"``)."""
    document = json.loads((Path(model_dir) / MODEL_FILE).read_text())
    try:
        config = read_config(document)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{model_dir} does not hold an object-detection model this release reads: {error}"
        ) from error
    labels = list(document["labels"])
    thresholds = dict(zip(labels, (float(t) for t in document["thresholds"]), strict=True))
    torch_device = select_device(device)
    weights = torch.load(Path(model_dir) / HEAD_FILE, map_location="cpu", weights_only=True)
    head = DetectionHead(len(labels))
    head.load_state_dict(_section(weights, "head."))
    projections = projections_from_state(_section(weights, "projection."))
    stage = None
    if config.tuned_stage:
        stage = TunedStage(shared_backbone(str(torch_device)), projections[1], config.tuned_from)
        stage.load_state_dict(_section(weights, "stage."))
    return DetectionModel(labels, thresholds, head, stage, projections, config, torch_device)


def _section(weights: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k.removeprefix(prefix): v for k, v in weights.items() if k.startswith(prefix)}
