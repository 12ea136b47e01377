"""``ObjectDetector``: fits a detection head (and optionally the upper backbone stage) on TRAIN.

Parts: the frozen backbone's cached feature maps (``feature_maps.py``), the head and its
training loop (``head.py``, ``training.py``), and, when TRAIN is large enough for a
validation split, early stopping and per-label confidence calibration on that split
(``calibration.py``). ``fit`` returns the ``DetectionModel`` (``predictor.py``); thresholds
are chosen on TEST by ``train_detection_model``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence

import torch

from openlookout.ml.backbone import select_device, shared_backbone
from openlookout.ml.detection.boxes import ratio_boxes_to_corners
from openlookout.ml.detection.calibration import fit_platt
from openlookout.ml.detection.evaluation import evaluate_detections, rank_label
from openlookout.ml.detection.feature_maps import choose_work_size, extract_feature_maps, sample_sizes
from openlookout.ml.detection.head import DetectionHead
from openlookout.ml.detection.predictor import DetectionModel, DetectorConfig, HeadRunner
from openlookout.ml.detection.training import TUNE_MIN_IMAGES, TrainingSettings, train_head
from openlookout.ml.detection.tuned_stage import TunedStage
from openlookout.ml.detection.types import Box, DetectionExample, DetectionPrediction

# Every VALIDATION_EVERY-th training image (by the hash of its source-ref) is held out for
# early stopping and calibration, when TRAIN has at least MIN_VALIDATION_SOURCE images.
VALIDATION_EVERY = 10
MIN_VALIDATION_SOURCE = 40
REPORT_EVERY = 50
# Where the fit's stages end, in percent of the fit (``stage_progress``); calibration is the rest.
FEATURES_END, HEAD_END = 25.0, 95.0


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


class ObjectDetector:
    """Fits a ``DetectionModel``; ``training_record`` then holds what the fit measured."""

    def __init__(
        self,
        device: str | None = None,
        progress: Callable[[str], None] | None = None,
        settings: TrainingSettings | None = None,
        work_size: tuple[int, int] | None = None,
        stage_progress: Callable[[str, float], None] | None = None,
    ) -> None:
        self.device = select_device(device)
        # (stage, percent 0-100 of the fit) for a job's progress record; never changes the model.
        self._stage = stage_progress or (lambda _stage, _percent: None)
        self.settings = settings or TrainingSettings()
        self.work_size = work_size  # None: chosen from the training images
        self._progress = progress
        self.training_record: dict[str, object] = {}

    def _report(self, message: str) -> None:
        if self._progress is not None:
            self._progress(message)

    def fit(self, train: Sequence[DetectionExample], labels: list[str]) -> DetectionModel:
        """Train on ``train``'s boxes of ``labels``; every threshold of the model is 0.5."""
        settings, torch_device = self.settings, self.device
        backbone = shared_backbone(str(torch_device))
        box_sizes = [math.sqrt(box.width * box.height) for e in train for _, box in e.boxes]
        size = self.work_size or choose_work_size(
            sample_sizes([e.load for e in train]), len(train), box_sizes
        )
        fit, held = validation_split(train)
        tune = settings.tune_stage if settings.tune_stage is not None else len(train) >= TUNE_MIN_IMAGES
        self._report(f"Extracting features of {len(train)} training images at {size[1]}x{size[0]}")
        self._stage("features", 0)
        start = settings.tuned_from

        def features_done(done: int) -> None:
            self._stage("features", FEATURES_END * done / max(len(fit), 1))

        maps = extract_feature_maps(
            backbone, [e.load for e in fit], size, tuned=tune, tuned_from=start, progress=features_done
        )
        held_maps = (
            extract_feature_maps(
                backbone, [e.load for e in held], size, maps.projections, tune, tuned_from=start
            )
            if held
            else None
        )
        corners, label_ids = _box_tensors(fit, labels, size)
        config = DetectorConfig(size, settings.encoding, tune, tuned_from=start)
        stage = TunedStage(backbone, maps.projections[1], start) if tune else None
        runner = HeadRunner(labels, config, torch_device)
        validate = None
        if held_maps is not None:
            held_truths = [e.boxes for e in held]

            def validate(head: DetectionHead, tuned: TunedStage | None) -> float:
                found = runner.detect(head, tuned, held_maps, [e.ref for e in held])
                return evaluate_detections(labels, held_truths, found).map_50

        self._report(f"Training the detection head for {len(labels)} labels")
        steps_per_epoch = max(1, math.ceil(len(fit) / settings.batch_size))

        def step_report(step: int, total: int, loss: float) -> None:
            if step % REPORT_EVERY == 0 or step == total:
                self._report(f"Head training step {step}/{total}, loss {loss:.3f}")
            epochs = math.ceil(total / steps_per_epoch)
            epoch = min(epochs, (step - 1) // steps_per_epoch + 1)
            self._stage(f"epoch {epoch}/{epochs}", FEATURES_END + (HEAD_END - FEATURES_END) * step / total)

        head, stage, record = train_head(
            maps, corners, label_ids, len(labels), size, torch_device, settings, stage, validate, step_report
        )
        projections = maps.projections
        del maps
        if held_maps is not None:
            self._stage("calibration", HEAD_END)
            with torch.inference_mode():
                found = runner.detect(head, stage, held_maps, [e.ref for e in held])
            config.calibration = fit_calibration(labels, [e.boxes for e in held], found)
            record["validation_images"] = float(len(held))
        self.training_record = {"work_size": list(size), "fit_images": len(fit), **record}
        return DetectionModel(
            labels, {label: 0.5 for label in labels}, head, stage, projections, config, torch_device
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
