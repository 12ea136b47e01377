"""Decision threshold and confidence, calibrated on training data only.

Scores come from held-out training images: normals are split into k folds and each
fold is scored against a bank built without it; training anomalies are spread over the
same folds and scored by those banks, so both classes see banks of the same size. The
test set is never looked at.

Rules:
- With training anomalies (``balanced_f1``): the threshold is the midpoint between two
  adjacent distinct held-out scores that maximises the class-balanced F1, 2 TPR / (1 + TPR +
  FPR): F1 with both classes weighted to the same total (score > threshold means
  anomalous); ties go to the widest gap between those two scores, then to the lower cut.
  It does not depend on the ratio of anomalies to normals in training, which says little
  about the test set's or production's: plain max-F1 on a handful of anomalies against
  hundreds of normals put the cut in the widest gap above every held-out normal (ELPV poly:
  recall 0.38, F1 0.55 against an oracle 0.82; balanced F1 0.81).
- Normals only (``normal_robust``): threshold = median + ``NORMAL_ONLY_K`` (4) robust standard
  deviations (1.4826 x median absolute deviation) of the held-out normal scores. A robust
  spread keeps one odd normal image from inflating the threshold; 4 sigma would flag
  well under 1 % of Gaussian-distributed normals, and real score tails are heavier.
- Confidence in the predicted side: 0.5 + 0.5 * tanh(|score - threshold| / scale), where
  scale = max(threshold - median held-out normal score, robust standard deviation of those
  scores). It is 0.5 at the threshold, rises monotonically with the distance from it, and
  is 0.88 one scale away, e.g. for a typical normal image.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

NUM_FOLDS = 5
NORMAL_ONLY_K = 4.0
MAD_TO_SIGMA = 1.4826
# Floor for the spread, relative to the typical score, so a degenerate (constant)
# distribution still gives a finite confidence scale.
MIN_RELATIVE_SCALE = 1e-3


@dataclass(frozen=True)
class Calibration:
    threshold: float
    scale: float
    rule: str  # "balanced_f1" | "normal_robust" ("max_f1" in models saved by 0.1)
    normal_scores: tuple[float, ...]  # held-out normal scores, kept for retuning
    anomaly_scores: tuple[float, ...]  # held-out training-anomaly scores

    def is_anomalous(self, score: float) -> bool:
        return score > self.threshold

    def confidence(self, score: float) -> float:
        return confidence(score, self.threshold, self.scale)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["normal_scores"] = list(self.normal_scores)
        data["anomaly_scores"] = list(self.anomaly_scores)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Calibration:
        return cls(
            threshold=float(data["threshold"]),  # type: ignore[arg-type]
            scale=float(data["scale"]),  # type: ignore[arg-type]
            rule=str(data["rule"]),
            normal_scores=tuple(float(x) for x in data["normal_scores"]),  # type: ignore[attr-defined]
            anomaly_scores=tuple(float(x) for x in data["anomaly_scores"]),  # type: ignore[attr-defined]
        )


def fold_ids(count: int, num_folds: int, seed: int = 0) -> np.ndarray:
    """Fold index (0..num_folds-1) of each of ``count`` items: a seeded, balanced assignment."""
    rng = np.random.default_rng(seed)
    folds = np.arange(count) % num_folds
    return folds[rng.permutation(count)]


def robust_scale(scores: Sequence[float]) -> float:
    s = np.asarray(scores, dtype=np.float64)
    median = float(np.median(s))
    mad = float(np.median(np.abs(s - median)))
    return max(MAD_TO_SIGMA * mad, MIN_RELATIVE_SCALE * max(abs(median), 1e-12))


def normal_only_threshold(normal_scores: Sequence[float]) -> float:
    return float(
        np.median(np.asarray(normal_scores, dtype=np.float64)) + NORMAL_ONLY_K * robust_scale(normal_scores)
    )


def balanced_f1_threshold(normal_scores: Sequence[float], anomaly_scores: Sequence[float]) -> float | None:
    """The cut between adjacent distinct scores that maximises the class-balanced F1, or None.

    Balanced F1 is F1 with both classes weighted to the same total, 2 TPR / (1 + TPR + FPR):
    F1 as if anomalies were as frequent as normals. Ties go to the widest gap between the
    two scores, then to the lower cut; None when all scores are equal.
    """
    scores = np.r_[np.asarray(normal_scores, dtype=np.float64), np.asarray(anomaly_scores, dtype=np.float64)]
    labels = np.r_[np.zeros(len(normal_scores), bool), np.ones(len(anomaly_scores), bool)]
    order = np.argsort(scores, kind="mergesort")
    s, y = scores[order], labels[order]
    num_pos, num_neg = int(y.sum()), int((~y).sum())
    # Anomalies and normals at or above each cut position i (items i..n-1 predicted anomalous).
    tp_from = np.r_[np.cumsum(y[::-1])[::-1], 0]
    fp_from = np.r_[np.cumsum(~y[::-1])[::-1], 0]
    best: tuple[float, float, float] | None = None  # (balanced F1, gap, -threshold)
    threshold = None
    for i in range(1, len(s)):
        if s[i] == s[i - 1]:
            continue
        tpr, fpr = tp_from[i] / max(num_pos, 1), fp_from[i] / max(num_neg, 1)
        f1 = 2.0 * tpr / (1.0 + tpr + fpr)
        candidate = (s[i - 1] + s[i]) / 2.0
        key = (float(f1), s[i] - s[i - 1], -candidate)
        if best is None or key > best:
            best, threshold = key, float(candidate)
    return threshold


def calibrate(normal_scores: Sequence[float], anomaly_scores: Sequence[float]) -> Calibration:
    if len(normal_scores) == 0:
        raise ValueError("calibration needs at least one held-out normal score")
    threshold = balanced_f1_threshold(normal_scores, anomaly_scores) if len(anomaly_scores) else None
    rule = "balanced_f1"
    if threshold is None:
        threshold, rule = normal_only_threshold(normal_scores), "normal_robust"
    return Calibration(
        threshold=float(threshold),
        scale=max(float(threshold) - float(np.median(normal_scores)), robust_scale(normal_scores)),
        rule=rule,
        normal_scores=tuple(float(x) for x in normal_scores),
        anomaly_scores=tuple(float(x) for x in anomaly_scores),
    )

def confidence(score: float, threshold: float, scale: float) -> float:
    return 0.5 + 0.5 * math.tanh(abs(score - threshold) / scale)
