"""Per-box evaluation of detections against ground truth (spec B.5), COCO-style.

Matching, per image and label: detections in falling confidence each take the unmatched
ground-truth box they overlap most, if that IoU reaches the threshold; the rest are false
positives. Because the matching is greedy in confidence order, the detections above any
cut are matched exactly as if the lower ones did not exist, so one ranked pass gives
precision and recall at every cut.

- AP: COCO's 101-point interpolated area under the precision/recall curve.
- Assumed threshold: the confidence cut with the best F1 at IoU 0.5.
- Average recall: the recall at the assumed threshold averaged over IoU 0.5:0.95.
Labels without test boxes have nothing to measure: they keep the default threshold and
are left out of the means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from openlookout.ml.assumed_thresholds import DEFAULT_THRESHOLD as DEFAULT_THRESHOLD
from openlookout.ml.assumed_thresholds import best_f1_count
from openlookout.ml.detection.matching import corners, greedy_hits, pairwise_iou
from openlookout.ml.detection.types import (
    Box,
    DetectionEvaluation,
    DetectionLabelMetrics,
    DetectionPrediction,
)

IOU_THRESHOLDS = tuple(round(0.5 + 0.05 * step, 2) for step in range(10))
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


@dataclass
class RankedMatches:
    """One label's detections over the test set, best first, with their match at each IoU."""

    confidences: np.ndarray  # (D,)
    hits: np.ndarray  # (len(IOU_THRESHOLDS), D) bool: true positive at that IoU threshold
    num_truth: int
    num_images: int


def rank_label(
    truths: Sequence[Sequence[Box]], detections: Sequence[Sequence[tuple[float, Box]]]
) -> RankedMatches:
    """Match one label's detections (confidence, box) to its truth boxes, image by image."""
    confidences, hits = [], []
    for truth, found in zip(truths, detections, strict=True):
        found = sorted(found, key=lambda item: -item[0])
        iou = pairwise_iou(corners([box for _, box in found]), corners(truth))
        confidences.append(np.array([score for score, _ in found], dtype=np.float64))
        hits.append(np.stack([greedy_hits(iou, t) for t in IOU_THRESHOLDS]).reshape(len(IOU_THRESHOLDS), -1))
    all_confidences = np.concatenate(confidences) if confidences else np.zeros(0)
    all_hits = np.concatenate(hits, axis=1) if hits else np.zeros((len(IOU_THRESHOLDS), 0), dtype=bool)
    order = np.argsort(-all_confidences, kind="stable")
    return RankedMatches(
        confidences=all_confidences[order],
        hits=all_hits[:, order],
        num_truth=sum(len(truth) for truth in truths),
        num_images=sum(1 for truth in truths if truth),
    )


def average_precision(hits: np.ndarray, num_truth: int) -> float:
    """COCO 101-point interpolated AP of a ranked list of true/false positives."""
    if num_truth == 0 or hits.size == 0:
        return 0.0
    tp = np.cumsum(hits)
    recall = tp / num_truth
    precision = tp / np.arange(1, len(hits) + 1)
    # Make precision non-increasing from the right: the best precision at this recall or beyond.
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    indices = np.searchsorted(recall, RECALL_POINTS, side="left")
    valid = indices < len(envelope)
    return float(np.sum(envelope[indices[valid]]) / len(RECALL_POINTS))


def best_f1_cut(confidences: np.ndarray, hits: np.ndarray, num_truth: int) -> tuple[float, int]:
    """(threshold, number of accepted detections) maximising F1; ties go to the higher cut.

    The cut sits halfway between the lowest accepted and the highest rejected confidence,
    so equal confidences always get the same decision.
    """
    if num_truth == 0:
        return DEFAULT_THRESHOLD, int(np.sum(confidences >= DEFAULT_THRESHOLD))
    best_count = best_f1_count(confidences, hits, num_truth)
    if best_count == 0:
        # Nothing found is better than anything found: accept only what beats every score seen.
        top = float(confidences[0]) if len(confidences) else DEFAULT_THRESHOLD
        return min(max(top, DEFAULT_THRESHOLD) + 1e-6, 1.0), 0
    lowest_accepted = float(confidences[best_count - 1])
    highest_rejected = float(confidences[best_count]) if best_count < len(confidences) else 0.0
    return (lowest_accepted + highest_rejected) / 2.0, best_count


def _counts(hits: np.ndarray, accepted: int, num_truth: int) -> tuple[int, int, int]:
    tp = int(np.sum(hits[:accepted]))
    return tp, accepted - tp, num_truth - tp


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return precision, recall, f1


def evaluate_detections(
    labels: Sequence[str],
    truths: Sequence[Sequence[tuple[str, Box]]],
    predictions: Sequence[DetectionPrediction],
) -> DetectionEvaluation:
    """Choose each label's assumed threshold and score the test set at it.

    ``truths[i]`` are the (label, box) pairs of the image of ``predictions[i]``; truth boxes
    of labels outside ``labels`` are ignored (the model cannot name them).
    """
    per_label: list[DetectionLabelMetrics] = []
    totals = np.zeros(3, dtype=np.int64)
    aps_50, aps_all, recalls = [], [], []
    for label in labels:
        label_truths = [[box for name, box in truth if name == label] for truth in truths]
        label_found = [
            [(d.confidence, d.box) for d in prediction.detections if d.label == label]
            for prediction in predictions
        ]
        ranked = rank_label(label_truths, label_found)
        threshold, accepted = best_f1_cut(ranked.confidences, ranked.hits[0], ranked.num_truth)
        tp, fp, fn = _counts(ranked.hits[0], accepted, ranked.num_truth)
        precision, recall, f1 = _prf(tp, fp, fn)
        ap_by_iou = [average_precision(row, ranked.num_truth) for row in ranked.hits]
        recall_by_iou = [
            _counts(row, accepted, ranked.num_truth)[0] / ranked.num_truth if ranked.num_truth else 0.0
            for row in ranked.hits
        ]
        per_label.append(
            DetectionLabelMetrics(
                label=label,
                test_images=ranked.num_images,
                test_boxes=ranked.num_truth,
                threshold=threshold,
                precision=precision,
                recall=recall,
                f1=f1,
                average_precision=ap_by_iou[0],
                average_recall=float(np.mean(recall_by_iou)),
            )
        )
        if ranked.num_truth:
            totals += (tp, fp, fn)
            aps_50.append(ap_by_iou[0])
            aps_all.append(float(np.mean(ap_by_iou)))
            recalls.append(float(np.mean(recall_by_iou)))
        else:
            totals[1] += fp  # detections of a label the test set lacks are still wrong
    precision, recall, f1 = _prf(*(int(v) for v in totals))
    return DetectionEvaluation(
        labels=per_label,
        precision=precision,
        recall=recall,
        f1=f1,
        map_50=float(np.mean(aps_50)) if aps_50 else 0.0,
        map_50_95=float(np.mean(aps_all)) if aps_all else 0.0,
        mean_average_recall=float(np.mean(recalls)) if recalls else 0.0,
    )
