"""Per-label calibration of detection confidences (Platt scaling on held-out images).

The raw confidence ``sqrt(label probability x centerness)`` ranks boxes well but is not a
probability: on NEU-DET most boxes sat at 0.5-0.65 whatever their quality, so the
developer guide's default ``MinConfidence`` of 50 let in nearly every false positive.
After training, the model's detections on the validation images (held out of TRAIN,
never TEST) are matched to their truth at IoU 0.5, and per label a logistic curve
``confidence = sigmoid(a * logit(raw) + b)`` is fitted to "this box is a true positive".
A reported confidence of 70 % then means about 70 % of such boxes are right. The map is
increasing, so per-label ranking (AP) and NMS are unchanged; the F1-maximising cut (spec
B.5) of a calibrated score lies near half the label's best F1, below 50 %, so the default
``MinConfidence`` of 50 keeps the boxes that are more often right than wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

IDENTITY = (1.0, 0.0)
# Fewer matched or unmatched validation boxes than this: too little to fit a curve.
MIN_EACH = 5
# A light pull towards the identity map keeps the fit sane on a few dozen boxes.
PRIOR_WEIGHT = 1.0
EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def fit_platt(
    confidences: Sequence[float] | np.ndarray, hits: Sequence[bool] | np.ndarray, steps: int = 50
) -> tuple[float, float]:
    """(a, b) of ``sigmoid(a * logit(c) + b)`` by Newton's method on the log-likelihood."""
    x = _logit(np.asarray(confidences, dtype=np.float64))
    y = np.asarray(hits, dtype=np.float64)
    if len(x) == 0 or y.sum() < MIN_EACH or (1 - y).sum() < MIN_EACH:
        return IDENTITY
    params = np.array(IDENTITY)
    prior = np.array(IDENTITY)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(params[0] * x + params[1])))
        grad = np.array([np.sum((p - y) * x), np.sum(p - y)]) + PRIOR_WEIGHT * (params - prior)
        w = p * (1 - p)
        hessian = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]])
        hessian += PRIOR_WEIGHT * np.eye(2)
        step = np.linalg.solve(hessian, grad)
        params = params - step
        if np.abs(step).max() < 1e-8:
            break
    if params[0] <= 0:  # a curve must not reverse the ranking
        return IDENTITY
    return float(params[0]), float(params[1])


def calibrate(raw: np.ndarray, params: tuple[float, float]) -> np.ndarray:
    a, b = params
    return 1 / (1 + np.exp(-(a * _logit(raw) + b)))
