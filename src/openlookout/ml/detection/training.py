"""Fit the detection head (and optionally the upper backbone stage) on cached maps.

Loss: sigmoid focal loss for the labels, GIoU of the decoded boxes (weighted by the
centerness target) and binary cross-entropy for centerness. Augmentation mirrors the
cached maps left-right and/or top-bottom (with the boxes). A map of a mirrored image is
not exactly the mirrored map, but close enough for the head to learn that defects have no
preferred orientation, at no backbone cost. When a validation callback is given it scores
the model after every epoch once a third of the epochs are done; the best epoch's
weights are kept (early stopping), and training ends after ``patience`` epochs without a
better score.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from openlookout.ml.backbone import FINE_STRIDE
from openlookout.ml.detection.box_coding import OFFSET, decode_boxes
from openlookout.ml.detection.boxes import aligned_giou, flip_corners
from openlookout.ml.detection.feature_maps import TUNED_FROM, CachedMaps
from openlookout.ml.detection.head import DetectionHead, channels_last
from openlookout.ml.detection.targets import MIN_REGION_STRIDES, assign_targets, location_centres
from openlookout.ml.detection.tuned_stage import TunedStage
from openlookout.ml.detection.zoom import Window, random_window, zoom_boxes, zoom_maps

# Fewer training images than this: the backbone stays frozen (a few dozen images would
# overfit the stage's 0.5 M weights, and a small run should stay fast).
TUNE_MIN_IMAGES = 200


@dataclass(frozen=True)
class TrainingSettings:
    epochs: int = 14
    min_steps: int = 300  # small data sets still get enough updates to converge
    max_steps: int = 4000
    batch_size: int = 16
    learning_rate: float = 4e-3
    stage_learning_rate: float = 4e-4  # the fine-tuned backbone stage moves 10x slower
    weight_decay: float = 1e-4
    warmup_steps: int = 50
    flips: bool = True
    encoding: str = OFFSET
    min_region_strides: float = MIN_REGION_STRIDES
    # Fine-tune the upper stride-16 stage: None = when TRAIN has TUNE_MIN_IMAGES or more.
    tune_stage: bool | None = None
    tuned_from: int = TUNED_FROM  # first tuned block: 8 = the 112-channel stage, 6 or 7 reach lower
    patience: int = 4  # validated epochs without a better score before training stops
    # Random zoom of the cached maps (zoom.py): the share of batches zoomed, and the
    # smallest window side as a fraction of the map's.
    zoom_probability: float = 0.0
    zoom_min_fraction: float = 0.6
    seed: int = 0


def sigmoid_focal_loss(logits: torch.Tensor, targets: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0):
    probability = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = probability * targets + (1 - probability) * (1 - targets)
    weight = alpha * targets + (1 - alpha) * (1 - targets)
    return (weight * ce * (1 - p_t) ** gamma).sum()


@dataclass
class TargetBank:
    """Targets of every training image under every flip, assigned once before training."""

    classes: torch.Tensor  # (V, N, P) long, -1 = background
    boxes: torch.Tensor  # (V, N, P, 4) corners
    centerness: torch.Tensor  # (V, N, P)


FLIPS = ((False, False), (True, False), (False, True), (True, True))  # (horizontal, vertical)


def build_targets(
    corners: Sequence[torch.Tensor],
    labels: Sequence[torch.Tensor],
    centres: torch.Tensor,
    size: tuple[int, int],
    flips: Sequence[tuple[bool, bool]],
    min_region_strides: float = MIN_REGION_STRIDES,
) -> TargetBank:
    per_flip = []
    for horizontal, vertical in flips:
        targets = [
            assign_targets(
                flip_corners(c, size, horizontal, vertical), lab, centres, FINE_STRIDE, min_region_strides
            )
            for c, lab in zip(corners, labels, strict=True)
        ]
        per_flip.append(targets)
    return TargetBank(
        classes=torch.stack([torch.stack([t.classes for t in ts]) for ts in per_flip]),
        boxes=torch.stack([torch.stack([t.boxes for t in ts]) for ts in per_flip]),
        centerness=torch.stack([torch.stack([t.centerness for t in ts]) for ts in per_flip]),
    )


def zoomed_targets(
    corners: Sequence[torch.Tensor],
    labels: Sequence[torch.Tensor],
    centres: torch.Tensor,
    size: tuple[int, int],
    flip: tuple[bool, bool],
    window: Window,
    min_region_strides: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(classes, boxes, centerness) of a batch's images mirrored by ``flip``, then zoomed to ``window``."""
    targets = []
    for c, lab in zip(corners, labels, strict=True):
        moved, kept = zoom_boxes(flip_corners(c, size, *flip), lab, window, size)
        targets.append(assign_targets(moved, kept, centres, FINE_STRIDE, min_region_strides))
    return (
        torch.stack([t.classes for t in targets]),
        torch.stack([t.boxes for t in targets]),
        torch.stack([t.centerness for t in targets]),
    )


def detection_loss(
    outputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    classes: torch.Tensor,
    box_targets: torch.Tensor,
    ctr_targets: torch.Tensor,
    centres: torch.Tensor,
    encoding: str,
) -> torch.Tensor:
    """Focal + GIoU + centerness loss of a batch; targets are (B, P), (B, P, 4), (B, P)."""
    logits, raw_boxes, centerness = outputs
    num_labels = logits.shape[1]
    classes = classes.reshape(-1)
    box_targets = box_targets.reshape(-1, 4)
    ctr_targets = ctr_targets.reshape(-1)
    flat_logits = logits.permute(0, 2, 3, 1).reshape(-1, num_labels)
    flat_boxes = raw_boxes.permute(0, 2, 3, 1).reshape(-1, 4)
    flat_ctr = centerness.permute(0, 2, 3, 1).reshape(-1)
    positive = classes >= 0
    num_pos = max(int(positive.sum()), 1)
    one_hot = torch.zeros_like(flat_logits)
    one_hot[positive, classes[positive]] = 1.0
    loss = sigmoid_focal_loss(flat_logits, one_hot) / num_pos
    if positive.any():
        batch_centres = centres.repeat(logits.shape[0], 1)[positive]
        predicted = decode_boxes(batch_centres, flat_boxes[positive], FINE_STRIDE, encoding)
        weights = ctr_targets[positive]
        giou = aligned_giou(predicted, box_targets[positive])
        loss = loss + ((1 - giou) * weights).sum() / weights.sum().clamp(min=1e-6)
        loss = loss + F.binary_cross_entropy_with_logits(flat_ctr[positive], weights, reduction="mean")
    return loss


def _schedule(step: int, total: int, settings: TrainingSettings) -> float:
    if step < settings.warmup_steps:
        return (step + 1) / settings.warmup_steps
    progress = (step - settings.warmup_steps) / max(total - settings.warmup_steps, 1)
    return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


Validator = Callable[[DetectionHead, TunedStage | None], float]


def train_head(
    maps: CachedMaps,
    corners: Sequence[torch.Tensor],
    labels: Sequence[torch.Tensor],
    num_labels: int,
    size: tuple[int, int],
    device: torch.device,
    settings: TrainingSettings = TrainingSettings(),
    stage: TunedStage | None = None,
    validate: Validator | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> tuple[DetectionHead, TunedStage | None, dict[str, float]]:
    """Train a fresh head (and ``stage``, if given) on cached maps and per-image boxes.

    Returns the kept head and stage in eval mode and a record of the run (best validation
    score and its epoch, epochs run).
    """
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    # Channels-last: oneDNN's convolutions (forward and backward) on these small maps run
    # about 30 % faster in NHWC than in NCHW on CPU (measured per training step).
    head = channels_last(DetectionHead(num_labels), device)
    groups: list[dict[str, Any]] = [{"params": list(head.parameters()), "lr": settings.learning_rate}]
    if stage is not None:
        stage = channels_last(stage, device).train()
        groups.append({"params": list(stage.parameters()), "lr": settings.stage_learning_rate})
    optimizer = torch.optim.AdamW(groups, weight_decay=settings.weight_decay)
    count = len(corners)
    steps_per_epoch = math.ceil(count / settings.batch_size)
    total = min(max(settings.epochs * steps_per_epoch, settings.min_steps), settings.max_steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: _schedule(step, total, settings))
    centres = location_centres((maps.fine.shape[-2], maps.fine.shape[-1]), FINE_STRIDE)
    flips = FLIPS if settings.flips else FLIPS[:1]
    bank = build_targets(corners, labels, centres, size, flips, settings.min_region_strides)
    cpu_centres, centres = centres, centres.to(device)
    coarse_grid = (maps.coarse.shape[-2], maps.coarse.shape[-1])
    record: dict[str, float] = {"steps": float(total)}
    best_score, best_state, stale, epoch = -1.0, None, 0, 0
    first_check = max(1, math.ceil(total / steps_per_epoch / 3))
    head.train()
    step = 0
    while step < total:
        order = torch.randperm(count, generator=generator)
        for start in range(0, count, settings.batch_size):
            if step >= total:
                break
            index = order[start : start + settings.batch_size]
            variant = int(torch.randint(0, len(flips), (1,), generator=generator))
            horizontal, vertical = flips[variant]
            dims = [d for d, flip in ((3, horizontal), (2, vertical)) if flip]
            batch_fine = maps.fine[index].to(device, torch.float32)
            batch_coarse = maps.coarse[index].to(device, torch.float32)
            if dims:
                batch_fine = batch_fine.flip(dims)
                batch_coarse = batch_coarse.flip(dims)
            targets = (
                bank.classes[variant, index],
                bank.boxes[variant, index],
                bank.centerness[variant, index],
            )
            if (
                settings.zoom_probability > 0
                and float(torch.rand((), generator=generator)) < settings.zoom_probability
            ):
                window = random_window(coarse_grid, settings.zoom_min_fraction, generator)
                batch_fine, batch_coarse = zoom_maps(batch_fine, batch_coarse, window)
                targets = zoomed_targets(
                    [corners[i] for i in index.tolist()],
                    [labels[i] for i in index.tolist()],
                    cpu_centres,
                    size,
                    flips[variant],
                    window,
                    settings.min_region_strides,
                )
            batch_fine = batch_fine.contiguous(memory_format=torch.channels_last)
            batch_coarse = batch_coarse.contiguous(memory_format=torch.channels_last)
            if stage is not None:
                batch_coarse = stage(batch_coarse)
            target_classes, target_boxes, target_centerness = targets
            loss = detection_loss(
                head(batch_fine, batch_coarse),
                target_classes.to(device),
                target_boxes.to(device),
                target_centerness.to(device),
                centres,
                settings.encoding,
            )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in groups for p in g["params"]], 10.0)
            optimizer.step()
            scheduler.step()
            step += 1
            if progress is not None:
                progress(step, total, loss.item())
        epoch += 1
        if validate is None or (epoch < first_check and step < total):
            continue
        score = _validated(head, stage, validate)
        if score > best_score:
            best_score, stale, record["best_epoch"] = score, 0, float(epoch)
            best_state = _snapshot(head, stage)
        else:
            stale += 1
            if stale >= settings.patience:
                break
    record["epochs"] = float(epoch)
    if best_state is not None:
        head.load_state_dict(best_state[0])
        if stage is not None and best_state[1] is not None:
            stage.load_state_dict(best_state[1])
        record["validation_map_50"] = best_score
    head.eval()
    if stage is not None:
        stage.eval()
    return head, stage, record


def _validated(head: DetectionHead, stage: TunedStage | None, validate: Validator) -> float:
    head.eval()
    if stage is not None:
        stage.eval()
    try:
        with torch.inference_mode():
            return validate(head, stage)
    finally:
        head.train()
        if stage is not None:
            stage.train()


def _snapshot(head: DetectionHead, stage: TunedStage | None) -> tuple[dict, dict | None]:
    return copy.deepcopy(head.state_dict()), None if stage is None else copy.deepcopy(stage.state_dict())
