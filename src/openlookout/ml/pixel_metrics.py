"""Per-class pixel metrics of a segmentation model (L4V ``PixelAnomalyClassMetrics``).

Computed at the input image size over the test images that have a ground-truth mask
(normal images count with an all-background mask; anomalous images without a mask are
skipped). For each class k:
- Precision, Recall, F1Score: from the pixel counts summed over those images (class k
  against everything else), with the undefined cases of ``evaluate.py``.
- AIOU: the mean, over the images where class k appears in the ground truth or in the
  prediction, of the intersection over union of the class-k pixels. Images where k is
  in neither are left out, or normal images would inflate it with perfect scores.
One item per class present in the test ground truth (as L4V lists them), in class order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class PixelMetrics:
    """Accumulates per-class pixel counts image by image, so no mask is kept."""

    def __init__(self, class_names: Sequence[str]) -> None:
        self.class_names = list(class_names)
        n = len(self.class_names)
        self._tp = np.zeros(n, dtype=np.int64)
        self._fp = np.zeros(n, dtype=np.int64)
        self._fn = np.zeros(n, dtype=np.int64)
        self._iou_sum = np.zeros(n, dtype=np.float64)
        self._iou_count = np.zeros(n, dtype=np.int64)

    def add(self, truth: np.ndarray, predicted: np.ndarray) -> None:
        """One image's (H, W) class-index masks (0 = background, k = class_names[k-1])."""
        if truth.shape != predicted.shape:
            raise ValueError(f"mask shapes differ: {truth.shape} vs {predicted.shape}")
        for k in range(len(self.class_names)):
            t = truth == k + 1
            p = predicted == k + 1
            tp = int(np.count_nonzero(t & p))
            union = int(np.count_nonzero(t | p))
            self._tp[k] += tp
            self._fp[k] += int(np.count_nonzero(p)) - tp
            self._fn[k] += int(np.count_nonzero(t)) - tp
            if union:
                self._iou_sum[k] += tp / union
                self._iou_count[k] += 1

    def result(self) -> list[dict[str, object]]:
        items: list[dict[str, object]] = []
        for k, name in enumerate(self.class_names):
            tp, fp, fn = int(self._tp[k]), int(self._fp[k]), int(self._fn[k])
            if tp + fn == 0:
                continue  # not in the test ground truth
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn)
            f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
            aiou = self._iou_sum[k] / self._iou_count[k] if self._iou_count[k] else 0.0
            items.append(
                {
                    "ClassName": name,
                    "Precision": float(precision),
                    "Recall": float(recall),
                    "F1Score": float(f1),
                    "AIOU": float(aiou),
                }
            )
        return items
