"""The linear head over image vectors: softmax (one label per image) or one logistic per label.

Inputs are standardised with the training mean and spread, which keeps the L2 penalty
equally strong in every direction. Both kinds are fitted with the shared L-BFGS softmax
regression; a logistic output is a two-class softmax (absent, present).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from openlookout.ml.softmax_regression import fit_softmax

WEIGHT_DECAY = 1e-3
MAX_ITERATIONS = 200


@dataclass
class LinearHead:
    mean: np.ndarray  # (D,)
    scale: np.ndarray  # (D,)
    weights: np.ndarray  # (D, C); for multi-label, column k scores "label k present"
    bias: np.ndarray  # (C,)
    multi_label: bool

    def scores(self, x: np.ndarray) -> np.ndarray:
        """(N, D) vectors -> (N, C) label scores in [0, 1]."""
        logits = ((x - self.mean) / self.scale) @ self.weights + self.bias
        if self.multi_label:
            return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)

    def save(self, path: Path) -> None:
        np.savez(
            path,
            mean=self.mean,
            scale=self.scale,
            weights=self.weights,
            bias=self.bias,
            multi_label=np.array(self.multi_label),
        )

    @classmethod
    def load(cls, path: Path) -> LinearHead:
        with np.load(path) as data:
            return cls(
                mean=data["mean"],
                scale=data["scale"],
                weights=data["weights"],
                bias=data["bias"],
                multi_label=bool(data["multi_label"]),
            )


def fit_head(x: np.ndarray, truth: np.ndarray, multi_label: bool) -> LinearHead:
    """``truth`` is (N, C) 0/1; single-label rows have exactly one 1."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    target = truth.astype(np.float32)
    if not multi_label:
        weights, bias = fit_softmax(z, target, WEIGHT_DECAY, MAX_ITERATIONS)
        return LinearHead(mean, scale, weights, bias, multi_label=False)
    columns, offsets = [], []
    for k in range(truth.shape[1]):
        pair = np.stack([1.0 - target[:, k], target[:, k]], axis=1)
        w, b = fit_softmax(z, pair, WEIGHT_DECAY, MAX_ITERATIONS)
        # A two-class softmax is a logistic on the difference of its two logits.
        columns.append(w[:, 1] - w[:, 0])
        offsets.append(b[1] - b[0])
    return LinearHead(mean, scale, np.stack(columns, axis=1), np.array(offsets, dtype=np.float32), True)
