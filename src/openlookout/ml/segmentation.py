"""Segmentation head: which pixels are anomalous, and which anomaly class each one shows.

Patch classifier: a softmax regression over {background, class 1..K} on each patch's
feature vector plus its anomaly-map value (standardised). Targets are soft: the share of
each class in the patch's 8x8 cell of the training mask, so thin defects still teach it.
Training patches come from the training images that have masks (normals count as all
background); pure-background patches are subsampled to ``MAX_BACKGROUND_PATCHES`` to bound
the cost. The memory bank's distance alone is blurry (crumbs, edges and texture all score
high); the supervised classifier learns what the labelled defects look like, while the
distance feature keeps it anchored to "unlike the normal images".

Pixel decision: P(anomaly) = 1 - P(background), upsampled bilinearly to the input size. A
pixel is anomalous when P(anomaly) exceeds the pixel threshold *and* the image is
anomalous, so the mask never contradicts a "normal" answer. The pixel threshold maximises
pixel F1 (anomaly vs background, all classes together) over held-out training images:
each fold's classifier is trained without that fold's images and scores them, with their
held-out anomaly maps and image decisions. Test labels are never used. The anomalous
pixels of an image all take one class: the one with the most probability mass over them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

# Inference rules live in the edge runner, which every model package ships, so both agree.
from openlookout.edge.openlookout_edge.segmentation import cell_components as cell_components
from openlookout.edge.openlookout_edge.segmentation import class_mask as class_mask
from openlookout.edge.openlookout_edge.segmentation import probability_heatmap as probability_heatmap
from openlookout.ml.backbone import FINE_STRIDE
from openlookout.ml.scoring import upsample_map
from openlookout.ml.softmax_regression import fit_softmax

# L2 penalty on the (standardised) weights, relative to the mean cross-entropy.
WEIGHT_DECAY = 1e-3
MAX_ITERATIONS = 100
# Pure-background training patches kept at most (all patches touching a defect are kept).
MAX_BACKGROUND_PATCHES = 10_000


@dataclass(frozen=True)
class PatchClassifier:
    """Softmax regression on [patch feature, anomaly-map value]; column 0 is background."""

    mean: np.ndarray  # (D + 1,) standardisation
    std: np.ndarray  # (D + 1,)
    weights: np.ndarray  # (D + 1, K + 1)
    bias: np.ndarray  # (K + 1,)

    def probabilities(self, features: np.ndarray, amap: np.ndarray) -> np.ndarray:
        """(rows, cols, D) features and (rows, cols) map -> (rows, cols, K + 1) class probabilities."""
        x = (_inputs(features, amap) - self.mean) / self.std
        logits = x @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        return p.reshape(*amap.shape, -1).astype(np.float32)


@dataclass(frozen=True)
class PatchSample:
    """One training image for the classifier: its patches, anomaly map and mask."""

    features: np.ndarray  # (rows, cols, D)
    amap: np.ndarray  # (rows, cols), held out from the bank that scores it
    mask: np.ndarray  # (H, W) class indices at the working resolution
    # Every cross-fitting fold uses the same rows of an image: build them once.
    _rows: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def has_defect(self) -> bool:
        return bool(np.count_nonzero(self.mask))

    def rows(self, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
        """(patches, D + 1) classifier inputs and (patches, num_classes + 1) soft targets."""
        if num_classes not in self._rows:
            fractions = cell_fractions(self.mask, self.amap.shape, num_classes)
            self._rows[num_classes] = (
                _inputs(self.features, self.amap),
                fractions.reshape(-1, num_classes + 1).astype(np.float32),
            )
        return self._rows[num_classes]


def _inputs(features: np.ndarray, amap: np.ndarray) -> np.ndarray:
    flat = features.reshape(-1, features.shape[-1])
    return np.concatenate([flat, amap.reshape(-1, 1)], axis=1).astype(np.float32)


def cell_fractions(mask: np.ndarray, grid: tuple[int, int], num_classes: int) -> np.ndarray:
    """(rows, cols, num_classes + 1) share of each class (0 = background) in each patch cell."""
    rows, cols = grid
    cells = mask[: rows * FINE_STRIDE, : cols * FINE_STRIDE].reshape(rows, FINE_STRIDE, cols, FINE_STRIDE)
    one_hot = cells[..., None] == np.arange(num_classes + 1, dtype=mask.dtype)
    return one_hot.mean(axis=(1, 3))


def _training_set(
    samples: Sequence[PatchSample], num_classes: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    rows = [sample.rows(num_classes) for sample in samples]
    x = np.concatenate([inputs for inputs, _ in rows])
    y = np.concatenate([targets for _, targets in rows])
    background = np.flatnonzero(y[:, 0] == 1.0)
    if len(background) > MAX_BACKGROUND_PATCHES:
        dropped = rng.choice(background, size=len(background) - MAX_BACKGROUND_PATCHES, replace=False)
        keep = np.ones(len(x), dtype=bool)
        keep[dropped] = False
        x, y = x[keep], y[keep]
    return x, y


def fit_patch_classifier(
    samples: Sequence[PatchSample], num_classes: int, seed: int = 0, start: PatchClassifier | None = None
) -> PatchClassifier:
    """Soft-target softmax regression on the standardised (subsampled) patches.

    ``start``: a classifier fitted on similar data (another fold) to start the optimiser
    from; the fit is convex, so it only saves iterations.
    """
    x, y = _training_set(samples, num_classes, np.random.default_rng(seed))
    mean = x.mean(axis=0)
    std = np.maximum(x.std(axis=0), 1e-6)
    initial = None
    if start is not None and start.weights.shape == (x.shape[1], num_classes + 1):
        # Re-express the other classifier's weights for this fit's standardisation.
        weights0 = start.weights / start.std[:, None] * std[:, None]
        bias0 = start.bias + ((mean - start.mean) / start.std) @ start.weights
        initial = (weights0, bias0)
    weights, bias = fit_softmax(
        (x - mean) / std, y, WEIGHT_DECAY, max_iterations=MAX_ITERATIONS, start=initial
    )
    return PatchClassifier(
        mean=mean.astype(np.float32), std=std.astype(np.float32), weights=weights, bias=bias
    )


def anomaly_probability(probabilities: np.ndarray) -> np.ndarray:
    """(rows, cols) probability that a patch shows any anomaly class."""
    return (1.0 - probabilities[..., 0]).astype(np.float32)


@dataclass(frozen=True)
class HeldOutImage:
    """One training image scored by a model that did not see it."""

    pmap: np.ndarray  # (rows, cols) anomaly probability
    is_anomalous: bool  # the held-out image decision at the image threshold
    mask: np.ndarray  # (H, W) class indices at the working resolution


def pixel_threshold(images: Sequence[HeldOutImage], working: tuple[int, int]) -> float | None:
    """Probability that maximises pixel F1 over the held-out images; None without anomalous pixels.

    Images decided normal are gated (none of their pixels can be anomalous): they add their
    defect pixels to the positives that F1 must find, but no candidate cut.
    """
    scores, labels = [], []
    num_pos = 0
    for image in images:
        truth = image.mask.reshape(-1) > 0
        num_pos += int(np.count_nonzero(truth))
        if image.is_anomalous:
            scores.append(upsample_map(image.pmap, working).reshape(-1))
            labels.append(truth)
    if num_pos == 0 or not scores:
        return None
    s = np.concatenate(scores)
    y = np.concatenate(labels)
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    # Cut after position i: pixels 0..i are predicted anomalous. Only cut between distinct
    # values, or after the last one (every pixel of the anomalous images).
    f1 = 2 * np.cumsum(y) / (np.arange(1, len(s) + 1) + num_pos)
    candidates = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    best = candidates[np.argmax(f1[candidates])]
    return float((s[best] + s[best + 1]) / 2.0) if best + 1 < len(s) else float(s[best]) - 1e-6
